# MSVD text-video retrieval (CLIP4Clip's files): about 40 captions per video;
# training iterates every caption. Folder tree: docs/en/data_preparation.md.
_base_ = './video_text_loaders.py'

dataset_type = 'MSVDRetrievalDataset'
data_root = 'data/msvd'
ann_file = 'raw-captions.pkl'
data_prefix = dict(video='YouTubeClips')

train_dataloader = dict(
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file=ann_file,
        data_prefix=data_prefix,
        list_file='train_list.txt',
    )
)
val_dataloader = dict(
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file=ann_file,
        data_prefix=data_prefix,
        list_file='val_list.txt',
    )
)
test_dataloader = dict(
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file=ann_file,
        data_prefix=data_prefix,
        list_file='test_list.txt',
    )
)
val_evaluator = dict(type='RetrievalMetric')
test_evaluator = val_evaluator
