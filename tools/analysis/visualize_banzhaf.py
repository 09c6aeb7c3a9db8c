"""Draw HBI's interaction maps of one (video, text) pair.

``python tools/analysis/visualize_banzhaf.py CONFIG CHECKPOINT --video V
--text "..." [--out maps.png]``

``CONFIG`` is an HBI retriever config (``VideoTextRetriever`` with the
``HierarchicalBanzhafHead``) or a ``BanzhafEstimatorTrainer`` config;
``CHECKPOINT`` its weights (for a retriever also the released HBI file, as
``tools/test.py`` reads it). The video goes through the config's test video
pipeline (without its frame cache), the text through its text pipeline.

The PNG shows the sampled frames; per level the token x frame cosine map of
the pair (entity: words x frames; action/event: merged text tokens x merged
video tokens); and, for the entity level, the Monte-Carlo Banzhaf Interaction
(``--num-samples`` coalitions, A scaled by ``--scale``, seeded by ``--seed``)
next to the estimator's map: the HBI head's teacher when it has one, the
trainer's estimator for a trainer config, otherwise a note saying there is
none.
"""

import argparse
import os
import os.path as osp
import sys
from typing import Dict, List, Tuple

import numpy as np
import torch

sys.path.insert(
    0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
)

from mmengine.dataset import Compose, pseudo_collate  # noqa: E402
from mmengine.registry import init_default_scope  # noqa: E402
from mmengine.utils import import_modules_from_strings  # noqa: E402

from hbi.models.backbones.openai_clip_conversion import load_state_dict_checked  # noqa: E402
from hbi.models.functional.banzhaf import banzhaf_interaction  # noqa: E402
from hbi.models.layers import positive_pair_interaction  # noqa: E402
from hbi.models.retrievers.banzhaf_estimator_trainer import (
    BanzhafEstimatorTrainer,
)  # noqa: E402
from hbi.models.retrievers.released_hbi_checkpoint import (
    convert_foreign_checkpoint,
)  # noqa: E402
from hbi.models.tokenizers import CLIPBPETokenizer  # noqa: E402
from hbi.registry import MODELS, TRANSFORMS  # noqa: E402
from hbi.utils import ConfigOptionsAction, load_config  # noqa: E402
from hbi.utils.checkpoint_files import load_checkpoint_file  # noqa
from hbi.utils.pretrained_files import weights_from_checkpoint  # noqa: E402
from hbi.visualization import LevelMap, plot_banzhaf_maps  # noqa: E402

LEVELS = ('entity', 'action', 'event')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config')
    parser.add_argument('checkpoint')
    parser.add_argument('--video', required=True, help='video file')
    parser.add_argument('--text', required=True, help='the caption')
    parser.add_argument(
        '--out',
        help='PNG to write (default: work_dirs/banzhaf_maps/<video>.png)',
    )
    parser.add_argument('--num-samples', type=int, default=100)
    parser.add_argument('--scale', type=float, default=1000.0)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=ConfigOptionsAction,
        help='override config keys, e.g. data_root=DIR',
    )
    return parser.parse_args(argv)


def build_model(cfg, checkpoint: str) -> torch.nn.Module:
    """The config's model with the checkpoint's weights (checked)."""
    with weights_from_checkpoint():
        model = MODELS.build(cfg.model)
    ckpt = load_checkpoint_file(checkpoint)
    state = ckpt.get('state_dict', ckpt)
    state = {
        (k[7:] if k.startswith('module.') else k): v for k, v in state.items()
    }
    if not isinstance(model, BanzhafEstimatorTrainer):
        state = convert_foreign_checkpoint(state)[1]
    load_state_dict_checked(model, state, checkpoint)
    return model.eval()


def load_pair(cfg, video: str, text: str) -> Tuple[dict, np.ndarray]:
    """Collated inputs of the pair and its real frames (T, H, W, 3) uint8."""
    dataset = cfg.test_dataloader.dataset
    steps = [
        step.get('loader') if step.get('type') == 'FrameCache' else step
        for step in dataset.video_pipeline
    ]
    pipeline = Compose(
        [TRANSFORMS.build(step) for step in steps]
        + [TRANSFORMS.build(step) for step in dataset.text_pipeline]
        + [TRANSFORMS.build(dataset.pack)]
    )
    video_id = osp.splitext(osp.basename(video))[0]
    packed = pipeline(
        dict(
            video_path=video,
            video_id=video_id,
            caption=text,
            item_modality='pair',
            text_index=0,
            video_index=0,
            start=None,
            end=None,
        )
    )
    frames = packed['inputs']['frames']
    real = packed['inputs']['frame_mask'] > 0
    return pseudo_collate([packed]), frames[real].permute(0, 2, 3, 1).numpy()


