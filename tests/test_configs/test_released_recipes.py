"""The released recipes: the values of the release's README commands (and
of its code, where the command leaves them at their defaults) in the
MSR-VTT, ActivityNet, DiDeMo and estimator configs, written out here."""

from pathlib import Path

import pytest
from mmengine.config import Config

ROOT = Path(__file__).resolve().parents[2]
HBI = ROOT / 'configs/retrieval/hbi'

# The README's commands: main_retrieval.py / banzhaf_estimator.py arguments.
RELEASED = {
    'msrvtt': dict(
        config=HBI / 'hbi_vit-base-p32-clip-pre_8xb16-u12-5e_msrvtt-9k.py',
        epochs=5,
        lr=1e-4,
        batch=128,
        max_words=24,
        max_frames=12,
        augment=True,  # its MSR-VTT loader: RandAugment in training
        index_rule='decord',
    ),
    'activitynet': dict(
        config=HBI / 'hbi_vit-base-p32-clip-pre_8xb16-u64-10e_activitynet.py',
        epochs=10,
        lr=1e-4,
        batch=128,
        max_words=64,
        max_frames=64,
        augment=False,  # its OpenCV loader has no augmentation
        index_rule='opencv',
    ),
    # no README command: main_retrieval.py's defaults and CLIP4Clip's sizes
    'didemo': dict(
        config=HBI / 'hbi_vit-base-p32-clip-pre_8xb16-u64-5e_didemo.py',
        epochs=5,
        lr=1e-4,
        batch=128,
        max_words=64,
        max_frames=64,
        augment=False,
        index_rule='opencv',
    ),
}


def loaders(cfg):
    return [cfg[k] for k in ('train_dataloader', 'val_dataloader')] + [
        cfg.test_dataloader
    ]


@pytest.mark.parametrize('name', sorted(RELEASED))
def test_recipe_follows_the_release(name):
    want = RELEASED[name]
    cfg = Config.fromfile(str(want['config']))
    assert cfg.global_batch_size == want['batch']
    assert cfg.train_cfg.max_epochs == want['epochs']
    (schedule,) = cfg.param_scheduler
    assert schedule.type == 'WarmupCosineLR' and schedule.warmup == 0.1
    assert schedule.end == want['epochs']
    optim = cfg.optim_wrapper
    assert optim.optimizer.lr == want['lr']
    assert optim.paramwise_cfg.clip_lr_mult == 1e-3  # --coef_lr
    assert optim.optimizer.weight_decay == 0.2
    assert optim.optimizer.betas == (0.9, 0.98) and optim.optimizer.eps == 1e-6
    assert optim.clip_grad.max_norm == 1.0
    # the release's no-decay names ('bias', 'LayerNorm.*') spare biases only
    assert optim.paramwise_cfg.no_decay_norm is False
    head = cfg.model.head
    assert (head.skl, head.kl, head.rate) == (1.0, 2.0, (1.0, 0.0, 0.0))
    assert head.text_merge_rates == head.video_merge_rates == (0.25, 0.5)
    assert head.teacher_checkpoint == 'checkpoints/hbi/estimator_msrvtt.pth'
    assert cfg.model.clip_file == 'checkpoints/clip/ViT-B-32.pt'
    assert cfg.model.temporal.num_layers == 4 and cfg.model.temporal.type == (
        'TemporalTransformer'
    )
    for loader in loaders(cfg):
        dataset = loader.dataset
        (tokenize,) = dataset.text_pipeline
        assert tokenize.max_length == want['max_words']
        assert dataset.pack.max_frames == want['max_frames']
        load, *rest = dataset.video_pipeline
        assert load.type == 'LoadVideoFrames'
        assert load.max_frames == want['max_frames']
        assert load.get('video_framerate', 1) == 1
        assert load.get('test_mode', True) is True  # no temporal jitter
        assert load.get('index_rule', 'decord') == want['index_rule']
        assert rest[-1] == dict(type='PILResizeCenterCrop', size=224)
        augment = [t for t in rest if t.type == 'VideoRandAugment']
        if loader is cfg.train_dataloader and want['augment']:
            assert augment == [
                dict(
                    type='VideoRandAugment',
                    magnitude=7,
                    num_ops=4,
                    magnitude_std=0.5,
                )
            ]
        else:
            assert augment == []


def test_estimator_recipe_follows_the_release():
    cfg = Config.fromfile(str(ROOT / 'configs/banzhaf_estimator_msrvtt.py'))
    assert cfg.model.type == 'BanzhafEstimatorTrainer'
    assert (cfg.model.num_samples, cfg.model.scale) == (100, 1000.0)
    assert cfg.global_batch_size == 128
    assert cfg.train_cfg.max_epochs == 10
    assert cfg.optim_wrapper.optimizer.lr == 1e-2
    assert cfg.optim_wrapper.optimizer.weight_decay == 0.2
    assert cfg.optim_wrapper.paramwise_cfg.bias_decay_mult == 0.0
    (schedule,) = cfg.param_scheduler
    assert schedule.type == 'WarmupCosineLR' and schedule.end == 10
    dataset = cfg.train_dataloader.dataset
    assert dataset.text_pipeline[0].max_length == 24
    assert [t.type for t in dataset.video_pipeline] == [
        'LoadVideoFrames',
        'PILResizeCenterCrop',
    ]


def test_no_config_claims_released_values_it_does_not_have():
    for path in (ROOT / 'configs').rglob('*.py'):
        text = path.read_text().lower()
        assert 'released hyper-parameters' not in text, path
    didemo = RELEASED['didemo']['config'].read_text()
    assert '# Not a released recipe' in didemo
