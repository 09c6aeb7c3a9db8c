"""``VideoQuestionAnswerer`` training as released: every loss term against
an independent computation of the release's QA objective, and errors."""

import copy

import pytest
import torch
import torch.nn.functional as F

from hbi.models.retrievers.released_hbi_checkpoint import (
    convert_released_hbi_checkpoint,
)
from hbi.registry import MODELS
from hbi.structures import VideoTextDataSample
from tests.test_models.test_answerers.qa_reference import (
    QA_LAYOUT,
    SMALL_CFG,
    TEXT_RATES,
    VIDEO_RATES,
    make_batch,
    reference_answer_logits,
)
from tests.test_models.test_retrievers.released_layouts import (
    make_released_state_dict,
    reference_levels,
    reference_text_tokens,
    reference_video_tokens,
    wti_matrix,
)

GT = [7, 1499, 0]


@pytest.fixture(scope='module')
def released():
    return make_released_state_dict(seed=5, layout=QA_LAYOUT)


@pytest.fixture(scope='module')
def model(released, tmp_path_factory):
    teacher = tmp_path_factory.mktemp('teacher') / 'estimator.pth'
    torch.save(
        {
            k[len('banzhafteacher.') :]: v
            for k, v in released.items()
            if k.startswith('banzhafteacher.')
        },
        teacher,
    )
    cfg = copy.deepcopy(SMALL_CFG)
    cfg['head']['teacher_checkpoint'] = str(teacher)
    cfg['answer_head']['dropout'] = 0.0  # deterministic training forward
    model = MODELS.build(cfg)
    model.load_state_dict(convert_released_hbi_checkpoint(released))
    return model


def samples(answers):
    out = []
    for answer in answers:
        sample = VideoTextDataSample()
        sample.set_field(answer, 'gt_answer', field_type='data')
        out.append(sample)
    return out


def inputs():
    ids, mask, frames, frame_mask = make_batch()
    return dict(
        input_ids=ids,
        attention_mask=mask,
        frames=frames,
        frame_mask=frame_mask,
    )


def kl_mean(student, target):
    """The release's ``KL``: F.kl_div(log_softmax(student),
    softmax(target), reduction='mean'), i.e. averaged over every
    element."""
    p = torch.softmax(target, dim=-1)
    log_p = torch.log_softmax(target, dim=-1)
    return (p * (log_p - torch.log_softmax(student, dim=-1))).mean()


def reverse(x):
    return x.permute(*range(x.dim() - 1, -1, -1))


def reference_losses(state, model):
    """The release's QA training loss, term by term, on one process."""
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
    _, answers = reference_answer_logits(state)
    gt = torch.tensor(GT)
    scale = state['clip.logit_scale'].exp()
    out = {}
    for index, level in enumerate(('entity', 'action', 'event')):
        t, v = text[index], video[index]
        sim = wti_matrix(t, v) * scale
        target = torch.arange(len(sim))
        contrastive = 0.5 * (
            F.cross_entropy(sim, target) + F.cross_entropy(sim.T, target)
        )
        t_hat = F.normalize(t['tokens'], dim=-1)
        v_hat = F.normalize(v['tokens'], dim=-1)
        if t['mask'] is not None:
            t_hat = t_hat * t['mask'][..., None]
            v_hat = v_hat * v['mask'][..., None]
        pairs = torch.einsum('btd,bvd->btv', t_hat, v_hat)
        student = model.head.banzhaf_estimators[index](pairs)
        teacher = model.head.teacher(pairs)
        # No masking of the maps at any level (unlike retrieval).
        banzhaf = kl_mean(student, teacher) + kl_mean(
            reverse(student), reverse(teacher)
        )
        out[f'loss_contrastive_{level}'] = 0.5 * contrastive
        out[f'loss_banzhaf_{level}'] = 0.5 * 1.0 * banzhaf  # skl = 1
        out[f'loss_answer_{level}'] = F.cross_entropy(answers[index], gt)
    for index, level in ((1, 'action'), (2, 'event')):
        out[f'loss_answer_distill_{level}'] = 0.2 * kl_mean(
            answers[index], answers[0]
        )
    return out


def test_losses_are_the_released_objective(model, released):
    model.train()
    losses = model(inputs(), samples(GT), mode='loss')
    with torch.no_grad():
        expected = reference_losses(released, model)
    assert set(losses) == set(expected)  # no similarity self-distillation
    for key, value in expected.items():
        torch.testing.assert_close(
            losses[key].detach(), value, rtol=1e-4, atol=1e-6, msg=key
        )
    # The total is what mmengine sums.
    total = sum(losses.values())
    torch.testing.assert_close(
        total.detach(), sum(expected.values()), rtol=1e-4, atol=1e-5
    )


