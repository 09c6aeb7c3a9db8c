# make demo's captioning row: the synthetic-world encoder-decoder of
# hbi-v2_vit-tiny-p8-scratch_1xb64-u12-8e_synthetic.py with its retriever
# (towers, seqTransf, head) initialised from the demo's trained HBI
# retrieval model (hbi_vit-tiny-p8-scratch_1xb64-u12-8e_synthetic.py), then
# 4 epochs of joint training (caption loss + the retrieval losses); only the
# decoder, the memory's level embeddings and the caption head start from
# scratch. tools/demo.py passes the HBI row's checkpoint; by hand:
#   --cfg-options model.retriever_checkpoint=work_dirs/demo/hbi/epoch_8.pth
_base_ = ['./hbi-v2_vit-tiny-p8-scratch_1xb64-u12-8e_synthetic.py']
max_epochs = 4
train_cfg = dict(max_epochs=max_epochs, val_interval=max_epochs)
param_scheduler = [
    dict(
        type='WarmupCosineLR',
        warmup=0.1,
        by_epoch=True,
        begin=0,
        end=max_epochs,
        convert_to_iter_based=True,
    ),
]
model = dict(retriever_checkpoint='work_dirs/demo/hbi/epoch_8.pth')
