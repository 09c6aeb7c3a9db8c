# HBI on OpenAI CLIP ViT-B/16 (checkpoints/clip/ViT-B-16.pt); everything else
# as ViT-B/32.
_base_ = ['./hbi_vit-base-p32-clip-pre_8xb16-u12-5e_msrvtt-9k.py']
model = dict(
    clip_file='checkpoints/clip/ViT-B-16.pt',
    text_encoder=dict(arch='ViT-B/16'),
    video_encoder=dict(arch='ViT-B/16'),
)
