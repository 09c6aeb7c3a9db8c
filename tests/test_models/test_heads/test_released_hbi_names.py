import json

import torch

from hbi.models.heads import (
    HierarchicalBanzhafHead,
    convert_released_hbi_head,
    released_head_key_to_hbi,
)
from tests.shared_data import LAYOUTS

HEAD_PREFIXES = (
    'text_weight_fc',
    'video_weight_fc',
    't_ctm',
    't_block',
    'v_ctm',
    'v_block',
    'banzhafmodel',
    'banzhafteacher',
)


def _released_head_layout(d=512):
    """Head keys and shapes of the released retrieval checkpoint."""
    layout = {}
    for mod in ('text', 'video'):
        for s in ('', '0', '1'):
            layout.update(
                {
                    f'{mod}_weight_fc{s}.0.weight': [2 * d, d],
                    f'{mod}_weight_fc{s}.0.bias': [2 * d],
                    f'{mod}_weight_fc{s}.2.weight': [1, 2 * d],
                    f'{mod}_weight_fc{s}.2.bias': [1],
                }
            )
    for name in (
        'banzhafmodel',
        'banzhafmodel0',
        'banzhafmodel1',
        'banzhafteacher',
    ):
        layout.update({f'{name}.{p}': [64, 64] for p in 'QKV'})
        layout.update(
            {
                f'{name}.cnn1.weight': [64, 1, 3, 3],
                f'{name}.cnn1.bias': [64],
                f'{name}.cnn2.weight': [1, 64, 3, 3],
                f'{name}.cnn2.bias': [1],
                f'{name}.bn.num_batches_tracked': [],
            }
        )
        layout.update(
            {
                f'{name}.bn.{p}': [64]
                for p in ('weight', 'bias', 'running_mean', 'running_var')
            }
        )
    for m in 'tv':
        for i in '01':
            layout.update(
                {
                    f'{m}_ctm{i}.conv.conv.weight': [d, d, 3],
                    f'{m}_ctm{i}.norm.weight': [d],
                    f'{m}_ctm{i}.norm.bias': [d],
                    f'{m}_ctm{i}.score.weight': [1, d],
                    f'{m}_ctm{i}.score.bias': [1],
                }
            )
            layout.update(
                {
                    f'{m}_block{i}.norm1.weight': [d],
                    f'{m}_block{i}.norm1.bias': [d],
                    f'{m}_block{i}.attn.q.weight': [d, d],
                    f'{m}_block{i}.attn.q.bias': [d],
                    f'{m}_block{i}.attn.kv.weight': [2 * d, d],
                    f'{m}_block{i}.attn.kv.bias': [2 * d],
                    f'{m}_block{i}.attn.proj.weight': [d, d],
                    f'{m}_block{i}.attn.proj.bias': [d],
                }
            )
    return layout


def test_inline_layout_matches_reference_file():
    full = json.loads(LAYOUTS.read_text())['hbi_retrieval_vit_b32']
    head = {k: v for k, v in full.items() if k.startswith(HEAD_PREFIXES)}
    assert head == _released_head_layout()
    assert not any(
        released_head_key_to_hbi(k)
        for k in full
        if not k.startswith(HEAD_PREFIXES)
    )


def test_converted_release_loads_strictly():
    layout = _released_head_layout()
    torch.manual_seed(0)
    released = {
        k: torch.randn(v) if v else torch.tensor(7) for k, v in layout.items()
    }
    released['clip.logit_scale'] = torch.tensor(4.6)  # non-head keys dropped
    converted = convert_released_hbi_head(released)
    assert len(converted) == len(layout)
    head = HierarchicalBanzhafHead(embed_dim=512)
    result = head.load_state_dict(converted, strict=True)
    assert not result.missing_keys and not result.unexpected_keys
    sd = head.state_dict()
    assert torch.equal(
        sd['text_merges.1.conv.weight'], released['t_ctm1.conv.conv.weight']
    )
    assert torch.equal(
        sd['video_weight_heads.0.2.weight'],
        released['video_weight_fc.2.weight'],
    )
    assert torch.equal(
        sd['banzhaf_estimators.2.Q'], released['banzhafmodel1.Q']
    )
    assert torch.equal(
        sd['teacher.cnn1.bias'], released['banzhafteacher.cnn1.bias']
    )
    assert (
        released_head_key_to_hbi('module.v_block0.attn.kv.bias')
        == 'video_blocks.0.attn.kv.bias'
    )
