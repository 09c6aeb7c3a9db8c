"""Every config under configs/ (``_base_`` excluded) builds its model.

- Configs on the tiny synthetic-world towers are built for real (with their
  teacher pointed at a random estimator file the test writes) and run
  ``loss`` and ``predict`` on a tiny random batch: the loss terms are the
  config's (levels, Banzhaf terms), each contrastive term equals InfoNCE
  recomputed from the model's similarity matrices, the gradient reaches both
  towers, and ``pred_score`` is each pair's fused similarity.
- Full-size configs (ViT-B/*) are built on the meta device as for a
  checkpoint (``weights_from_checkpoint``: the CLIP and teacher files are
  not read): every component type, argument
  and module is checked, at no memory cost; running them would build
  ViT-B twice per config (~150M parameters each), too slow for this 2-core
  machine. Their other registered names (datasets, transforms, schedulers,
  optimiser constructor, loops, hooks, metrics) are resolved in the
  registries.
- Names follow the naming grammar of docs/en/user_guides/config.md; entry
  points directly under ``configs/`` (``configs/hbi_msrvtt.py``, the documented
  exception) are exempt.
- Configs of other model types (e.g. the estimator trainer) are only parsed
  and their model type resolved here; their own tests build them.
"""

import copy
import re
from pathlib import Path

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope

import hbi.datasets  # noqa: F401
import hbi.engine  # noqa: F401
import hbi.evaluation  # noqa: F401
from hbi.models.layers import BanzhafEstimator
from hbi.registry import (
    DATASETS,
    HOOKS,
    LOOPS,
    METRICS,
    MODELS,
    OPTIM_WRAPPER_CONSTRUCTORS,
    PARAM_SCHEDULERS,
    TRANSFORMS,
)
from hbi.structures import VideoTextDataSample
from hbi.utils.pretrained_files import weights_from_checkpoint

ROOT = Path(__file__).resolve().parents[2]
CONFIGS = sorted(
    p for p in (ROOT / 'configs').rglob('*.py') if '_base_' not in p.parts
)
CONFIG_NAME = re.compile(
    r'^[a-z0-9]+(-[a-z0-9]+)*_[a-z0-9-]+_\d+xb\d+'
    r'(-[a-z0-9]+)*_[a-z0-9]+(-[a-z0-9]+)*\.py$'
)
# Entry points at the top of configs/ (the design card's hbi_msrvtt.py and
# other issues' entry points) are exempt from the grammar.
NAME_EXCEPTIONS = {p.name for p in CONFIGS if p.parent == ROOT / 'configs'}

init_default_scope('hbi')


def ids(paths):
    return [str(p.relative_to(ROOT / 'configs')) for p in paths]


def is_full_size(cfg) -> bool:
    return str(cfg.model.text_encoder.get('arch')).startswith('ViT')


def strip_files(model_cfg: dict, teacher=None) -> dict:
    model_cfg = copy.deepcopy(model_cfg)
    for tower in ('text_encoder', 'video_encoder'):
        model_cfg[tower]['pretrained'] = None
    if 'teacher_checkpoint' in model_cfg['head'] or teacher:
        model_cfg['head']['teacher_checkpoint'] = teacher
    if model_cfg.get('retriever_checkpoint'):  # a trained model's file
        model_cfg['retriever_checkpoint'] = None
    return model_cfg


def test_there_are_hbi_configs():
    names = {p.name for p in CONFIGS}
    assert 'hbi_msrvtt.py' in names
    assert 'hbi_vit-base-p32-clip-pre_8xb16-u12-5e_msrvtt-9k.py' in names
    assert 'hbi_vit-tiny-p8-scratch_1xb64-u12-8e_synthetic.py' in names


@pytest.mark.parametrize('path', CONFIGS, ids=ids(CONFIGS))
def test_config_name(path):
    if path.name in NAME_EXCEPTIONS:
        return
    assert CONFIG_NAME.match(path.name), path.name


def registered_names(cfg):
    """(registry, type) of every non-model component the config names."""
    out = [
        (
            OPTIM_WRAPPER_CONSTRUCTORS,
            cfg.optim_wrapper.get(
                'constructor', 'DefaultOptimWrapperConstructor'
            ),
        )
    ]
    out += [(PARAM_SCHEDULERS, s['type']) for s in cfg.param_scheduler]
    out += [
        (LOOPS, cfg[k]['type'])
        for k in ('train_cfg', 'val_cfg', 'test_cfg')
        if 'type' in cfg[k]
    ]
    out += [(HOOKS, h['type']) for h in cfg.custom_hooks]
    out += [(METRICS, cfg.val_evaluator['type'])]
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        dataset = cfg[loader].dataset
        out.append((DATASETS, dataset.type))
        pipeline = list(dataset.video_pipeline) + list(dataset.text_pipeline)
        out += [(TRANSFORMS, t['type']) for t in pipeline + [dataset.pack]]
    return out