def decode_words(input_ids: torch.Tensor, mask: torch.Tensor) -> List[str]:
    """Readable BPE tokens of the real positions."""
    ids = input_ids[mask > 0].tolist()
    # CLIPBPETokenizer wraps transformers' CLIPTokenizer; its id -> token
    # table is that backend's.
    tokens = CLIPBPETokenizer()._backend.convert_ids_to_tokens(ids)
    names = {'<|startoftext|>': '<sot>', '<|endoftext|>': '<eot>'}
    return [names.get(t, t.replace('</w>', '')) for t in tokens]


@torch.no_grad()
def compute_maps(
    model: torch.nn.Module,
    inputs: Dict[str, torch.Tensor],
    num_samples: int,
    scale: float,
    seed: int,
) -> dict:
    """Per-level cosine maps, entity Monte-Carlo map and estimator map."""
    if isinstance(model, BanzhafEstimatorTrainer):
        game = model.entity_inputs(inputs)
        text, video = game['text'], game['video']
        estimator = model.estimator
    else:
        text = model.encode_text(inputs['input_ids'], inputs['attention_mask'])
        video = model.encode_video(inputs['frames'], inputs['frame_mask'])
        if 'entity_tokens' not in text:
            raise ValueError(
                f'{type(model.head).__name__} gives no '
                'per-level tokens; use an HBI config'
            )
        game = dict(
            pairs=positive_pair_interaction(
                text['entity_tokens'],
                text['entity_mask'],
                video['entity_tokens'],
                video['entity_mask'],
            ),
            text_mask=text['entity_mask'],
            video_mask=video['entity_mask'],
            text_weight_logits=text['entity_weight_logits'],
            video_weight_logits=video['entity_weight_logits'],
        )
        estimator = model.head.teacher if model.head.use_banzhaf else None
    rows, cols = game['text_mask'][0] > 0, game['video_mask'][0] > 0
    levels = {'entity': game['pairs'][0][rows][:, cols]}
    for level in LEVELS[1:]:
        if f'{level}_tokens' in text:
            levels[level] = positive_pair_interaction(
                text[f'{level}_tokens'], None, video[f'{level}_tokens'], None
            )[0]
    generator = torch.Generator().manual_seed(seed)
    mc = banzhaf_interaction(
        game['pairs'],
        game['text_mask'],
        game['video_mask'],
        game['text_weight_logits'],
        game['video_weight_logits'],
        num_samples=num_samples,
        scale=scale,
        generator=generator,
    )[0]
    estimate = (
        estimator(game['pairs'])[0][rows][:, cols]
        if estimator is not None
        else None
    )
    return dict(
        levels=levels, monte_carlo=mc[rows][:, cols], estimate=estimate
    )


def main(argv=None):
    """Write the PNG; return (figure, path)."""
    args = parse_args(argv)
    cfg = load_config(args.config, args.cfg_options)
    if cfg.get('custom_imports'):
        import_modules_from_strings(**cfg.custom_imports)
    init_default_scope(cfg.get('default_scope', 'hbi'))
    if not osp.isfile(args.video):
        raise SystemExit(f'--video {args.video!r} does not exist')
    model = build_model(cfg, args.checkpoint)
    batch, frames = load_pair(cfg, args.video, args.text)
    inputs = model.data_preprocessor(batch, False)['inputs']
    maps = compute_maps(model, inputs, args.num_samples, args.scale, args.seed)
    words = decode_words(inputs['input_ids'][0], inputs['attention_mask'][0])
    frame_labels = [f'F{i}' for i in range(len(frames))]
    level_maps = []
    for name, matrix in maps['levels'].items():
        if name == 'entity':
            row_labels, col_labels = words, frame_labels
        else:
            row_labels = [f'T{i}' for i in range(matrix.shape[0])]
            col_labels = [f'V{i}' for i in range(matrix.shape[1])]
        level_maps.append(
            LevelMap(name, matrix.cpu().numpy(), row_labels, col_labels)
        )
    estimate = maps['estimate']
    fig = plot_banzhaf_maps(
        frames,
        level_maps,
        words,
        monte_carlo=maps['monte_carlo'].cpu().numpy(),
        estimate=None if estimate is None else estimate.cpu().numpy(),
        caption=f'{osp.basename(args.video)}: "{args.text}"',
        missing_estimator='no estimator: the model has no teacher '
        '(teacher_checkpoint=None)',
    )
    out = args.out or osp.join(
        'work_dirs',
        'banzhaf_maps',
        osp.splitext(osp.basename(args.video))[0] + '.png',
    )
    os.makedirs(osp.dirname(osp.abspath(out)), exist_ok=True)
    fig.savefig(out)
    print(f'wrote {out}')
    return fig, out


if __name__ == '__main__':
    main()
