# HBI on OpenAI CLIP ViT-B/16 (ViT-B-16.pt); everything else as ViT-B/32.
_base_ = ['./hbi_vit-base-p32-clip-pre_8xb16-u12-5e_msrvtt-9k.py']
clip_file = 'checkpoints/ViT-B-16.pt'
model = dict(
    text_encoder=dict(arch='ViT-B/16', pretrained=clip_file),
    video_encoder=dict(arch='ViT-B/16', pretrained=clip_file),
)
