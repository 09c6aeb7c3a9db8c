# Entry point: the released HBI MSRVTT-QA model
# (configs/videoqa/hbi/hbi_vit-base-p16-clip-pre_2xb16-u12-5e_msrvtt-qa.py;
# docs/en/methods/hbi_qa.md).
#
# Evaluate the released checkpoint (its QA layout is converted on load; the
# checkpoint holds the whole model, so neither the CLIP file nor the
# estimator is needed):
#   python tools/test.py configs/hbi_msrvtt_qa.py pytorch_model.bin \
#       [--dump answers.jsonl]
#
# Train (towers and temperature from OpenAI's ViT-B-16.pt, teacher from the
# release's estimator; a missing file is an error that says where to get it):
#   bash tools/dist_train.sh configs/hbi_msrvtt_qa.py 2
# with checkpoints/clip/ViT-B-16.pt and checkpoints/hbi/estimator_msrvtt.pth
# under the directory you run from, or
#   --cfg-options model.clip_file=PATH model.head.teacher_checkpoint=PATH
_base_ = ['videoqa/hbi/hbi_vit-base-p16-clip-pre_2xb16-u12-5e_msrvtt-qa.py']
