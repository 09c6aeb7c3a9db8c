import logging

import pytest
import torch
import torch.nn.functional as F

import hbi.models.heads.hierarchical_banzhaf_head as head_module
from hbi.models.heads import (
    cat_features,
    index_select_features,
)
from hbi.models.layers import BanzhafEstimator
from hbi.registry import MODELS

D = 8


def _head(**kwargs):
    cfg = dict(type='HierarchicalBanzhafHead', embed_dim=D, num_heads=2)
    cfg.update(kwargs)
    return MODELS.build(cfg)


def _inputs(n_text=3, n_video=3, seed=0):
    g = torch.Generator().manual_seed(seed)
    text = torch.randn(n_text, 8, D, generator=g)
    video = torch.randn(n_video, 4, D, generator=g)
    text_mask = torch.zeros(n_text, 8)
    for i in range(n_text):
        text_mask[i, : 3 + (2 * i) % 6] = 1
    video_mask = torch.ones(n_video, 4)
    video_mask[0, 2:] = 0
    return text, text_mask, video, video_mask


def _teacher_file(tmp_path, prefix='banzhafteacher.', nest=True, seed=5):
    torch.manual_seed(seed)
    state = {
        f'module.{prefix}{k}': v
        for k, v in BanzhafEstimator().state_dict().items()
    }
    path = tmp_path / 'estimator.pth'
    torch.save({'state_dict': state} if nest else state, path)
    return str(path), {k.split(prefix)[1]: v for k, v in state.items()}


def _wti_by_pairs(t, tm, tw, v, vm, vw):
    out = torch.zeros(t.shape[0], v.shape[0])
    for a in range(t.shape[0]):
        for b in range(v.shape[0]):
            ra = torch.ones(t.shape[1]) if tm is None else tm[a]
            rb = torch.ones(v.shape[1]) if vm is None else vm[b]
            sim = F.cosine_similarity(t[a][:, None], v[b][None], dim=-1)
            sim = sim * ra[:, None] * rb[None]
            wt = torch.softmax(tw[a].masked_fill(ra == 0, -1e30), 0)
            wv = torch.softmax(vw[b].masked_fill(rb == 0, -1e30), 0)
            out[a, b] = 0.5 * (
                (wt * sim.max(1).values).sum() + (wv * sim.max(0).values).sum()
            )
    return out


def _kl_mean(student, target):  # torch's own 'mean' KL, the release's KL()
    with pytest.warns(UserWarning):
        return F.kl_div(
            F.log_softmax(student, -1), F.softmax(target, -1), reduction='mean'
        )


def test_loss_matches_independent_computation(tmp_path):
    path, _ = _teacher_file(tmp_path)
    head = _head(teacher_checkpoint=path, skl=1.5, kl=2.0)
    text, tm, video, vm = _inputs()
    tf, vf = head.encode_text(text, tm), head.encode_video(video, vm)
    scale = torch.tensor(2.0)
    losses = head.loss(tf, vf, scale)
    assert set(losses) == {
        f'loss_{kind}_{lvl}'
        for kind in ('contrastive', 'banzhaf')
        for lvl in ('entity', 'action', 'event')
    } | {'loss_self_distill_action', 'loss_self_distill_event'}
    sims = {}
    for i, lvl in enumerate(('entity', 'action', 'event')):
        t, v = tf[f'{lvl}_tokens'], vf[f'{lvl}_tokens']
        m_t, m_v = (tm, vm) if lvl == 'entity' else (None, None)
        s = _wti_by_pairs(
            t,
            m_t,
            tf[f'{lvl}_weight_logits'],
            v,
            m_v,
            vf[f'{lvl}_weight_logits'],
        )
        sims[lvl] = s
        logits = s * torch.exp(scale)
        ce = 0.5 * (
            -torch.log_softmax(logits, 1).diagonal().mean()
            - torch.log_softmax(logits, 0).diagonal().mean()
        )
        torch.testing.assert_close(
            losses[f'loss_contrastive_{lvl}'], ce, atol=1e-5, rtol=1e-5
        )
        a = torch.stack(
            [
                F.cosine_similarity(t[b][:, None], v[b][None], dim=-1)
                for b in range(3)
            ]
        )
        keep = torch.ones_like(a)
        if lvl == 'entity':
            keep = tm[:, :, None] * vm[:, None, :]
        a = a * keep
        student = head.banzhaf_estimators[i](a) * keep
        teacher = head.teacher(a) * keep
        kl = _kl_mean(student, teacher) + _kl_mean(
            student.permute(2, 1, 0), teacher.permute(2, 1, 0)
        )
        torch.testing.assert_close(
            losses[f'loss_banzhaf_{lvl}'], 1.5 * kl, atol=1e-5, rtol=1e-4
        )
    for lvl in ('action', 'event'):
        expected = 2.0 * (
            _kl_mean(sims[lvl], sims['entity'])
            + _kl_mean(sims[lvl].t(), sims['entity'].t())
        )
        torch.testing.assert_close(
            losses[f'loss_self_distill_{lvl}'], expected, atol=1e-6, rtol=1e-4
        )


def test_teacher_frozen_and_gradients(tmp_path):
    path, state = _teacher_file(tmp_path, prefix='banzhafmodel.', nest=False)
    head = _head(teacher_checkpoint=path)
    for k, v in head.teacher.state_dict().items():
        assert torch.equal(v, state[k])
    assert not any(p.requires_grad for p in head.teacher.parameters())
    head.train()
    assert head.training and not head.teacher.training
    text, tm, video, vm = _inputs()
    text.requires_grad_(True)
    losses = head.loss(
        head.encode_text(text, tm),
        head.encode_video(video, vm),
        torch.tensor(3.0),
    )
    sum(losses.values()).backward()
    assert all(p.grad is None for p in head.teacher.parameters())
    assert all(e.cnn1.weight.grad is not None for e in head.banzhaf_estimators)
    assert text.grad is not None and torch.isfinite(text.grad).all()


