"""The released HBI MSRVTT-QA checkpoint -> ``VideoQuestionAnswerer``:
full-size names and shapes, and answer logits against an independent
plain-torch computation of the release's QA forward on the raw tensors."""

import copy

import pytest
import torch
from mmengine.registry import init_default_scope

from hbi.engine.runner import HBIRunner
from hbi.models.retrievers import load_model_checkpoint
from hbi.models.retrievers.released_hbi_checkpoint import (
    convert_released_hbi_checkpoint,
    detect_layout,
)
from hbi.registry import MODELS
from hbi.utils.pretrained_files import weights_from_checkpoint
from tests.test_models.test_answerers.qa_reference import (
    QA_LAYOUT,
    SMALL_CFG,
    make_batch,
    qa_model_cfg,
    reference_answer_logits,
)
from tests.test_models.test_retrievers.released_layouts import (
    expected_small_names,
    load_layouts,
    make_released_state_dict,
)
from tests.test_tools.fast_config import load_tool

init_default_scope('hbi')


def test_full_size_names_and_shapes():
    """All 523 released QA keys convert onto the full-size ViT-B/16 model
    (built on the meta device) with nothing missing, unexpected or of
    another shape."""
    layout = load_layouts()[QA_LAYOUT]
    assert len(layout) == 523
    with torch.device('meta'), weights_from_checkpoint():
        model = MODELS.build(qa_model_cfg('ViT-B/16', 512, 4, 8, 1500))
    expected = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    released = {k: torch.empty(v, device='meta') for k, v in layout.items()}
    assert detect_layout(released) == 'released_hbi_qa'
    converted = convert_released_hbi_checkpoint(released)
    assert sorted(converted) == sorted(expected)
    assert {k: tuple(v.shape) for k, v in converted.items()} == expected
    head = model.answer_head.classifiers[0]
    assert head.classifier[0].in_features == 4096
    assert head.classifier[2].out_features == 1500


@pytest.fixture(scope='module')
def released():
    return make_released_state_dict(seed=3, layout=QA_LAYOUT)


def test_small_layout_names_follow_the_release(released):
    names = expected_small_names(load_layouts()[QA_LAYOUT])
    assert {k: v.dim() for k, v in released.items()} == names


@pytest.fixture(scope='module')
def reference(released):
    with torch.no_grad():
        return reference_answer_logits(released)


def assert_logits_close(actual, expected):
    """Equal up to float32 rounding relative to the logits' scale (random
    weights give logits of a few hundred)."""
    scale = float(expected.abs().max())
    torch.testing.assert_close(actual, expected, atol=1e-5 * scale, rtol=0)


def check_answers(model, reference):
    ids, mask, frames, frame_mask = make_batch()
    model.eval()
    with torch.no_grad():
        out = model(
            dict(
                input_ids=ids,
                attention_mask=mask,
                frames=frames,
                frame_mask=frame_mask,
            ),
            mode='tensor',
        )
    mixed, levels = reference
    assert out['answer_logits'].shape == (3, 1500)
    for name, expected in zip(('entity', 'action', 'event'), levels):
        assert_logits_close(out[f'{name}_answer_logits'], expected)
    assert_logits_close(out['answer_logits'], mixed)
    # The event level holds one text and one video token (rates 0.125 and
    # 0.25), and the logits are far from constant.
    assert out['text']['event_tokens'].shape[1] == 1
    assert out['video']['event_tokens'].shape[1] == 1
    assert mixed.std() > 1e-2


def test_pooling_quirk_changes_the_answers(released, reference):
    """The entity level's unmasked softmax is what the release computes:
    the masked variant gives other logits for the padded questions."""
    with torch.no_grad():
        _, masked = reference_answer_logits(released, mask_weights=True)
    _, levels = reference
    scale = float(levels[0].abs().max())
    assert not torch.allclose(masked[0][1:], levels[0][1:], atol=1e-2 * scale)
    torch.testing.assert_close(masked[1], levels[1])
    model = MODELS.build(copy.deepcopy(SMALL_CFG))
    model.answer_head.classifiers[0].mask_weights = True
    model.load_state_dict(convert_released_hbi_checkpoint(released))
    ids, mask, frames, frame_mask = make_batch()
    model.eval()
    with torch.no_grad():
        out = model.answer(
            model.encode_text(ids, mask),
            model.encode_video(frames, frame_mask),
        )
    assert_logits_close(out['entity_answer_logits'], masked[0])


def test_released_qa_checkpoint_via_tool(released, reference, tmp_path):
    """Released file -> converter tool -> strict load -> answer logits
    equal the independent computation."""
    src = tmp_path / 'pytorch_model.bin'
    torch.save(released, src)
    dst = tmp_path / 'converted.pth'
    tool = load_tool('model_converters/hbi_official_to_hbi')
    checkpoint = tool.convert_file(str(src), str(dst))
    assert checkpoint['meta']['source_layout'] == 'released_hbi_qa'
    saved = torch.load(dst, weights_only=True)
    model = MODELS.build(copy.deepcopy(SMALL_CFG))
    model.load_state_dict(saved['state_dict'], strict=True)
    check_answers(model, reference)


def test_runner_and_shared_loader_read_the_released_file(
    released, reference, tmp_path
):
    src = tmp_path / 'pytorch_model.bin'
    torch.save({f'module.{k}': v for k, v in released.items()}, src)
    runner = HBIRunner(
        model=copy.deepcopy(SMALL_CFG),
        work_dir=str(tmp_path),
        default_scope='hbi',
    )
    checkpoint = runner.load_checkpoint(str(src))
    assert checkpoint['meta']['source_layout'] == 'released_hbi_qa'
    check_answers(runner.model, reference)
    model = MODELS.build(copy.deepcopy(SMALL_CFG))
    assert load_model_checkpoint(model, str(src)) == 'released_hbi_qa'
    check_answers(model, reference)


def test_retrieval_model_refuses_the_qa_file(released, tmp_path):
    """A retrieval config given the QA checkpoint fails naming the answer
    head's weights (nothing is silently dropped)."""
    src = tmp_path / 'pytorch_model.bin'
    torch.save(released, src)
    cfg = copy.deepcopy(SMALL_CFG)
    cfg['type'] = 'VideoTextRetriever'
    del cfg['answer_head']
    model = MODELS.build(cfg)
    with pytest.raises(ValueError, match=r'answer_head\.classifiers\.0'):
        load_model_checkpoint(model, str(src))
