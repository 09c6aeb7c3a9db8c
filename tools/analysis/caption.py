"""Caption one's own videos with a trained encoder-decoder.

    python tools/analysis/caption.py CONFIG CKPT VIDEO [VIDEO ...] \
        [--num-beams 3] [--max-length 20] [--out-dir DIR] [--device cpu]

Each video goes through the config's test video pipeline (frame sampling,
resize, crop), the model captions them in batches, and one line per video
is printed (``path<TAB>caption``); ``--out-dir`` also writes each video's
frames with its caption as a PNG.
"""

import argparse
import os.path as osp
import sys

sys.path.insert(
    0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
)

import torch  # noqa: E402
from mmengine.config import Config  # noqa: E402
from mmengine.dataset import Compose, pseudo_collate  # noqa: E402
from mmengine.registry import init_default_scope  # noqa: E402

from hbi.models.retrievers.model_checkpoint import (  # noqa: E402
    load_model_checkpoint,
)
from hbi.registry import MODELS, TRANSFORMS  # noqa: E402
from hbi.utils.pretrained_files import weights_from_checkpoint  # noqa: E402


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config')
    parser.add_argument('checkpoint')
    parser.add_argument('videos', nargs='+', help='video files')
    parser.add_argument('--num-beams', type=int, help='override the beam')
    parser.add_argument(
        '--max-length', type=int, help='override the most tokens per caption'
    )
    parser.add_argument('--batch-size', type=int, default=8)
    parser.add_argument('--out-dir', help='write frames + caption PNGs here')
    parser.add_argument('--device', default='cpu')
    return parser.parse_args(argv)


def build_model(config: str, checkpoint: str, device: str = 'cpu'):
    """The config's model with the checkpoint's weights, in eval mode, and
    the config (its test pipeline is needed to read the videos)."""
    cfg = Config.fromfile(config)
    init_default_scope(cfg.get('default_scope', 'hbi'))
    cfg.model.pop('retriever_checkpoint', None)  # the checkpoint has it all
    with weights_from_checkpoint():  # no CLIP / estimator file is read
        model = MODELS.build(cfg.model)
    load_model_checkpoint(model, checkpoint)
    if 'caption' not in getattr(model, 'task_heads', {}):
        raise SystemExit(
            f'{config}: the model has no caption head (task_heads.caption)'
        )
    return model.to(device).eval(), cfg


def caption_videos(
    model,
    cfg,
    paths,
    batch_size: int = 8,
    **generation,
):
    """Captions of video files, in order (see the module docstring)."""
    data = cfg.test_dataloader.dataset
    pack = data.get('pack') or dict(type='PackVideoTextInputs')
    pipeline = Compose(
        [TRANSFORMS.build(t) for t in [*data.video_pipeline, pack]]
    )
    head = model.task_heads['caption']
    generation = {k: v for k, v in generation.items() if v is not None}
    captions = []
    for start in range(0, len(paths), batch_size):
        items = []
        for i, path in enumerate(paths[start : start + batch_size]):
            if not osp.isfile(path):
                raise SystemExit(f'video not found: {path}')
            items.append(
                pipeline(
                    dict(
                        item_modality='video',
                        video_id=osp.splitext(osp.basename(path))[0],
                        video_path=path,
                        video_index=start + i,
                        text_index=-1,
                        caption='',
                        start=None,
                        end=None,
                    )
                )
            )
        batch = model.data_preprocessor(pseudo_collate(items), False)
        inputs = batch['inputs']
        with torch.no_grad():
            video = model.encode_video(inputs['frames'], inputs['frame_mask'])
            ids = head.generate_ids(model, dict(video=video), **generation)
        captions += head.tokenizer.decode(ids)
    return captions


def main(argv=None):
    args = parse_args(argv)
    model, cfg = build_model(args.config, args.checkpoint, args.device)
    captions = caption_videos(
        model,
        cfg,
        args.videos,
        args.batch_size,
        num_beams=args.num_beams,
        max_length=args.max_length,
    )
    for path, caption in zip(args.videos, captions):
        print(f'{path}\t{caption}')
    if args.out_dir:
        from hbi.visualization import plot_caption

        for path, caption in zip(args.videos, captions):
            name = osp.splitext(osp.basename(path))[0]
            plot_caption(path, osp.join(args.out_dir, f'{name}.png'), caption)
    return captions


if __name__ == '__main__':
    main()
