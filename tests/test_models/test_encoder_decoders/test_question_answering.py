"""VideoQA heads of the encoder-decoder: answer classification from the
decoder's first output, open-ended generation, the released level
classifiers as a task head, and the model's answer mix."""

import copy

import pytest
import torch
import torch.nn.functional as F

from hbi.models.tokenizers import CLIPBPETokenizer
from hbi.registry import MODELS
from hbi.structures import VideoTextDataSample

RETRIEVER = dict(
    text_encoder=dict(type='CLIPTextTower', arch='tiny'),
    video_encoder=dict(type='CLIPVisionTower', arch='tiny'),
    temporal=dict(
        type='TemporalTransformer', width=64, num_layers=1, num_heads=2
    ),
    head=dict(type='HierarchicalBanzhafHead', embed_dim=64, num_heads=4),
)
DECODER = dict(
    type='TransformerTextDecoder',
    width=32,
    num_layers=1,
    num_heads=4,
    dropout=0.0,
)
NUM_ANSWERS = 7
HEADS = dict(
    answer_cls=dict(
        type='DecoderAnswerClassifierHead',
        num_answers=NUM_ANSWERS,
        decoder_width=32,
        dropout=0.0,
    ),
    answer_gen=dict(
        type='OpenEndedAnswerHead',
        loss=dict(type='CaptionCrossEntropyLoss', label_smoothing=0.0),
        generation=dict(max_length=6),
    ),
    levels=dict(
        type='LevelAnswerTaskHead',
        embed_dim=64,
        num_answers=NUM_ANSWERS,
        dropout=0.0,
        score_weight=0.5,
    ),
)
QUESTIONS = ['what moves?', 'what colour is the square?', 'when?']
ANSWERS = ['red circle', 'blue', 'at the end']
GT = [3, 0, 6]


def build(task_heads=HEADS, **kwargs):
    torch.manual_seed(0)
    cfg = dict(
        type='VideoTextEncoderDecoder',
        **RETRIEVER,
        decoder=DECODER,
        task_heads=copy.deepcopy(task_heads),
        extra_memory_parts=('question',),
    )
    cfg.update(kwargs)
    model = MODELS.build(cfg)
    model.init_weights()
    return model


@pytest.fixture(scope='module')
def model():
    return build()


def batch():
    tokenizer = CLIPBPETokenizer()
    ids, mask = tokenizer.encode(QUESTIONS, max_length=12)
    answer_ids, answer_mask = tokenizer.encode(ANSWERS, max_length=6)
    g = torch.Generator().manual_seed(0)
    frame_mask = torch.ones(3, 4, dtype=torch.long)
    frame_mask[1, 2:] = 0
    inputs = dict(
        input_ids=ids,
        attention_mask=mask,
        frames=torch.randn(3, 4, 3, 32, 32, generator=g),
        frame_mask=frame_mask,
        answer_input_ids=answer_ids[:, :-1],
        answer_target_ids=answer_ids[:, 1:],
        answer_mask=answer_mask[:, 1:],
    )
    samples = []
    for answer in GT:
        sample = VideoTextDataSample()
        sample.set_field(answer, 'gt_answer', field_type='data')
        samples.append(sample)
    return inputs, samples


def encoded(model):
    inputs, _ = batch()
    feats = model.extract_feat(inputs)
    return inputs, feats['text'], feats['video']


def test_memory_holds_video_levels_then_the_question(model):
    model.eval()
    with torch.no_grad():
        inputs, text, video = encoded(model)
        memory, mask = model.encode_question_memory(text, video)
        frames_only, _ = model.encode_memory(video)
    lengths = [video[f'{lv}_tokens'].shape[1] for lv in model.memory_levels]
    assert memory.shape[1] == sum(lengths) + inputs['input_ids'].shape[1]
    # the video part is the caption memory; the question part is its
    # tokens plus the 'question' level embedding, masked like the question
    torch.testing.assert_close(memory[:, : sum(lengths)], frames_only)
    question = text['entity_tokens'] + model.memory.level_embedding.weight[3]
    torch.testing.assert_close(memory[:, sum(lengths) :], question)
    assert (
        mask[:, sum(lengths) :].tolist() == inputs['attention_mask'].tolist()
    )


def test_classifier_reads_the_decoders_first_output(model):
    """The logits are the MLP of the decoder's state at position 0, which
    is the same whatever follows the start token (causal decoder)."""
    model.eval()
    with torch.no_grad():
        inputs, text, video = encoded(model)
        logits = model.task_heads['answer_cls'].answer(model, text, video)
        memory, mask = model.encode_question_memory(text, video)
        hidden = model.decoder(
            inputs['answer_input_ids'],
            torch.ones_like(inputs['answer_input_ids']),
            memory,
            mask,
        )['hidden']
    expected = model.task_heads['answer_cls'].classifier(hidden[:, 0])
    torch.testing.assert_close(logits['answer_logits'], expected)
    assert logits['answer_logits'].shape == (3, NUM_ANSWERS)
    # another question about the same video changes the answer scores
    tokenizer = CLIPBPETokenizer()
    ids, q_mask = tokenizer.encode(['who is there?'] * 3, max_length=12)
    with torch.no_grad():
        other = model.task_heads['answer_cls'].answer(
            model, model.encode_text(ids, q_mask), video
        )
    assert not torch.allclose(other['answer_logits'], logits['answer_logits'])


