# LSMDC text-video retrieval (LSMDC16 challenge files, tab-separated):
# one sentence per clip; test on the 1,000-clip public test.
# Folder tree: docs/en/data_preparation.md.
_base_ = './video_text_loaders.py'

dataset_type = 'LSMDCRetrievalDataset'
data_root = 'data/lsmdc'

train_dataloader = dict(
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='LSMDC16_annos_training.csv',
    )
)
val_dataloader = dict(
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='LSMDC16_challenge_1000_publictect.csv',
    )
)
test_dataloader = val_dataloader
val_evaluator = dict(type='RetrievalMetric')
test_evaluator = val_evaluator