def test_entity_banzhaf_is_not_masked(model, released):
    """The QA release does not mask the entity maps before the KL; masking
    them (the retrieval release) gives another value on this batch."""
    model.train()
    unmasked = model.loss(inputs(), samples(GT))['loss_banzhaf_entity'].item()
    model.head.mask_entity_banzhaf = True
    try:
        masked = model.loss(inputs(), samples(GT))[
            'loss_banzhaf_entity'
        ].item()
    finally:
        model.head.mask_entity_banzhaf = False
    assert abs(masked - unmasked) > 1e-6


def test_every_trainable_parameter_gets_a_gradient(model):
    model.train()
    model.zero_grad()
    sum(model.loss(inputs(), samples(GT)).values()).backward()
    # The estimators' BatchNorm exists only for loading (never called).
    missing = [
        n
        for n, p in model.named_parameters()
        if p.requires_grad and p.grad is None and '.bn.' not in n
    ]
    assert missing == []
    model.zero_grad()


def test_retrieval_weight_zero_leaves_only_answer_losses(model):
    model.train()
    model.retrieval_loss_weight = 0.0
    try:
        keys = set(model.loss(inputs(), samples(GT)))
    finally:
        model.retrieval_loss_weight = 0.5
    assert keys == {
        'loss_answer_entity',
        'loss_answer_action',
        'loss_answer_event',
        'loss_answer_distill_action',
        'loss_answer_distill_event',
    }


def test_predict_sets_the_best_answer(model):
    model.eval()
    with torch.no_grad():
        logits = model(inputs(), mode='tensor')['answer_logits']
        out = model(inputs(), samples(GT), mode='predict')
    assert [s.pred_answer for s in out] == logits.argmax(-1).tolist()
    probs = logits.softmax(-1).max(-1).values
    torch.testing.assert_close(torch.stack([s.pred_score for s in out]), probs)


def test_bad_training_answers_are_errors(model):
    model.train()
    with pytest.raises(ValueError, match='drop_unknown_answers'):
        model.loss(inputs(), samples([3, -1, 2]))
    with pytest.raises(ValueError, match=r'\[0, 1500\)'):
        model.loss(inputs(), samples([3, 1500, 2]))
    with pytest.raises(ValueError, match='no gt_answer'):
        model.loss(inputs(), [VideoTextDataSample() for _ in range(3)])


def test_event_level_weights_are_inert(model):
    """With one token per side at the event level (rates 0.125 / 0.25 on 32
    words and 12 frames), its pooling and WTI weights are a softmax over
    one token: their MLPs get exactly zero gradient (kept for loading)."""
    model.train()
    model.zero_grad()
    text = model.encode_text(inputs()['input_ids'], inputs()['attention_mask'])
    assert text['event_tokens'].shape[1] == 1
    sum(model.loss(inputs(), samples(GT)).values()).backward()
    inert = [
        model.answer_head.classifiers[2].text_weight,
        model.answer_head.classifiers[2].video_weight,
        model.head.text_weight_heads[2],
        model.head.video_weight_heads[2],
    ]
    for module in inert:
        for param in module.parameters():
            assert param.grad is not None
            assert float(param.grad.abs().max()) == 0.0
    # while the entity level's pooling weights do learn
    entity = model.answer_head.classifiers[0].text_weight[0].weight.grad
    assert float(entity.abs().max()) > 0
    model.zero_grad()


def test_retriever_checkpoint_initialises_all_but_the_answer_head(tmp_path):
    retriever_cfg = copy.deepcopy(SMALL_CFG)
    retriever_cfg['type'] = 'VideoTextRetriever'
    del retriever_cfg['answer_head']
    torch.manual_seed(1)
    retriever = MODELS.build(retriever_cfg)
    retriever.logit_scale.data.fill_(3.25)
    path = tmp_path / 'retriever.pth'
    torch.save(dict(state_dict=retriever.state_dict()), path)
    cfg = copy.deepcopy(SMALL_CFG)
    cfg['retriever_checkpoint'] = str(path)
    torch.manual_seed(2)
    model = MODELS.build(cfg)
    head_before = copy.deepcopy(model.answer_head.state_dict())
    model.init_weights()
    for key, value in retriever.state_dict().items():
        torch.testing.assert_close(model.state_dict()[key], value, msg=key)
    for key, value in head_before.items():
        torch.testing.assert_close(
            model.answer_head.state_dict()[key], value, msg=key
        )
    # a retriever of another width is refused, naming the file
    other = copy.deepcopy(retriever_cfg)
    other['head']['embed_dim'] = 16
    bad = tmp_path / 'other.pth'
    torch.save(MODELS.build(other).state_dict(), bad)
    cfg['retriever_checkpoint'] = str(bad)
    with pytest.raises(ValueError, match=r'other\.pth'):
        MODELS.build(cfg).init_weights()
