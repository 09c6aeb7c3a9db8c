# Entry point of the design card: evaluate the released MSR-VTT checkpoint,
#   python tools/test.py configs/hbi_msrvtt.py pytorch_model.bin
# (the runner converts the released layout on load), or train with
#   python tools/train.py configs/hbi_msrvtt.py \
#       --cfg-options model.text_encoder.pretrained=checkpoints/ViT-B-32.pt ...
# It is the full MSR-VTT config without the files that only training needs:
# the released checkpoint holds CLIP, the temporal module and the teacher, so
# evaluating it needs neither ViT-B-32.pt nor the estimator file. To train,
# use configs/retrieval/hbi/hbi_vit-base-p32-clip-pre_8xb16-u12-5e_msrvtt-9k.py.
_base_ = ['retrieval/hbi/hbi_vit-base-p32-clip-pre_8xb16-u12-5e_msrvtt-9k.py']
model = dict(
    text_encoder=dict(pretrained=None),
    video_encoder=dict(pretrained=None),
    head=dict(teacher_checkpoint=None),
)