def test_answer_mixes_log_probabilities_by_score_weight(model):
    model.eval()
    with torch.no_grad():
        _, text, video = encoded(model)
        out = model.answer(text, video)
    cls = out['answer_cls_answer_logits']
    levels = out['levels_answer_logits']
    expected = cls.log_softmax(-1) + 0.5 * levels.log_softmax(-1)
    torch.testing.assert_close(out['answer_logits'], expected)
    assert len(out['answer_text']) == 3
    assert all(isinstance(t, str) for t in out['answer_text'])
    assert model.num_answers == NUM_ANSWERS


def test_losses_of_every_qa_head(model):
    model.train()
    inputs, samples = batch()
    losses = model.loss(inputs, samples)
    assert {
        'loss_answer_cls',
        'loss_answer_gen',
        'loss_answer_entity',
        'loss_answer_distill_event',
        'loss_contrastive_entity',
    } <= set(losses)
    with torch.no_grad():
        feats = model.extract_feat(inputs)
        logits = model.task_heads['answer_cls'].answer(
            model, feats['text'], feats['video']
        )['answer_logits']
        memory, mask = model.encode_question_memory(
            feats['text'], feats['video']
        )
        token_logits = model.decoder(
            inputs['answer_input_ids'], inputs['answer_mask'], memory, mask
        )['logits']
    torch.testing.assert_close(
        losses['loss_answer_cls'].detach(),
        F.cross_entropy(logits, torch.tensor(GT)),
    )
    per_answer = []
    for b in range(3):
        real = inputs['answer_mask'][b].bool()
        per_answer.append(
            F.cross_entropy(
                token_logits[b][real], inputs['answer_target_ids'][b][real]
            )
        )
    torch.testing.assert_close(
        losses['loss_answer_gen'].detach(), torch.stack(per_answer).mean()
    )
    sum(losses.values()).backward()
    for module in (model.decoder, model.task_heads, model.memory):
        grads = [p.grad for p in module.parameters() if p.requires_grad]
        assert grads and all(g is not None for g in grads)
    model.zero_grad()


def test_generation_learns_the_answers():
    """Trained on one batch (encoded once: the towers stay fixed), the
    generated answers become the true ones, and predict writes them."""
    model = build(
        task_heads=dict(answer_gen=HEADS['answer_gen']),
        retrieval_loss_weight=0.0,
    )
    inputs, samples = batch()
    with torch.no_grad():
        features = model.extract_feat(inputs)
    params = [
        p
        for part in (model.decoder, model.memory, model.task_heads)
        for p in part.parameters()
    ]
    optimizer = torch.optim.Adam(params, lr=3e-3)
    head = model.task_heads['answer_gen']
    model.train()
    for _ in range(200):
        optimizer.zero_grad()
        head.loss(model, inputs, samples, features)[
            'loss_answer_gen'
        ].backward()
        optimizer.step()
    model.eval()
    with torch.no_grad():
        out = model.predict_answers(features, batch()[1])
    assert [s.pred_text for s in out] == ANSWERS
    assert model.num_answers is None
    assert all('pred_answer' not in s for s in out)


def test_predict_writes_the_mixed_answer(model):
    model.eval()
    inputs, samples = batch()
    with torch.no_grad():
        out = model.predict(inputs, samples)
        mixed = model.answer(*encoded(model)[1:])['answer_logits']
    assert [s.pred_answer for s in out] == mixed.argmax(-1).tolist()
    assert all(isinstance(s.pred_text, str) for s in out)


def test_bad_configurations_and_inputs(model):
    inputs, samples = batch()
    no_question = build(extra_memory_parts=())
    with pytest.raises(
        ValueError, match="extra_memory_parts=\\('question',\\)"
    ):
        no_question.answer(*encoded(no_question)[1:])
    two = dict(HEADS, other_gen=HEADS['answer_gen'])
    with pytest.raises(ValueError, match='two QA task heads generate'):
        build(task_heads=two).answer(*encoded(model)[1:])
    del inputs['answer_mask']
    with pytest.raises(KeyError, match="key='answer'"):
        model.loss(inputs, samples)
    inputs, _ = batch()
    bad = [VideoTextDataSample() for _ in range(3)]
    for sample, answer in zip(bad, [1, -1, 2]):
        sample.set_field(answer, 'gt_answer', field_type='data')
    with pytest.raises(ValueError, match='drop_unknown_answers'):
        model.loss(inputs, bad)
