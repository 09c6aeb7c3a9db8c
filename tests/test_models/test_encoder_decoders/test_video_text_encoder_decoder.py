"""VideoTextEncoderDecoder: a retriever plus a decoder and a caption head."""

import pytest
import torch

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
CAPTIONS = [
    'a red circle moves left',
    'wow !$',  # "!" inside a word piece is CLIP id 0: real, not padding
    'a blue square grows, then a green triangle vanishes',
]


def _model(**kwargs):
    torch.manual_seed(0)
    cfg = dict(
        type='VideoTextEncoderDecoder',
        **RETRIEVER,
        decoder=DECODER,
        task_heads=dict(
            caption=dict(
                type='CaptionHead',
                generation=dict(
                    max_length=8, num_beams=1, no_repeat_ngram_size=0
                ),
            )
        ),
    )
    cfg.update(kwargs)
    model = MODELS.build(cfg)
    model.init_weights()
    return model


@pytest.fixture(scope='module')
def model():
    return _model()


def _inputs(max_length=12):
    ids, mask = CLIPBPETokenizer().encode(CAPTIONS, max_length=max_length)
    g = torch.Generator().manual_seed(0)
    frame_mask = torch.ones(3, 4, dtype=torch.long)
    frame_mask[1, 2:] = 0
    return dict(
        input_ids=ids,
        attention_mask=mask,
        frames=torch.randn(3, 4, 3, 32, 32, generator=g),
        frame_mask=frame_mask,
        caption_input_ids=ids[:, :-1],
        caption_target_ids=ids[:, 1:],
        caption_mask=mask[:, 1:],
    )


def test_a_retriever_with_the_same_names_plus_its_own(model):
    retriever = MODELS.build(dict(type='VideoTextRetriever', **RETRIEVER))
    own = [k for k in model.state_dict() if k not in retriever.state_dict()]
    assert set(retriever.state_dict()) <= set(model.state_dict())
    assert own and all(
        k.startswith(('decoder.', 'memory.', 'task_heads.')) for k in own
    )
    # One token table, the text tower's, used by the decoder too (the tiny
    # text width 64 differs from the decoder width 32: projections).
    table = model.text_token_embedding
    assert model.decoder.lm.token_table is table
    assert [k for k in model.state_dict() if 'token_embedding' in k] == [
        'text_encoder.text_model.embeddings.token_embedding.weight'
    ]
    assert sum(p is table.weight for p in model.parameters()) == 1


def test_memory_is_the_level_tokens_with_level_embeddings(model):
    inputs = _inputs()
    video = model.encode_video(inputs['frames'], inputs['frame_mask'])
    memory, mask = model.encode_memory(video)
    emb = model.memory.level_embedding.weight
    expected = torch.cat(
        [
            video['entity_tokens'] + emb[0],
            video['action_tokens'] + emb[1],
            video['event_tokens'] + emb[2],
        ],
        dim=1,
    )
    torch.testing.assert_close(memory, expected)
    n_action = video['action_tokens'].shape[1]
    n_event = video['event_tokens'].shape[1]
    assert mask.tolist()[1] == [1, 1, 0, 0] + [1] * (n_action + n_event)
    with pytest.raises(ValueError, match='unknown part'):
        model.encode_memory(video, extra_parts=[('question', memory, None)])


def test_meanp_head_has_no_token_levels():
    cfg = dict(RETRIEVER, head=dict(type='MeanPoolingHead'))
    model = MODELS.build(
        dict(
            type='VideoTextEncoderDecoder',
            **cfg,
            decoder=DECODER,
            task_heads=dict(caption=dict(type='CaptionHead')),
        )
    )
    inputs = _inputs()
    video = model.encode_video(inputs['frames'], inputs['frame_mask'])
    with pytest.raises(KeyError, match='no entity_tokens.*token levels'):
        model.encode_memory(video)


def _smoothed_ce(logits, targets, mask, eps=0.1):
    """Label-smoothed CE from its definition: per caption, the mean over its
    real targets of -(1-eps) log p(y) - eps * mean_v log p(v)."""
    logp = logits.log_softmax(-1)
    per_caption = []
    for b in range(logits.shape[0]):
        terms = [
            -(1 - eps) * logp[b, t, targets[b, t]] - eps * logp[b, t].mean()
            for t in range(logits.shape[1])
            if mask[b, t]
        ]
        per_caption.append(torch.stack(terms).mean())
    return torch.stack(per_caption).mean()


