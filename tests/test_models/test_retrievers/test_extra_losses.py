"""Extra losses on a retriever: TACo, Clover and multi-level alignment as
config entries, the fusion encoder, the reranker, patch tokens, and the
check of side inputs before training."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from hbi.engine.runner import side_input_check
from hbi.engine.runner.side_input_check import check_extra_loss_inputs
from hbi.models.layers.block_masking import block_patch_mask
from hbi.models.rerankers import rerank_scores, score_pairs, top_k_indices
from hbi.registry import MODELS

ARCH = dict(
    base='tiny',
    embed_dim=32,
    vision=dict(width=32, layers=1, heads=2),
    text=dict(width=32, layers=1, heads=2),
)
FUSION = dict(type='FusionEncoder', embed_dim=32, num_layers=1, num_heads=2)
B, T, L, S, TS = 4, 3, 8, 3, 2


def build(extra_losses=(), **kwargs):
    torch.manual_seed(0)
    return MODELS.build(
        dict(
            type='VideoTextRetriever',
            text_encoder=dict(type='CLIPTextTower', arch=ARCH),
            video_encoder=dict(type='CLIPVisionTower', arch=ARCH),
            head=dict(type='MeanPoolingHead'),
            extra_losses=list(extra_losses),
            **kwargs,
        )
    )


def batch():
    torch.manual_seed(1)
    ids = torch.randint(1, 400, (B, L))
    ids[:, 0], ids[:, -1] = 49406, 49407
    masked = torch.ones(B, L, dtype=torch.long)
    masked[:, 2:4] = 0
    frame_mask = torch.ones(B, T, dtype=torch.long)
    frame_mask[1, 2] = 0
    segment_mask = torch.tensor([[1, 1, 0], [1, 0, 0], [1, 1, 1], [1, 0, 0]])
    return dict(
        input_ids=ids,
        attention_mask=torch.ones(B, L, dtype=torch.long),
        frames=torch.randn(B, T, 3, 32, 32),
        frame_mask=frame_mask,
        content_word_mask=(torch.rand(B, L) > 0.5).long(),
        masked_attention_mask=masked,
        segment_frames=torch.randn(B, S, TS, 3, 32, 32),
        segment_frame_mask=torch.ones(B, S, TS, dtype=torch.long),
        segment_mask=segment_mask,
        segment_input_ids=torch.randint(1, 400, (B, S, L)),
        segment_attention_mask=torch.ones(B, S, L, dtype=torch.long),
    )


def test_every_method_is_a_config_entry_and_trains_every_part():
    model = build(
        [
            dict(type='TokenAwareContrastiveLoss'),
            dict(type='CascadeFusionLoss', num_negatives=2),
            dict(type='CloverLoss'),
            dict(type='MultiLevelAlignmentLoss'),
        ],
        fusion_encoder=FUSION,
    )
    losses = model.loss(batch())
    assert set(losses) == {
        'loss_contrastive',
        'loss_token_aware',
        'loss_cascade',
        'loss_tri_modal',
        'loss_pairwise_ranking',
        'loss_global',
        'loss_segment',
    }
    sum(losses.values()).backward()
    assert all(p.grad is not None for p in model.parameters())


def test_a_loss_needing_the_fusion_encoder_is_refused_without_it():
    with pytest.raises(ValueError, match=r"\['CascadeFusionLoss'\].*fusion"):
        build([dict(type='CascadeFusionLoss')])


def test_cascade_loss_is_the_cross_entropy_over_the_hardest_negatives():
    model = build(
        [dict(type='CascadeFusionLoss', num_negatives=2)],
        fusion_encoder=FUSION,
    )
    inputs = batch()
    got = model.loss(inputs)['loss_cascade']
    with torch.no_grad():
        words = model.text_encoder(
            inputs['input_ids'], inputs['attention_mask']
        )
        frames = model.encode_frames(inputs['frames'], inputs['frame_mask'])
        text = F.normalize(words[:, -1], dim=-1)  # the end token
        video = model.head.encode_video(frames, inputs['frame_mask'])['video']
        sim = text @ video.t()
        terms = []
        for a in range(B):
            others = [j for j in range(B) if j != a]
            negatives = sorted(others, key=lambda j: -sim[a, j])[:2]
            scores = torch.stack(
                [
                    model.fusion_encoder(
                        words[a : a + 1],
                        inputs['attention_mask'][a : a + 1],
                        frames[j : j + 1],
                        inputs['frame_mask'][j : j + 1],
                    )['score'][0]
                    for j in [a, *negatives]
                ]
            )
            terms.append(-(scores[0] - torch.logsumexp(scores, 0)))
    assert torch.allclose(got, torch.stack(terms).mean(), atol=1e-5)


def test_segment_level_contrasts_every_real_segment_of_the_batch():
    model = build([dict(type='MultiLevelAlignmentLoss', global_weight=0)])
    inputs = batch()
    got = model.loss(inputs)['loss_segment']
    with torch.no_grad():
        videos, texts = [], []
        for b in range(B):
            for s in range(S):
                if not inputs['segment_mask'][b, s]:
                    continue
                frames = model.encode_frames(
                    inputs['segment_frames'][b, s][None],
                    inputs['segment_frame_mask'][b, s][None],
                )
                videos.append(
                    F.normalize(F.normalize(frames[0], dim=-1).mean(0), dim=0)
                )
                words = model.text_encoder(
                    inputs['segment_input_ids'][b, s][None],
                    inputs['segment_attention_mask'][b, s][None],
                )
                texts.append(F.normalize(words[0, -1], dim=0))
        # 7 real segments: those of the same video are negatives too
        sim = torch.stack(texts) @ torch.stack(videos).t()
        logits = sim * model.logit_scale.exp()
        target = torch.arange(7)
        expected = (
            F.cross_entropy(logits, target)
            + F.cross_entropy(logits.t(), target)
        ) / 2
    assert torch.allclose(got, expected, atol=1e-5)
    # padded segments never count
    inputs['segment_frames'][0, 2] += 5.0
    inputs['segment_input_ids'][1, 1:] = 7
    assert torch.allclose(model.loss(inputs)['loss_segment'], got, atol=1e-6)


def test_segment_level_is_off_without_segments():
    model = build([dict(type='MultiLevelAlignmentLoss')])
    inputs = {k: v for k, v in batch().items() if not k.startswith('segment')}
    assert 'loss_segment' not in model.loss(inputs)


def test_reranker_scores_pairs_with_the_fusion_encoder():
    model = build(
        fusion_encoder=FUSION,
        reranker=dict(
            type='FusionReranker', k=2, weight=0.5, pairs_per_call=2
        ),
    ).eval()
    inputs = batch()
    with torch.no_grad():
        feats = model.extract_feat(inputs)
        texts, videos = torch.tensor([0, 1, 3]), torch.tensor([2, 2, 0])
        got = model.rerank_scores(feats['text'], feats['video'], texts, videos)
        expected = model.fusion_encoder(
            model.text_encoder(inputs['input_ids'], inputs['attention_mask'])[
                texts
            ],
            inputs['attention_mask'][texts],
            model.encode_frames(inputs['frames'], inputs['frame_mask'])[
                videos
            ],
            inputs['frame_mask'][videos],
        )['score']
    assert torch.allclose(got, expected, atol=1e-6)
    assert (model.reranker.k, model.reranker.weight) == (2, 0.5)


def test_taco_reranking_through_the_stage_is_dual_plus_lambda_fusion():
    model = build(
        fusion_encoder=FUSION,
        reranker=dict(type='FusionReranker', k=B, weight=0.5),
    ).eval()
    inputs = batch()
    with torch.no_grad():
        feats = model.extract_feat(inputs)
        first = model.similarity(feats['text'], feats['video'])['fused']
        first = first.numpy()
        top = top_k_indices(first, model.reranker.k)  # depth = all videos
        rows = np.repeat(np.arange(B), B)
        second = score_pairs(
            model, feats['text'], feats['video'], rows, top.reshape(-1)
        ).reshape(B, B)
        final = rerank_scores(first, top, second, model.reranker.weight)
        fusion = np.zeros((B, B), dtype=np.float32)
        for a in range(B):
            for v in range(B):
                fusion[a, v] = model.fusion_encoder(
                    feats['text']['word_tokens'][a : a + 1],
                    feats['text']['word_mask'][a : a + 1],
                    feats['video']['frame_tokens'][v : v + 1],
                    feats['video']['frame_mask'][v : v + 1],
                )['score'][0]
    assert np.allclose(final, first + 0.5 * fusion, atol=1e-5)


def test_fusion_encoder_ignores_padded_tokens():
    torch.manual_seed(0)
    fusion = MODELS.build(FUSION).eval()
    text, video = torch.randn(2, 4, 32), torch.randn(2, 3, 32)
    text_mask = torch.tensor([[1, 1, 1, 0], [1, 1, 0, 0]])
    video_mask = torch.tensor([[1, 1, 0], [1, 1, 1]])
    out = fusion(text, text_mask, video, video_mask)
    text[0, 3] += 100.0
    video[0, 2] -= 100.0
    again = fusion(text, text_mask, video, video_mask)
    assert torch.allclose(out['score'], again['score'], atol=1e-5)
    assert torch.allclose(out['cls'].norm(dim=-1), torch.ones(2))


def test_vision_tower_patch_tokens_and_dropped_patches():
    tower = MODELS.build(dict(type='CLIPVisionTower', arch=ARCH)).eval()
    pixels = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        pooled = tower(pixels)
        same, patches = tower(pixels, return_patch_tokens=True)
        assert torch.equal(pooled, same) and patches.shape == (2, 16, 32)
        mask = torch.zeros(2, 16, dtype=torch.bool)
        mask[0, [0, 5]] = True  # patch (0, 0) and (1, 1) of an 8 px grid
        mask[1, [15, 3]] = True
        masked, kept = tower(pixels, mask, return_patch_tokens=True)
        assert kept.shape == (2, 14, 32)
        # what is inside a dropped patch cannot change the output
        changed = pixels.clone()
        changed[0, :, 0:8, 0:8] = 9.0
        changed[1, :, 24:32, 24:32] = -9.0
        assert torch.allclose(tower(changed, mask), masked, atol=1e-5)
        assert not torch.allclose(tower(changed), pooled, atol=1e-3)
    with pytest.raises(ValueError, match='same number'):
        tower(pixels, torch.tensor([[True] + [False] * 15, [False] * 16]))


def test_block_patch_mask_masks_the_exact_count_in_blocks():
    generator = torch.Generator().manual_seed(0)
    masks = block_patch_mask(50, 7, 0.2, generator=generator)
    assert masks.shape == (50, 49)
    assert (masks.sum(1) == 10).all()  # round(0.2 * 49)
    # blocks, not scattered cells: most masked cells have a masked neighbour
    grid = masks.view(50, 7, 7).float()
    neighbours = F.conv2d(
        grid[:, None],
        torch.tensor([[[[0, 1, 0], [1, 0, 1], [0, 1, 0]]]]).float(),
        padding=1,
    )[:, 0]
    assert ((neighbours > 0) & masks.view(50, 7, 7)).sum() >= 0.8 * 500


class _Dataset:
    ann_file = 'annotations/MSRVTT_data.json'

    def __init__(self, provided):
        self.provided = set(provided)

    def provided_side_inputs(self):
        return self.provided


def test_side_inputs_are_checked_before_training(monkeypatch):
    logs = []
    monkeypatch.setattr(
        side_input_check, 'print_log', lambda msg, **kw: logs.append(msg)
    )
    model = build(
        [
            dict(type='TokenAwareContrastiveLoss'),
            dict(type='MultiLevelAlignmentLoss'),
        ]
    )
    with pytest.raises(ValueError) as error:
        check_extra_loss_inputs(model, _Dataset([]))
    message = str(error.value)
    assert 'TokenAwareContrastiveLoss' in message
    assert "'content_word_mask'" in message
    assert '_Dataset(annotations/MSRVTT_data.json)' in message
    check_extra_loss_inputs(model, _Dataset(['content_word_mask']))
    assert len(logs) == 1 and logs[0].startswith('MultiLevelAlignmentLoss')
    assert 'terms that need them are off' in logs[0]
