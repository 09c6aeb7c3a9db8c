"""First-stage vectors: HBI's weighted token mean / frame mean, meanP's
pooled vectors."""

import pytest
import torch
import torch.nn.functional as F

from hbi.apis import first_stage_vectors


def test_hbi_text_vector_is_the_weighted_mean_of_normalised_tokens():
    tokens = torch.tensor([[[3.0, 0.0], [0.0, 2.0], [5.0, 5.0]]])
    mask = torch.tensor([[1.0, 1.0, 0.0]])  # third token is padding
    logits = torch.tensor([[0.0, torch.log(torch.tensor(3.0)), 9.0]])
    out = first_stage_vectors(
        dict(
            entity_tokens=tokens, entity_mask=mask, entity_weight_logits=logits
        ),
        'text',
    )
    # weights 1/4, 3/4 on the unit vectors e0, e1
    expect = F.normalize(torch.tensor([[0.25, 0.75]]), dim=-1)
    torch.testing.assert_close(out, expect)


def test_hbi_video_vector_is_the_mean_of_real_normalised_frames():
    tokens = torch.tensor([[[2.0, 0.0], [0.0, 4.0], [9.0, 9.0]]])
    mask = torch.tensor([[1.0, 1.0, 0.0]])
    logits = torch.tensor([[5.0, -5.0, 0.0]])  # not used for video
    out = first_stage_vectors(
        dict(
            entity_tokens=tokens, entity_mask=mask, entity_weight_logits=logits
        ),
        'video',
    )
    torch.testing.assert_close(
        out, F.normalize(torch.tensor([[1.0, 1.0]]), dim=-1)
    )


def test_meanp_vectors_pass_through_and_bad_input():
    v = torch.tensor([[3.0, 4.0]])
    torch.testing.assert_close(
        first_stage_vectors({'video': v}, 'video'), torch.tensor([[0.6, 0.8]])
    )
    torch.testing.assert_close(
        first_stage_vectors({'sentence': v}, 'text'),
        torch.tensor([[0.6, 0.8]]),
    )
    with pytest.raises(ValueError, match="keys \\['video'\\]"):
        first_stage_vectors({'video': v}, 'text')
    with pytest.raises(ValueError, match='modality'):
        first_stage_vectors({'video': v}, 'audio')
