"""tools/analysis/visualize_banzhaf.py on a tiny HBI model and world."""

import numpy as np
import pytest
import torch
from matplotlib.image import imread
from mmengine.registry import init_default_scope

from hbi.models.functional.banzhaf import banzhaf_interaction
from hbi.models.layers import BanzhafEstimator
from hbi.registry import MODELS
from hbi.utils import load_config
from tests.test_tools.fast_config import BASE_CONFIG, load_generator, load_tool

init_default_scope('hbi')
tool = load_tool('analysis/visualize_banzhaf')

ARCH = (
    "dict(_delete_=True, base='tiny', embed_dim=32, "
    'vision=dict(width=32, layers=1, heads=2), '
    'text=dict(width=32, layers=1, heads=2))'
)


def _hbi_config(path, world, teacher):
    teacher_line = repr(str(teacher)) if teacher else 'None'
    path.write_text(
        '\n'.join(
            [
                f'_base_ = [{str(BASE_CONFIG)!r}]',
                f'arch = {ARCH}',
                'model = dict(text_encoder=dict(arch=arch), '
                'video_encoder=dict(arch=arch), '
                "temporal=dict(_delete_=True, type='TemporalTransformer', "
                'width=32, '
                'num_layers=1, num_heads=2), '
                "head=dict(_delete_=True, type='HierarchicalBanzhafHead', "
                'embed_dim=32, num_heads=2, '
                f'teacher_checkpoint={teacher_line}))',
                f'data_root = {str(world)!r}',
                'test_dataloader = dict(dataset=dict(data_root=data_root))',
            ]
        )
        + '\n'
    )
    return path


@pytest.fixture(scope='module')
def world(tmp_path_factory):
    out = tmp_path_factory.mktemp('viz_world') / 'synthetic'
    load_generator().generate_world(
        str(out),
        num_train=2,
        num_val=1,
        num_test=1,
        seed=2,
        workers=1,
        progress=False,
    )
    return out


@pytest.mark.parametrize('with_teacher', [True, False])
def test_writes_the_maps_png(world, tmp_path, with_teacher):
    teacher = None
    if with_teacher:
        torch.manual_seed(1)
        teacher = tmp_path / 'teacher.pth'
        torch.save(
            {
                f'banzhafteacher.{k}': v
                for k, v in BanzhafEstimator(64).state_dict().items()
            },
            teacher,
        )
    cfg_path = _hbi_config(tmp_path / 'hbi.py', world, teacher)
    cfg = load_config(str(cfg_path))
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    ckpt = tmp_path / 'hbi.pth'
    torch.save({'state_dict': model.state_dict()}, ckpt)
    video = world / 'videos' / 'video0.mp4'
    out = tmp_path / 'maps.png'
    fig, path = tool.main(
        [
            str(cfg_path),
            str(ckpt),
            '--video',
            str(video),
            '--text',
            'a red circle moves left',
            '--out',
            str(out),
            '--num-samples',
            '20',
        ]
    )
    assert path == str(out) and out.is_file()
    _, frames = tool.load_pair(cfg, str(video), 'a red circle')
    num_frames = len(frames)
    assert num_frames >= 2
    # frames + 3 levels + (Monte-Carlo, estimator) panels, and one colorbar
    # per heatmap: 3 levels + Monte-Carlo (+ estimator with a teacher).
    colorbars = 3 + 1 + int(with_teacher)
    assert len(fig.axes) == num_frames + 3 + 2 + colorbars
    titles = [ax.get_title() for ax in fig.axes]
    assert any(t.startswith('event: token-frame') for t in titles)
    notes = [t.get_text() for ax in fig.axes for t in ax.texts]
    assert any('no estimator' in n for n in notes) != with_teacher
    image = imread(out)
    width, height = fig.get_size_inches() * fig.dpi
    assert image.shape[:2] == (round(height), round(width))
    assert float(np.var(image[..., :3])) > 1e-3  # not blank
    # entity rows are the decoded words, start and end tokens included
    entity = next(
        ax
        for ax in fig.axes
        if ax.get_title().startswith('entity: token-frame')
    )
    labels = [t.get_text() for t in entity.get_yticklabels()]
    assert labels[0] == '<sot>' and labels[-1] == '<eot>'
    assert 'circle' in labels
    _check_panels(fig, model, cfg, str(video), with_teacher)


def _panel(fig, title: str) -> np.ndarray:
    """The matrix drawn in the panel whose title starts with ``title``."""
    ax = next(a for a in fig.axes if a.get_title().startswith(title))
    return np.asarray(ax.images[0].get_array(), dtype=np.float64)


def _check_panels(fig, model, cfg, video, with_teacher):
    """Each panel holds what it says, recomputed here from the model's
    token features: cosines of the real words and frames, the Monte-Carlo
    game of banzhaf_interaction with the tool's settings (20 samples, scale
    1000, seed 0), and the teacher's map of the same cosine matrix."""
    batch, _ = tool.load_pair(cfg, video, 'a red circle moves left')
    model.eval()
    with torch.no_grad():
        inputs = model.data_preprocessor(batch, False)['inputs']
        text = model.encode_text(inputs['input_ids'], inputs['attention_mask'])
        frames = model.encode_video(inputs['frames'], inputs['frame_mask'])
    rows = inputs['attention_mask'][0] > 0
    cols = inputs['frame_mask'][0] > 0
    words = text['entity_tokens'][0]
    clips = frames['entity_tokens'][0]
    cosine = torch.nn.functional.cosine_similarity(
        words[:, None], clips[None], dim=-1
    ) * (rows[:, None] & cols[None])
    real = cosine[rows][:, cols]
    np.testing.assert_allclose(
        _panel(fig, 'entity: token-frame'), real.numpy(), atol=1e-5
    )
    expected = banzhaf_interaction(
        cosine[None],
        rows[None],
        cols[None],
        text['entity_weight_logits'][:1],
        frames['entity_weight_logits'][:1],
        num_samples=20,
        scale=1000.0,
        generator=torch.Generator().manual_seed(0),
    )[0][rows][:, cols]
    monte_carlo = _panel(fig, 'entity: Monte-Carlo')
    assert monte_carlo.shape == (int(rows.sum()), int(cols.sum()))
    assert np.abs(monte_carlo).max() > 0
    np.testing.assert_allclose(monte_carlo, expected.numpy(), atol=1e-5)
    if with_teacher:
        with torch.no_grad():
            teacher = model.head.teacher(cosine[None])[0][rows][:, cols]
        np.testing.assert_allclose(
            _panel(fig, 'entity: estimator'), teacher.numpy(), atol=1e-5
        )
