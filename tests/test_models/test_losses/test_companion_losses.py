"""The companion methods' losses against computations written here from
their definitions (docs/en/methods/{taco,clover,multilevel}.md)."""

import math

import torch
import torch.nn.functional as F

from hbi.models.losses import (
    hardest_negatives,
    pairwise_ranking,
    token_aware_contrastive,
    tri_modal_alignment,
)


def _unit(*shape):
    return F.normalize(torch.randn(*shape, dtype=torch.float64), dim=-1)


def test_token_aware_contrastive_by_hand():
    torch.manual_seed(0)
    words, frames = torch.randn(3, 5, 4), torch.randn(3, 2, 4)
    content = torch.tensor([[0, 1, 1, 0, 0], [0, 0, 0, 0, 0], [1, 0, 0, 1, 1]])
    frame_mask = torch.tensor([[1, 1], [1, 0], [1, 1]])
    scale = torch.tensor(7.0)
    per_text = []
    for a in range(3):
        terms = []
        for k in range(5):
            if not content[a, k]:
                continue
            scores = []
            for b in range(3):
                cosines = [
                    F.cosine_similarity(words[a, k], frames[b, t], dim=0)
                    for t in range(2)
                    if frame_mask[b, t]
                ]
                scores.append(7.0 * max(cosines))
            scores = torch.stack(scores)
            terms.append(-(scores[a] - torch.logsumexp(scores, 0)))
        if terms:  # text 1 has no content word: left out
            per_text.append(sum(terms) / len(terms))
    expected = sum(per_text) / len(per_text)
    got = token_aware_contrastive(words, content, frames, frame_mask, scale)
    assert torch.allclose(got, expected, atol=1e-5)


def test_token_aware_contrastive_without_content_words_is_zero():
    words = torch.randn(2, 3, 4, requires_grad=True)
    loss = token_aware_contrastive(
        words,
        torch.zeros(2, 3),
        torch.randn(2, 2, 4),
        torch.ones(2, 2),
        torch.tensor(1.0),
    )
    loss.backward()
    assert loss.item() == 0 and words.grad is not None


def test_hardest_negatives_skip_the_positive():
    sim = torch.tensor(
        [[9.0, 1.0, 3.0, 2.0], [5.0, 0.0, 4.0, 1.0], [0.0, 7.0, 8.0, 6.0]]
    )
    assert hardest_negatives(sim[:, :3], 2).tolist() == [
        [2, 1],
        [0, 2],
        [1, 0],
    ]


def test_tri_modal_alignment_by_hand():
    torch.manual_seed(1)
    b, scale = 3, 1 / 0.05
    anchor = _unit(b, 5)
    positives = [_unit(b, 5) for _ in range(3)]
    terms = []
    for p in range(3):
        for a in range(b):
            # candidates: every sample's three types, minus a's other two
            logits, target = [], None
            for q in range(3):
                for j in range(b):
                    if j == a and q != p:
                        continue
                    if j == a and q == p:
                        target = len(logits)
                    logits.append(scale * anchor[a] @ positives[q][j])
            logits = torch.stack(logits)
            terms.append(
                (-(logits[target] - torch.logsumexp(logits, 0)), 'fwd', p)
            )
            reverse = torch.stack(
                [scale * positives[p][a] @ anchor[j] for j in range(b)]
            )
            terms.append(
                (-(reverse[a] - torch.logsumexp(reverse, 0)), 'rev', p)
            )
    # mean over the 6 (type, direction) cross-entropies, each a batch mean
    expected = sum(t for t, _, _ in terms) / (6 * b)
    got = tri_modal_alignment(anchor, positives, scale)
    assert torch.allclose(got, expected)


def test_pairwise_ranking_by_hand():
    anchor = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    full = torch.tensor([[1.0, 0.0], [1.0, 0.0]])  # cos 1 and 0
    masked = torch.tensor(
        [[math.cos(0.5), math.sin(0.5)], [0.0, 1.0]]
    )  # cos 0.878 and 1
    # sample 0: 1 - 0.878 = 0.122 < 0.25 -> 0.128; sample 1: 0.25 + 1
    expected = ((0.25 - (1 - math.cos(0.5))) + (0.25 + 1.0)) / 2
    got = pairwise_ranking(anchor, full, masked, 0.25)
    assert math.isclose(got.item(), expected, rel_tol=1e-6)
    assert pairwise_ranking(anchor, full, full * 0, 0.25).item() == 0.0 + (
        0.25 / 2
    )
