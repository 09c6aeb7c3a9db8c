# CLIP4Clip "meanP" dual encoder on OpenAI CLIP ViT-B/32: towers and
# temperature from OpenAI's ViT-B-32.pt (`clip_file`, TorchScript archive or
# state dict; nothing is downloaded, a missing file is an error that says
# where to get it; override with --cfg-options model.clip_file=PATH).
clip_file = 'checkpoints/clip/ViT-B-32.pt'
model = dict(
    type='VideoTextRetriever',
    clip_file=clip_file,
    text_encoder=dict(type='CLIPTextTower', arch='ViT-B/32'),
    video_encoder=dict(type='CLIPVisionTower', arch='ViT-B/32'),
    temporal=dict(type='IdentityTemporal'),
    head=dict(type='MeanPoolingHead'),
    data_preprocessor=dict(type='VideoTextDataPreprocessor'),
)
