# CLIP4Clip "meanP" dual encoder with the tiny CLIP towers of the synthetic
# world (trained from scratch on CPU).
model = dict(
    type='VideoTextRetriever',
    text_encoder=dict(type='CLIPTextTower', arch='tiny'),
    video_encoder=dict(type='CLIPVisionTower', arch='tiny'),
    temporal=dict(type='IdentityTemporal'),
    head=dict(type='MeanPoolingHead'),
    data_preprocessor=dict(type='VideoTextDataPreprocessor'),
)
