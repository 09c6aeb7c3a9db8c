# Entry point: evaluate the released MSRVTT-QA checkpoint,
#   python tools/test.py configs/hbi_msrvtt_qa.py pytorch_model.bin
# (the runner converts the released QA layout on load; add
# --dump answers.jsonl for every question with its predicted and true
# answer). It is the released recipe without the files only training needs:
# the checkpoint holds CLIP, the temporal module, the heads and the teacher.
# To train, use
# configs/videoqa/hbi/hbi_vit-base-p16-clip-pre_2xb16-u12-5e_msrvtt-qa.py.
_base_ = ['videoqa/hbi/hbi_vit-base-p16-clip-pre_2xb16-u12-5e_msrvtt-qa.py']
model = dict(
    text_encoder=dict(pretrained=None),
    video_encoder=dict(pretrained=None),
    head=dict(teacher_checkpoint=None),
)
