"""The CLIP file and the teacher file of a retriever: where the towers and
the temperature come from, errors that say what to do, nothing silently
random, and building for a checkpoint without the files."""

import pytest
import torch
from mmengine.registry import init_default_scope

from hbi.models.backbones import (
    CLIPTextTower,
    convert_openai_clip,
    load_openai_clip_state_dict,
)
from hbi.models.layers import BanzhafEstimator
from hbi.registry import MODELS
from hbi.utils.pretrained_files import weights_from_checkpoint
from tests.test_models.test_backbones.openai_clip_reference import (
    save_openai_clip_file,
)

init_default_scope('hbi')

# Distinct widths so that a wrong part or a missed transpose cannot pass.
ARCH = dict(
    embed_dim=24,
    vision=dict(image_size=16, patch_size=8, width=32, layers=1, heads=4),
    text=dict(vocab_size=100, context_length=12, width=40, layers=1, heads=4),
)


def retriever_cfg(clip_file=None, text=None, video=None, head=None):
    return dict(
        type='VideoTextRetriever',
        clip_file=clip_file,
        text_encoder=dict(type='CLIPTextTower', arch=ARCH, **(text or {})),
        video_encoder=dict(type='CLIPVisionTower', arch=ARCH, **(video or {})),
        head=head or dict(type='MeanPoolingHead'),
    )


@pytest.mark.parametrize('fmt', ['plain', 'torchscript'])
def test_clip_file_gives_both_towers_and_the_temperature(tmp_path, fmt):
    """Read when the model is built (no runner, no init_weights)."""
    path = tmp_path / f'clip_{fmt}.pt'
    clip = save_openai_clip_file(ARCH, path, fmt, logit_scale=3.3)
    model = MODELS.build(retriever_cfg(str(path)))
    assert model.logit_scale.item() == pytest.approx(3.3)
    expected = convert_openai_clip(
        {k: v.detach() for k, v in clip.state_dict().items()}
    )
    for part, tower in (
        ('text', model.text_encoder),
        ('vision', model.video_encoder),
    ):
        state = tower.state_dict()
        assert set(state) == set(expected[part])
        for key, value in state.items():
            torch.testing.assert_close(value, expected[part][key], msg=key)
    # init_weights (what the runner calls before training) keeps them
    model.init_weights()
    assert model.logit_scale.item() == pytest.approx(3.3)


def test_missing_clip_file_says_where_and_which_formats(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(FileNotFoundError) as info:
        MODELS.build(retriever_cfg('checkpoints/clip/ViT-B-32.pt'))
    message = str(info.value)
    for part in (
        "'checkpoints/clip/ViT-B-32.pt'",
        str(tmp_path),  # relative to the working directory
        'model.clip_file',
        'github.com/openai/CLIP',
        'TorchScript',
        'state dict',
    ):
        assert part in message, part
    with pytest.raises(FileNotFoundError, match='pretrained of CLIPTextTower'):
        CLIPTextTower(ARCH, pretrained='nowhere.pt')


def test_missing_teacher_file_says_where_and_which_formats(tmp_path):
    head = dict(
        type='HierarchicalBanzhafHead',
        embed_dim=24,
        num_heads=4,
        teacher_checkpoint=str(tmp_path / 'estimator.pth'),
    )
    with pytest.raises(FileNotFoundError) as info:
        MODELS.build(head)
    message = str(info.value)
    for part in (
        'estimator.pth',
        'model.head.teacher_checkpoint',
        'jpthu17/HBI',
        'export_banzhaf_estimator.py',
        "'banzhafteacher.'",
        'teacher_checkpoint=None',
    ):
        assert part in message, part


def test_a_pretrained_size_tower_is_never_random_by_accident():
    with torch.device('meta'):
        with pytest.raises(ValueError, match='random_init=True'):
            CLIPTextTower('ViT-B/32')
        with pytest.raises(ValueError, match='random_init=True'):
            MODELS.build(
                dict(type='CLIPVisionTower', arch='ViT-B/16', pretrained=None)
            )
        CLIPTextTower('ViT-B/32', random_init=True)  # on purpose
        with weights_from_checkpoint():  # a checkpoint provides them
            CLIPTextTower('ViT-B/32')
    CLIPTextTower('tiny')  # the synthetic world's towers need no opt-in
    with pytest.raises(ValueError, match='contradict'):
        CLIPTextTower(ARCH, pretrained='a.pt', random_init=True)


def test_towers_and_temperature_come_from_one_file(tmp_path):
    one, two = tmp_path / 'one.pt', tmp_path / 'two.pt'
    save_openai_clip_file(ARCH, one)
    save_openai_clip_file(ARCH, two)
    with pytest.raises(ValueError, match='one tower pretrained'):
        MODELS.build(retriever_cfg(text=dict(pretrained=str(one))))
    with pytest.raises(ValueError, match='two files'):
        MODELS.build(
            retriever_cfg(
                text=dict(pretrained=str(one)),
                video=dict(pretrained=str(two)),
            )
        )
    with pytest.raises(ValueError, match='give the CLIP file once'):
        MODELS.build(retriever_cfg(str(one), video=dict(pretrained=str(two))))
    # the towers' own `pretrained`, the same file for both, also works
    model = MODELS.build(
        retriever_cfg(
            text=dict(pretrained=str(one)), video=dict(pretrained=str(one))
        )
    )
    assert model.clip_file == str(one)
    assert model.logit_scale.item() == pytest.approx(3.3)
    # a CLIP file without the temperature
    state = load_openai_clip_state_dict(str(one))
    del state['logit_scale']
    torch.save(state, tmp_path / 'no_scale.pt')
    with pytest.raises(ValueError, match='no logit_scale'):
        MODELS.build(retriever_cfg(str(tmp_path / 'no_scale.pt')))


def test_building_for_a_checkpoint_reads_no_file(tmp_path):
    """Inside weights_from_checkpoint neither file needs to exist and the
    structure is the training one (Banzhaf terms on, estimators trainable),
    so a full checkpoint loads strictly."""
    head = dict(
        type='HierarchicalBanzhafHead',
        embed_dim=24,
        num_heads=4,
        teacher_checkpoint=str(tmp_path / 'missing.pth'),
    )
    cfg = retriever_cfg(str(tmp_path / 'missing.pt'), head=head)
    with weights_from_checkpoint():
        model = MODELS.build(cfg)
    assert model.head.use_banzhaf
    assert model.head.banzhaf_estimators[0].Q.requires_grad
    # the same structure as a model trained with the files
    clip = tmp_path / 'clip.pt'
    save_openai_clip_file(ARCH, clip)
    teacher = tmp_path / 'teacher.pth'
    torch.save(BanzhafEstimator(64).state_dict(), teacher)
    trained = MODELS.build(
        retriever_cfg(
            str(clip), head=dict(head, teacher_checkpoint=str(teacher))
        )
    )
    model.load_state_dict(trained.state_dict(), strict=True)
