# CLIP4Clip "meanP" dual encoder on OpenAI CLIP ViT-B/32.
# `pretrained` names OpenAI's ViT-B-32.pt (TorchScript archive or state
# dict); nothing is downloaded.
clip_file = 'checkpoints/ViT-B-32.pt'
model = dict(
    type='VideoTextRetriever',
    text_encoder=dict(
        type='CLIPTextTower', arch='ViT-B/32', pretrained=clip_file
    ),
    video_encoder=dict(
        type='CLIPVisionTower', arch='ViT-B/32', pretrained=clip_file
    ),
    temporal=dict(type='IdentityTemporal'),
    head=dict(type='MeanPoolingHead'),
    data_preprocessor=dict(type='VideoTextDataPreprocessor'),
)