def test_teacher_missing_file_and_bad_file(tmp_path):
    missing = str(tmp_path / 'nope.pth')
    with pytest.raises(FileNotFoundError, match='nope.pth'):
        _head(teacher_checkpoint=missing)
    bad = tmp_path / 'bad.pth'
    torch.save({'foo.weight': torch.zeros(2)}, bad)
    with pytest.raises(KeyError, match='bad.pth'):
        _head(teacher_checkpoint=str(bad))


def test_no_teacher_warns_and_skips_banzhaf(monkeypatch):
    calls = []
    monkeypatch.setattr(
        head_module, 'print_log', lambda msg, **kw: calls.append((msg, kw))
    )
    head = _head()
    assert len(calls) == 1 and 'teacher_checkpoint is None' in calls[0][0]
    assert calls[0][1]['level'] == logging.WARNING
    text, tm, video, vm = _inputs()
    losses = head.loss(
        head.encode_text(text, tm), head.encode_video(video, vm), 1.0
    )
    assert not any(k.startswith('loss_banzhaf') for k in losses)
    assert len(calls) == 1


@pytest.mark.parametrize('num_levels', [1, 2, 3])
def test_similarity_levels(num_levels):
    rate = (0.5, 0.3, 0.2)[:num_levels]
    head = _head(num_levels=num_levels, rate=rate)
    assert len(head.text_merges) == num_levels - 1
    text, tm, video, vm = _inputs(3, 4)
    tf, vf = head.encode_text(text, tm), head.encode_video(video, vm)
    sims = head.similarity(tf, vf)
    levels = ('entity', 'action', 'event')[:num_levels]
    assert set(sims) == set(levels) | {'fused'}
    assert all(s.shape == (3, 4) for s in sims.values())
    torch.testing.assert_close(
        sims['fused'], sum(r * sims[lvl] for r, lvl in zip(rate, levels))
    )
    if num_levels == 3:
        assert tf['action_tokens'].shape == (3, 2, D)  # 8 -> 2 -> 1
        assert tf['event_tokens'].shape == (3, 1, D)
        assert vf['action_tokens'].shape == (4, 1, D)
    losses = head.loss(
        *[index_select_features(f, slice(0, 3)) for f in (tf, vf)], 1.0
    )
    assert len(losses) == num_levels + (num_levels - 1)


def test_blockwise_similarity_equals_full():
    head = _head().eval()
    text, tm, video, vm = _inputs(5, 6, seed=3)
    tf, vf = head.encode_text(text, tm), head.encode_video(video, vm)
    full = head.similarity(tf, vf)
    rows = []
    for t_idx in (torch.tensor([0, 1]), torch.tensor([2, 3, 4])):
        blocks = [
            head.similarity(
                index_select_features(tf, t_idx),
                index_select_features(vf, v_idx),
            )
            for v_idx in (slice(0, 4), slice(4, 6))
        ]
        rows.append({k: torch.cat([b[k] for b in blocks], 1) for k in full})
    for key in full:
        torch.testing.assert_close(
            torch.cat([r[key] for r in rows]), full[key]
        )
    regathered = cat_features(
        [
            index_select_features(tf, slice(0, 2)),
            index_select_features(tf, slice(2, 5)),
        ]
    )
    assert all(torch.equal(regathered[k], tf[k]) for k in tf)


def test_encoding_is_per_item_and_padding_invariant():
    head = _head().eval()
    text, tm, video, vm = _inputs(3, 3, seed=4)
    with torch.no_grad():
        tf, vf = head.encode_text(text, tm), head.encode_video(video, vm)
        # each item alone gives the same features at every level
        for i in range(3):
            one = head.encode_text(text[i : i + 1], tm[i : i + 1])
            for k in tf:
                torch.testing.assert_close(one[k], tf[k][i : i + 1])
        # entity level ignores what padded slots hold
        text2, video2 = text.clone(), video.clone()
        text2[tm == 0] = 9.0
        video2[vm == 0] = -9.0
        tf2, vf2 = head.encode_text(text2, tm), head.encode_video(video2, vm)
        torch.testing.assert_close(
            head.similarity(tf2, vf2)['entity'],
            head.similarity(tf, vf)['entity'],
        )
        # with mask_padded_inputs every level does
        head.mask_padded_inputs = True
        a = head.similarity(
            head.encode_text(text, tm), head.encode_video(video, vm)
        )
        b = head.similarity(
            head.encode_text(text2, tm), head.encode_video(video2, vm)
        )
        for key in a:
            torch.testing.assert_close(a[key], b[key])


def test_bad_inputs():
    head = _head()
    with pytest.raises(ValueError, match='encode_text: tokens'):
        head.encode_text(torch.zeros(2, 4, D + 1), torch.ones(2, 4))
    with pytest.raises(ValueError, match='encode_video: mask'):
        head.encode_video(torch.zeros(2, 4, D), torch.ones(2, 5))
    with pytest.raises(ValueError, match='num_levels'):
        _head(num_levels=4)
    with pytest.raises(ValueError, match='rate'):
        _head(num_levels=3, rate=(1.0, 0.0))
    text, tm, video, vm = _inputs(3, 2)
    with pytest.raises(ValueError, match='same number of pairs'):
        head.loss(
            head.encode_text(text, tm), head.encode_video(video, vm), 1.0
        )
