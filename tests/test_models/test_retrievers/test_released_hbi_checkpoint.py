"""Released checkpoints (HBI ``pytorch_model.bin``, OpenAI CLIP) -> the hbi
retriever: names, shapes, numerics against an independent computation, and
errors on wrong files."""

import copy
import re

import pytest
import torch
from mmengine.registry import init_default_scope

from hbi.engine.runner import HBIRunner
from hbi.models.retrievers import load_model_checkpoint
from hbi.models.retrievers.released_hbi_checkpoint import (
    convert_openai_clip_checkpoint,
    convert_released_hbi_checkpoint,
    detect_layout,
)
from hbi.registry import MODELS
from hbi.utils.pretrained_files import weights_from_checkpoint
from tests.test_models.test_retrievers.released_layouts import (
    HEAD_HEADS,
    SMALL_ARCH,
    TEMPORAL_HEADS,
    TEMPORAL_LAYERS,
    expected_small_names,
    load_layouts,
    make_padded_batch,
    make_released_state_dict,
    reference_levels,
    reference_text_tokens,
    reference_video_tokens,
    wti_matrix,
)
from tests.test_tools.fast_config import load_tool

init_default_scope('hbi')


def hbi_model_cfg(arch, width, temporal_layers, temporal_heads, head_heads):
    return dict(
        type='VideoTextRetriever',
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
            num_heads=head_heads,
        ),
    )


SMALL_CFG = hbi_model_cfg(
    SMALL_ARCH,
    SMALL_ARCH['embed_dim'],
    TEMPORAL_LAYERS,
    TEMPORAL_HEADS,
    HEAD_HEADS,
)


@pytest.fixture(scope='module')
def released():
    return make_released_state_dict(seed=0)


def meta_state(layout):
    return {k: torch.empty(v, device='meta') for k, v in layout.items()}


def test_full_size_names_and_shapes():
    """All 475 released keys and all 302 OpenAI keys convert onto the
    full-size model (built on the meta device: no memory) with nothing
    missing, unexpected or of another shape."""
    layouts = load_layouts()
    assert len(layouts['hbi_retrieval_vit_b32']) == 475
    with torch.device('meta'), weights_from_checkpoint():
        model = MODELS.build(hbi_model_cfg('ViT-B/32', 512, 4, 8, 8))
    expected = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    released = meta_state(layouts['hbi_retrieval_vit_b32'])
    assert detect_layout(released) == 'released_hbi'
    converted = convert_released_hbi_checkpoint(released)
    assert sorted(converted) == sorted(expected)
    assert {k: tuple(v.shape) for k, v in converted.items()} == expected

    openai = meta_state(layouts['openai_clip_vit_b32'])
    assert detect_layout(openai) == 'openai_clip'
    towers = convert_openai_clip_checkpoint(openai)
    tower_keys = {
        k
        for k in expected
        if k.startswith(('text_encoder.', 'video_encoder.'))
    }
    assert set(towers) == tower_keys | {'logit_scale'}
    assert all(tuple(v.shape) == expected[k] for k, v in towers.items())


def test_small_layout_names_follow_the_release(released):
    """The reduced checkpoint has exactly the released names (fewer blocks)
    and the released ranks."""
    names = expected_small_names(load_layouts()['hbi_retrieval_vit_b32'])
    assert {k: v.dim() for k, v in released.items()} == names


def make_batch():
    """5 texts (32, 14, 9, 20, 5 tokens of 32) and 5 videos of 12, 4, 9, 12
    and 1 real frames of 12 (random pixels in the padded slots too)."""
    return make_padded_batch()


@pytest.fixture(scope='module')
def reference(released):
    """Independent A2-A6 similarities of the test batch, per level."""
    ids, mask, frames, frame_mask = make_batch()
    ref_text = reference_levels(
        reference_text_tokens(released, ids, mask),
        mask.float(),
        released,
        'text',
    )
    ref_video = reference_levels(
        reference_video_tokens(released, frames, frame_mask),
        frame_mask.float(),
        released,
        'video',
    )
    return ref_text, ref_video