#: Model types built (and, at tiny size, run) by test_config_builds.
MODEL_TYPES = (
    'VideoTextRetriever',
    'VideoQuestionAnswerer',
    'VideoTextEncoderDecoder',
)
#: The answer's decoder inputs some QA configs pack.
ANSWER_KEYS = ('answer_input_ids', 'answer_target_ids', 'answer_mask')


def is_videoqa(cfg) -> bool:
    return str(cfg.test_cfg.get('type', '')).startswith('VideoQA')


@pytest.mark.parametrize('path', CONFIGS, ids=ids(CONFIGS))
def test_config_builds(path, tmp_path):
    cfg = Config.fromfile(str(path))
    assert MODELS.get(cfg.model.type) is not None, cfg.model.type
    if cfg.model.type not in MODEL_TYPES:
        return
    for registry, name in registered_names(cfg):
        assert registry.get(name) is not None, f'{name} not in {registry}'
    if is_full_size(cfg):
        with torch.device('meta'), weights_from_checkpoint():
            model = MODELS.build(cfg.model)
        width = model.text_encoder.embed_dim
        assert getattr(model.head, 'embed_dim', width) == width
        fusion = getattr(model, 'fusion_encoder', None)
        assert fusion is None or fusion.embed_dim == width
        return
    teacher = None
    if cfg.model.head.type == 'HierarchicalBanzhafHead':
        teacher = tmp_path / 'estimator.pth'
        torch.save(BanzhafEstimator(64).state_dict(), teacher)
        teacher = str(teacher)
    model = MODELS.build(strip_files(cfg.model, teacher))
    model.init_weights()
    check_loss_and_predict(model, cfg, teacher is not None)


def side_inputs(model, frames, input_ids, attention_mask) -> dict:
    """The side inputs the model's extra losses declare (content words,
    masked text, two segments of two frames per video)."""
    names = {
        name
        for loss in getattr(model, 'extra_losses', ())
        for name in (*loss.required_inputs, *loss.optional_inputs)
    }
    out = {}
    if 'content_word_mask' in names:
        out['content_word_mask'] = attention_mask.clone()
        out['content_word_mask'][:, 0] = 0
    if 'masked_attention_mask' in names:
        out['masked_attention_mask'] = attention_mask.clone()
        out['masked_attention_mask'][:, 2:4] = 0
    if 'segment_frames' in names:
        out.update(
            segment_frames=frames[:, None, :2].repeat(1, 2, 1, 1, 1, 1),
            segment_frame_mask=torch.ones(2, 2, 2, dtype=torch.long),
            segment_mask=torch.ones(2, 2, dtype=torch.long),
        )
    if 'segment_sentences' in names:
        out.update(
            segment_input_ids=input_ids[:, None].repeat(1, 2, 1),
            segment_attention_mask=attention_mask[:, None].repeat(1, 2, 1),
        )
    return out


