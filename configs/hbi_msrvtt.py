# Entry point of the design card: HBI ViT-B/32 on MSR-VTT 9k, the release's
# MSR-VTT recipe (configs/retrieval/hbi/hbi_vit-base-p32-clip-pre_8xb16-u12-
# 5e_msrvtt-9k.py; its header lists where hbi deviates from the release).
#
# Train (towers and temperature from OpenAI's ViT-B-32.pt, teacher from the
# release's estimator; a missing file is an error that says where to get it):
#   python tools/train.py configs/hbi_msrvtt.py
#   bash tools/dist_train.sh configs/hbi_msrvtt.py 8
# with checkpoints/clip/ViT-B-32.pt and checkpoints/hbi/estimator_msrvtt.pth
# under the directory you run from, or
#   --cfg-options model.clip_file=PATH model.head.teacher_checkpoint=PATH
#
# Evaluate the released checkpoint (its layout is converted on load) or any
# hbi checkpoint; neither file above is needed, the checkpoint holds the
# whole model:
#   python tools/test.py configs/hbi_msrvtt.py pytorch_model.bin
_base_ = ['retrieval/hbi/hbi_vit-base-p32-clip-pre_8xb16-u12-5e_msrvtt-9k.py']