def check_against_reference(model, reference):
    """All three levels equal the release's computation (padded frame slots
    through the vision tower as zero frames, then seqTransf and the merge
    steps), for videos shorter than max_frames; the vision tower runs once,
    on the 38 real frames and one zero frame."""
    ids, mask, frames, frame_mask = make_batch()
    model.eval()
    tower_batches = []
    hook = model.video_encoder.register_forward_hook(
        lambda module, args, out: tower_batches.append(args[0].shape[0])
    )
    with torch.no_grad():
        text = model.encode_text(ids, mask)
        video = model.encode_video(frames, frame_mask)
        sims = model.similarity(text, video)
    hook.remove()
    assert tower_batches == [int(frame_mask.sum()) + 1] == [39]
    ref_text, ref_video = reference
    for level, ref_t, ref_v in zip(
        ('entity', 'action', 'event'), ref_text, ref_video
    ):
        assert text[f'{level}_tokens'].shape == ref_t['tokens'].shape
        expected = wti_matrix(ref_t, ref_v)
        torch.testing.assert_close(sims[level], expected, atol=1e-4, rtol=1e-4)
    torch.testing.assert_close(sims['fused'], sims['entity'])
    # not a trivially constant matrix
    assert sims['entity'].std() > 1e-3


def test_released_checkpoint_numerics_via_tool(released, reference, tmp_path):
    """Released file -> converter tool -> strict load -> the three levels
    equal the independent plain-torch A2-A6 on the raw released tensors."""
    src = tmp_path / 'pytorch_model.bin'
    torch.save(released, src)
    dst = tmp_path / 'converted.pth'
    tool = load_tool('model_converters/hbi_official_to_hbi')
    checkpoint = tool.convert_file(str(src), str(dst))
    assert checkpoint['meta']['source_layout'] == 'released_hbi'
    saved = torch.load(dst, weights_only=True)
    model = MODELS.build(SMALL_CFG)
    model.load_state_dict(saved['state_dict'], strict=True)
    torch.testing.assert_close(model.logit_scale, released['clip.logit_scale'])
    check_against_reference(model, reference)


def test_runner_loads_released_file_directly(released, reference, tmp_path):
    src = tmp_path / 'pytorch_model.bin'
    torch.save({f'module.{k}': v for k, v in released.items()}, src)
    runner = HBIRunner(
        model=copy.deepcopy(SMALL_CFG),
        work_dir=str(tmp_path),
        default_scope='hbi',
    )
    checkpoint = runner.load_checkpoint(str(src))
    assert checkpoint['meta']['source_layout'] == 'released_hbi'
    check_against_reference(runner.model, reference)


def test_shared_loader_loads_released_file(released, reference, tmp_path):
    """``load_model_checkpoint`` (used by ``VideoSearchIndex.from_config``)
    accepts the released file as the runner does, and refuses an
    estimator-only file."""
    src = tmp_path / 'pytorch_model.bin'
    torch.save({f'module.{k}': v for k, v in released.items()}, src)
    model = MODELS.build(copy.deepcopy(SMALL_CFG))
    assert load_model_checkpoint(model, str(src)) == 'released_hbi'
    check_against_reference(model, reference)
    estimator = tmp_path / 'estimator.pth'
    torch.save(
        {
            k[len('banzhafteacher.') :]: v
            for k, v in released.items()
            if k.startswith('banzhafteacher.')
        },
        estimator,
    )
    with pytest.raises(ValueError, match='only a Banzhaf estimator'):
        load_model_checkpoint(model, str(estimator))


def test_openai_clip_layout_loads_towers(released, tmp_path):
    """An OpenAI-layout file (no prefix) loads into the towers through
    ``pretrained``, with nothing missing or unexpected, and gives the same
    towers as the released file's ``clip.*``."""
    openai = {k[5:]: v for k, v in released.items() if k.startswith('clip.')}
    path = tmp_path / 'ViT-tiny.pt'
    torch.save(openai, path)
    cfg = copy.deepcopy(SMALL_CFG)
    cfg['text_encoder']['pretrained'] = str(path)
    cfg['video_encoder']['pretrained'] = str(path)
    model = MODELS.build(cfg)
    model.init_weights()
    expected = convert_released_hbi_checkpoint(released)
    for key, value in model.state_dict().items():
        if key.startswith(('text_encoder.', 'video_encoder.', 'logit_scale')):
            torch.testing.assert_close(value, expected[key], msg=key)
    runner = HBIRunner(
        model=copy.deepcopy(SMALL_CFG),
        work_dir=str(tmp_path),
        default_scope='hbi',
    )
    assert (
        runner.load_checkpoint(str(path))['meta']['source_layout']
        == 'openai_clip'
    )
    torch.testing.assert_close(
        runner.model.text_encoder.text_projection.weight,
        expected['text_encoder.text_projection.weight'],
    )


