"""The design card's entry point, configs/hbi_msrvtt.py, as a new user meets
it: ``tools/train.py`` trains from ViT-B-32.pt and the estimator (and says
where to put them when they are missing), ``tools/test.py CONFIG CKPT``
needs neither. Run on a narrow model (the config's towers, temporal module
and head shrunk) and the synthetic world, with the config's own data
pipelines (24 words, 12 frames, Pillow's resize to 224)."""

import pytest
import torch
from mmengine.config import Config

from hbi.models.backbones import resolve_clip_arch
from hbi.models.layers import BanzhafEstimator
from hbi.registry import MODELS
from hbi.utils.pretrained_files import weights_from_checkpoint
from tests.test_models.test_backbones.openai_clip_reference import (
    save_openai_clip_file,
)
from tests.test_tools.fast_config import ROOT, load_tool

ARCH = dict(
    base='tiny',
    embed_dim=32,
    vision=dict(image_size=224, patch_size=32, width=32, layers=1, heads=2),
    text=dict(width=32, layers=1, heads=2),
)


def narrow_config(path, world) -> str:
    """configs/hbi_msrvtt.py with narrow parts and the synthetic world; the
    CLIP and estimator paths are the config's own (relative to the working
    directory)."""
    loader = dict(
        batch_size=8,
        num_workers=0,
        persistent_workers=False,
        dataset=dict(data_root=str(world)),
    )
    lines = [
        f'_base_ = [{str(ROOT / "configs/hbi_msrvtt.py")!r}]',
        f'arch = {dict(ARCH, _delete_=True)!r}',
        'model = dict(text_encoder=dict(arch=arch), '
        'video_encoder=dict(arch=arch), '
        'temporal=dict(width=32, num_layers=1, num_heads=2), '
        'head=dict(embed_dim=32))',
        'train_dataloader = '
        + repr(
            dict(
                loader,
                dataset=dict(
                    loader['dataset'], list_file='annotations/train_list.csv'
                ),
            )
        ),
        f'val_dataloader = {loader!r}',
        'test_dataloader = '
        + repr(
            dict(
                loader,
                dataset=dict(
                    loader['dataset'],
                    list_file='annotations/test_list_jsfusion.csv',
                ),
            )
        ),
        'global_batch_size = 8',
        'train_cfg = dict(max_epochs=1, val_begin=2)',
    ]
    path.write_text('\n'.join(lines) + '\n')
    return str(path)


def test_entry_config_is_the_papers_model():
    cfg = Config.fromfile(str(ROOT / 'configs/hbi_msrvtt.py'))
    assert cfg.model.clip_file == 'checkpoints/clip/ViT-B-32.pt'
    assert cfg.model.text_encoder.arch == 'ViT-B/32'
    assert 'random_init' not in cfg.model.text_encoder
    assert cfg.model.head.teacher_checkpoint == (
        'checkpoints/hbi/estimator_msrvtt.pth'
    )
    assert (cfg.model.head.skl, cfg.model.head.kl) == (1.0, 2.0)


def test_train_needs_the_files_test_does_not(
    tmp_path, small_world, monkeypatch
):
    monkeypatch.chdir(tmp_path)  # the config's relative paths are missing
    cfg = narrow_config(tmp_path / 'cfg.py', small_world)
    train, test = load_tool('train'), load_tool('test')
    with pytest.raises(FileNotFoundError) as info:
        train.main([cfg, '--work-dir', str(tmp_path / 'train')])
    message = str(info.value)
    assert 'checkpoints/clip/ViT-B-32.pt' in message
    assert 'model.clip_file' in message and 'TorchScript' in message

    # a checkpoint holding the whole model: tools/test.py reads no other file
    with weights_from_checkpoint():
        model = MODELS.build(Config.fromfile(cfg).model)
    ckpt = tmp_path / 'model.pth'
    torch.save(dict(state_dict=model.state_dict()), ckpt)
    metrics = test.main([cfg, str(ckpt), '--work-dir', str(tmp_path / 't')])
    assert 0 <= metrics['t2v/R@1'] <= 100

    # with the files in place, the model starts from them
    (tmp_path / 'checkpoints/clip').mkdir(parents=True)
    (tmp_path / 'checkpoints/hbi').mkdir(parents=True)
    clip = save_openai_clip_file(
        resolve_clip_arch(ARCH),
        tmp_path / 'checkpoints/clip/ViT-B-32.pt',
        'torchscript',
        logit_scale=3.5,
    )
    with pytest.raises(FileNotFoundError, match='teacher'):
        MODELS.build(Config.fromfile(cfg).model)
    teacher = BanzhafEstimator(64)
    torch.save(
        teacher.state_dict(), tmp_path / 'checkpoints/hbi/estimator_msrvtt.pth'
    )
    model = MODELS.build(Config.fromfile(cfg).model)
    assert model.logit_scale.item() == pytest.approx(3.5)
    torch.testing.assert_close(
        model.video_encoder.visual_projection.weight,
        clip.visual.proj.detach().t(),
    )
    torch.testing.assert_close(model.head.teacher.Q, teacher.Q)
    assert model.head.use_banzhaf
    # and trains with the Banzhaf terms on
    train.main([cfg, '--work-dir', str(tmp_path / 'train')])
    log = sorted((tmp_path / 'train').rglob('*.log'))[-1].read_text()
    assert 'loss_banzhaf_entity' in log
    assert (tmp_path / 'train/epoch_1.pth').is_file()