def check_loss_and_predict(model, cfg, banzhaf: bool):
    torch.manual_seed(0)
    size = cfg.image_size
    frames = torch.randint(
        0, 256, (2, cfg.max_frames, 3, size, size), dtype=torch.uint8
    )
    frame_mask = torch.ones(2, cfg.max_frames, dtype=torch.long)
    frame_mask[1, -3:] = 0
    input_ids = torch.zeros(2, cfg.max_words, dtype=torch.long)
    attention_mask = torch.zeros_like(input_ids)
    for b, n in enumerate((cfg.max_words, 10)):
        input_ids[b, :n] = torch.randint(1, 49000, (n,))
        input_ids[b, 0], input_ids[b, n - 1] = 49406, 49407
        attention_mask[b, :n] = 1
    samples = [VideoTextDataSample() for _ in range(2)]
    qa = is_videoqa(cfg)
    for index, sample in enumerate(samples):
        if qa:  # a question's answer index
            sample.set_field(index, 'gt_answer', field_type='data')
    inputs = dict(
        frames=frames,
        frame_mask=frame_mask,
        input_ids=input_ids,
        attention_mask=attention_mask,
        **side_inputs(model, frames, input_ids, attention_mask),
    )
    packed = cfg.test_dataloader.dataset.pack.get('text_keys', ())
    if set(ANSWER_KEYS) <= set(packed):
        answer = torch.tensor([[49406, 1746, 49407, 0]] * 2)  # 'blue'
        inputs.update(
            answer_input_ids=answer[:, :-1],
            answer_target_ids=answer[:, 1:],
            answer_mask=(answer[:, 1:] > 0).long(),
        )
    data = dict(inputs=inputs, data_samples=samples)
    batch = model.data_preprocessor(data, training=True)
    model.train()
    losses = model(**batch, mode='loss')
    # A plain retriever's losses are checked against their definition;
    # other models (extra losses, the neck, task heads) for finiteness.
    plain = _is_plain_retriever(cfg)
    if plain:
        sims = _similarities_by_definition(model, batch['inputs'])
        tau = float(model.logit_scale.exp())
        head = cfg.model.head
        if head.type == 'HierarchicalBanzhafHead':
            levels = ('entity', 'action', 'event')[: head.get('num_levels', 3)]
            expected_keys = {f'loss_contrastive_{lvl}' for lvl in levels}
            expected_keys |= {f'loss_self_distill_{lvl}' for lvl in levels[1:]}
            if banzhaf:
                expected_keys |= {f'loss_banzhaf_{lvl}' for lvl in levels}
            contrastive = {f'loss_contrastive_{lvl}': lvl for lvl in levels}
        else:
            contrastive = {'loss_contrastive': 'fused'}
            expected_keys = set(contrastive)
        assert set(losses) == expected_keys
        for key, level in contrastive.items():
            torch.testing.assert_close(
                losses[key].double(),
                _info_nce(sims[level].double(), tau),
                atol=1e-5,
                rtol=1e-5,
            )
        for key in expected_keys - set(contrastive):
            assert losses[key] >= 0, key  # KL divergences
        total = sum(losses.values())
        total.backward()
        # The towers train: the loss reaches the first layer of each.
        for tower in (model.text_encoder, model.video_encoder):
            grads = [p.grad for p in tower.parameters() if p.grad is not None]
            assert grads and any(g.abs().sum() > 0 for g in grads)
    else:
        total = sum(v for k, v in losses.items() if 'loss' in k)
        assert torch.isfinite(total)
        total.backward()
        if banzhaf:
            assert 'loss_banzhaf_entity' in losses
    model.eval()
    with torch.no_grad():
        out = model(**model.data_preprocessor(data), mode='predict')
    assert len(out) == 2
    if plain:
        torch.testing.assert_close(
            torch.stack([s.pred_score for s in out]),
            sims['fused'].diagonal().float(),
            atol=1e-5,
            rtol=1e-5,
        )
    else:
        for sample in out:
            if qa:
                assert 'pred_answer' in sample or 'pred_text' in sample
            elif 'pred_score' in sample:
                assert torch.isfinite(sample.pred_score)
            else:
                assert 'pred_caption' in sample


@torch.no_grad()
def _similarities_by_definition(model, inputs):
    """The model's similarities of the batch (texts x videos), from its
    encoders, so that the losses can be recomputed from their definition."""
    text = model.encode_text(inputs['input_ids'], inputs['attention_mask'])
    video = model.encode_video(inputs['frames'], inputs['frame_mask'])
    return model.similarity(text, video)


def _info_nce(sim: torch.Tensor, tau: float) -> torch.Tensor:
    """1/2 (mean_a -log softmax_b(tau s)[a, a] + the same on s^T)."""
    logits = tau * sim
    rows = -(logits.diagonal() - logits.logsumexp(dim=1)).mean()
    cols = -(logits.diagonal() - logits.logsumexp(dim=0)).mean()
    return 0.5 * (rows + cols)


def _is_plain_retriever(cfg) -> bool:
    """A VideoTextRetriever with no extra losses and no reconstruction."""
    model = cfg.model
    return (
        model.type == 'VideoTextRetriever'
        and not model.get('extra_losses')
        and not model.head.get('reconstruction')
    )


QA_CONFIGS = [p for p in CONFIGS if is_videoqa(Config.fromfile(str(p)))]


@pytest.mark.parametrize('path', QA_CONFIGS, ids=ids(QA_CONFIGS))
def test_videoqa_configs_validate_on_val_and_keep_the_best(path):
    """The best checkpoint is chosen on the validation split by qa/acc;
    the QA loops evaluate (each video once)."""
    cfg = Config.fromfile(str(path))
    assert cfg.default_hooks.checkpoint.save_best == 'qa/acc'
    assert 'val' in cfg.val_dataloader.dataset.ann_file
    assert 'test' in cfg.test_dataloader.dataset.ann_file
    assert cfg.val_cfg.type == 'VideoQAValLoop'
    assert cfg.test_cfg.type == 'VideoQATestLoop'
    assert cfg.train_dataloader.dataset.drop_unknown_answers
