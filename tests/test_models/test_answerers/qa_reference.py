"""The released QA model in plain torch, for the tests only: a small
released-layout QA checkpoint's config in hbi, a test batch, and the
release's QA forward written from ``docs/en/methods/hbi_qa.md`` Q3-Q5 on the
raw released tensors (question by question, no ``hbi`` code)."""

import torch

from tests.test_models.test_retrievers.released_layouts import (
    HEAD_HEADS,
    SMALL_ARCH,
    TEMPORAL_HEADS,
    TEMPORAL_LAYERS,
    reference_levels,
    reference_text_tokens,
    reference_video_tokens,
    weight_logits,
)

QA_LAYOUT = 'hbi_msrvtt_qa_vit_b16'
#: The release's QA merge rates (text 32 -> 8 -> 1, video 12 -> 3 -> 1).
TEXT_RATES, VIDEO_RATES = (0.25, 0.125), (0.25, 0.25)
RATE = (0.4, 0.4, 0.2)


def qa_model_cfg(arch, width, temporal_layers, temporal_heads, num_answers):
    return dict(
        type='VideoQuestionAnswerer',
        text_encoder=dict(type='CLIPTextTower', arch=arch),
        video_encoder=dict(type='CLIPVisionTower', arch=arch),
        temporal=dict(
            type='TemporalTransformer',
            width=width,
            num_layers=temporal_layers,
            num_heads=temporal_heads,
        ),
        head=dict(
            type='HierarchicalBanzhafHead',
            embed_dim=width,
            num_heads=HEAD_HEADS,
            text_merge_rates=TEXT_RATES,
            video_merge_rates=VIDEO_RATES,
            kl=0.0,
            mask_entity_banzhaf=False,
        ),
        answer_head=dict(
            type='LevelAnswerHead',
            embed_dim=width,
            num_answers=num_answers,
            rate=RATE,
            kl=0.2,
        ),
    )


SMALL_CFG = qa_model_cfg(
    SMALL_ARCH, SMALL_ARCH['embed_dim'], TEMPORAL_LAYERS, TEMPORAL_HEADS, 1500
)


def make_batch(seed=2):
    gen = torch.Generator().manual_seed(seed)
    ids = torch.zeros(3, 32, dtype=torch.long)
    mask = torch.zeros(3, 32, dtype=torch.long)
    for b, n in enumerate([32, 14, 9]):
        ids[b, :n] = torch.randint(1, 49000, (n,), generator=gen)
        ids[b, 0], ids[b, n - 1] = 49406, 49407
        mask[b, :n] = 1
    frames = torch.randn(3, 12, 3, 32, 32, generator=gen)
    frame_mask = torch.zeros(3, 12, dtype=torch.long)
    for b, n in enumerate([12, 9, 10]):
        frame_mask[b, :n] = 1
    frames = frames * frame_mask[..., None, None, None]
    return ids, mask, frames, frame_mask


def linear(x, state, name):
    return x @ state[f'{name}.weight'].T + state[f'{name}.bias']


def reference_answer_logits(state, mask_weights=False):
    """The release's QA forward (eval mode), question by question.

    Per level: softmax of the pooling-weight MLP over EVERY token (at the
    entity level the padded tokens too, whose features are zeroed; with
    ``mask_weights`` over the real tokens only), projections, concatenation
    [video; question], classifier; the mix 0.4 / 0.4 / 0.2.
    """
    ids, mask, frames, frame_mask = make_batch()
    text = reference_levels(
        reference_text_tokens(state, ids, mask),
        mask.float(),
        state,
        'text',
        TEXT_RATES,
    )
    video = reference_levels(
        reference_video_tokens(state, frames, frame_mask),
        frame_mask.float(),
        state,
        'video',
        VIDEO_RATES,
    )
    levels = []
    for level, suffix in enumerate(('', '0', '1')):
        rows = []
        for b in range(len(ids)):
            pooled = {}
            for side, refs, short in (('t', text, 't'), ('v', video, 'v')):
                tokens = refs[level]['tokens'][b]
                logits = weight_logits(
                    tokens, state, f'{short}_weight{suffix}'
                )
                if level == 0:
                    real = refs[0]['mask'][b]
                    tokens = tokens * real[:, None]
                    if mask_weights:
                        logits = logits.masked_fill(real == 0, -9e15)
                weights = torch.softmax(logits, dim=0)
                pooled[side] = (weights[:, None] * tokens).sum(0)
            joint = torch.cat(
                [
                    linear(pooled['v'], state, f'v_proj{suffix}'),
                    linear(pooled['t'], state, f't_proj{suffix}'),
                ]
            )
            hidden = torch.relu(linear(joint, state, f'classifier{suffix}.0'))
            rows.append(linear(hidden, state, f'classifier{suffix}.2'))
        levels.append(torch.stack(rows))
    return sum(r * logits for r, logits in zip(RATE, levels)), levels