def test_loss_terms_and_caption_loss_value(model):
    inputs = _inputs()
    model.eval()  # no dropout, so both paths see the same network
    losses = model.loss(inputs)
    feats = model.extract_feat(inputs)
    retrieval = model.retrieval_loss(feats['text'], feats['video'])
    assert set(losses) == set(retrieval) | {'loss_caption'}
    for key, value in retrieval.items():
        torch.testing.assert_close(losses[key], value)
    memory, memory_mask = model.encode_memory(feats['video'])
    logits = model.decoder(
        inputs['caption_input_ids'],
        inputs['caption_mask'],
        memory,
        memory_mask,
    )['logits']
    expected = _smoothed_ce(
        logits, inputs['caption_target_ids'], inputs['caption_mask']
    )
    torch.testing.assert_close(losses['loss_caption'], expected)
    # The retrieval weight scales the retrieval terms only; 0 drops them.
    half = _model(retrieval_loss_weight=0.5).eval().loss(inputs)
    for key, value in retrieval.items():
        torch.testing.assert_close(half[key], 0.5 * value)
    torch.testing.assert_close(half['loss_caption'], expected)
    assert set(_model(retrieval_loss_weight=0).eval().loss(inputs)) == {
        'loss_caption'
    }


def test_padding_is_never_counted_but_id_0_inside_a_caption_is(model):
    model.eval()
    inputs = _inputs()
    base = model.loss(inputs)['loss_caption']
    padded = dict(inputs)
    targets = inputs['caption_target_ids'].clone()
    targets[inputs['caption_mask'] == 0] = 1234  # garbage in the padding
    padded['caption_target_ids'] = targets
    torch.testing.assert_close(model.loss(padded)['loss_caption'], base)
    # 'wow !$': target ids [wow, ! = 0, $, end]; the 0 is a real target.
    row = inputs['caption_target_ids'][1]
    assert row[1] == 0 and inputs['caption_mask'][1, 1] == 1
    changed = dict(inputs)
    targets = inputs['caption_target_ids'].clone()
    targets[1, 1] = 1234
    changed['caption_target_ids'] = targets
    assert not torch.allclose(model.loss(changed)['loss_caption'], base)


def test_gradients_reach_decoder_memory_towers_and_table():
    model = _model()
    model.train()
    losses = model.loss(_inputs())
    losses['loss_caption'].backward()
    for name in (
        'decoder.lm.bert.encoder.layer.0.crossattention.self.key.weight',
        'memory.level_embedding.weight',
        'video_encoder.visual_projection.weight',
        'head.video_blocks.0.norm1.weight',
        'text_encoder.text_model.embeddings.token_embedding.weight',
    ):
        param = dict(model.named_parameters()).get(name)
        assert param is not None, name
        assert param.grad is not None and param.grad.abs().sum() > 0, name


def test_predict_writes_greedy_captions(model):
    model.eval()
    inputs = _inputs()
    video_inputs = dict(
        frames=inputs['frames'], frame_mask=inputs['frame_mask']
    )
    samples = model.predict(
        video_inputs, [VideoTextDataSample() for _ in range(3)]
    )
    captions = [s.pred_caption for s in samples]
    assert all(isinstance(c, str) for c in captions)
    video = model.encode_video(inputs['frames'], inputs['frame_mask'])
    ids = model.decoder.generate(*model.encode_memory(video), max_length=8)
    assert captions == CLIPBPETokenizer().decode(ids)
    with pytest.raises(ValueError, match='data samples'):
        model.predict(video_inputs, None)


def test_retriever_checkpoint_loads_the_retriever_part(tmp_path):
    retriever = MODELS.build(dict(type='VideoTextRetriever', **RETRIEVER))
    with torch.no_grad():
        retriever.logit_scale.fill_(1.234)
    path = tmp_path / 'retriever.pth'
    torch.save(dict(state_dict=retriever.state_dict()), path)
    model = _model(retriever_checkpoint=str(path))
    fresh = _model()
    state, expected = model.state_dict(), retriever.state_dict()
    for key, value in expected.items():
        torch.testing.assert_close(state[key], value)
    for key in state:
        if key.startswith('decoder.'):
            torch.testing.assert_close(state[key], fresh.state_dict()[key])
    bad = dict(retriever.state_dict())
    bad['head.not_a_weight'] = torch.zeros(1)
    torch.save(dict(state_dict=bad), path)
    with pytest.raises(ValueError, match='unexpected keys.*not_a_weight'):
        _model(retriever_checkpoint=str(path))


def test_needs_a_task_head():
    with pytest.raises(ValueError, match='task_heads is empty'):
        MODELS.build(
            dict(
                type='VideoTextEncoderDecoder',
                **RETRIEVER,
                decoder=DECODER,
                task_heads={},
            )
        )