def test_wrong_files_are_errors_listing_mismatches(released, tmp_path):
    runner = HBIRunner(
        model=copy.deepcopy(SMALL_CFG),
        work_dir=str(tmp_path),
        default_scope='hbi',
    )
    # not a known layout
    path = tmp_path / 'other.pth'
    torch.save({'encoder.weight': torch.zeros(3)}, path)
    with pytest.raises(ValueError, match='unrecognised checkpoint layout'):
        runner.load_checkpoint(str(path))
    # wrong shapes and a missing / an extra key, all in one message
    broken = dict(released)
    broken['t_ctm0.score.weight'] = torch.zeros(1, 7)
    del broken['v_block1.attn.proj.bias']
    broken['t_ctm2.norm.weight'] = torch.zeros(3)
    broken['extra_module.weight'] = torch.zeros(2)
    path = tmp_path / 'broken.bin'
    torch.save(broken, path)
    with pytest.raises(ValueError) as info:
        runner.load_checkpoint(str(path))
    message = str(info.value)
    assert 'head.text_merges.0.score.weight: checkpoint (1, 7)' in message
    assert 'head.video_blocks.1.attn.proj.bias' in message
    assert 'head.text_merges.2.norm.weight (3,)' in message
    assert 'extra_module.weight (2,)' in message
    # the converter tool refuses keys of no known part
    tool = load_tool('model_converters/hbi_official_to_hbi')
    with pytest.raises(ValueError, match='extra_module.weight'):
        tool.convert_file(str(path), str(tmp_path / 'out.pth'))
    # an estimator file is not a model checkpoint
    estimator = {
        k[len('banzhafteacher.') :]: v
        for k, v in released.items()
        if k.startswith('banzhafteacher.')
    }
    path = tmp_path / 'estimator.pth'
    torch.save(estimator, path)
    with pytest.raises(ValueError, match='teacher_checkpoint'):
        runner.load_checkpoint(str(path))


def test_estimator_file_converts_to_teacher(released, tmp_path):
    estimator = {
        k: v for k, v in released.items() if k.startswith('banzhafteacher.')
    }
    src = tmp_path / 'estimator.pth'
    torch.save(estimator, src)
    tool = load_tool('model_converters/hbi_official_to_hbi')
    checkpoint = tool.convert_file(str(src), str(tmp_path / 'teacher.pth'))
    state = checkpoint['state_dict']
    assert checkpoint['meta']['source_layout'] == 'estimator'
    assert sorted(state) == sorted(
        f'head.teacher.{k[len("banzhafteacher.") :]}' for k in estimator
    )
    torch.testing.assert_close(
        state['head.teacher.Q'], released['banzhafteacher.Q']
    )
    # and the head reads the raw estimator file as its teacher
    cfg = copy.deepcopy(SMALL_CFG)
    cfg['head']['teacher_checkpoint'] = str(src)
    model = MODELS.build(cfg)
    torch.testing.assert_close(
        model.head.teacher.cnn2.weight, released['banzhafteacher.cnn2.weight']
    )
    assert all(  # all but the unused ``bn``, frozen
        p.requires_grad != name.split('.')[1].startswith('bn')
        for name, p in model.head.banzhaf_estimators.named_parameters()
    )


def test_bad_inputs_are_clear_errors():
    model = MODELS.build(copy.deepcopy(SMALL_CFG))
    ids, mask, frames, frame_mask = make_batch()
    with pytest.raises(ValueError, match='rank 4'):
        model.encode_video(frames[0], frame_mask)
    with pytest.raises(ValueError, match=re.escape('frame_mask must be')):
        model.encode_video(frames, frame_mask[:, :11])
    with pytest.raises(ValueError, match='attention_mask'):
        model.encode_text(ids, mask[:, :31])


def test_without_teacher_every_trainable_parameter_gets_a_gradient():
    """Estimators are frozen without a teacher, so DDP can run with
    find_unused_parameters=False: every parameter that requires grad gets a
    gradient from one loss step."""
    model = MODELS.build(copy.deepcopy(SMALL_CFG))
    assert not model.head.use_banzhaf
    assert not any(
        p.requires_grad for p in model.head.banzhaf_estimators.parameters()
    )
    ids, mask, frames, frame_mask = make_batch()
    losses = model.loss(
        dict(
            input_ids=ids,
            attention_mask=mask,
            frames=frames,
            frame_mask=frame_mask,
        )
    )
    sum(losses.values()).backward()
    no_grad = [
        n
        for n, p in model.named_parameters()
        if p.requires_grad and p.grad is None
    ]
    assert no_grad == []
