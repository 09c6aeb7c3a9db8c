# MSR-VTT retrieval tested on the full test split of MSRVTT_data.json
# (2,990 videos x 20 captions = 59,800 queries; several captions per video)
# instead of 1k-A. Everything else as msrvtt-9k_retrieval.py.
_base_ = './msrvtt-9k_retrieval.py'

test_dataloader = dict(
    dataset=dict(
        ann_file='annotations/MSRVTT_data.json', list_file='', split='test'
    )
)
