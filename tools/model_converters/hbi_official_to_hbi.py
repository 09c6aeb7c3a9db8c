"""Convert a released HBI checkpoint (or estimator file) to the hbi layout.

``python tools/model_converters/hbi_official_to_hbi.py IN OUT``

- ``IN`` = the release's ``pytorch_model.bin`` (475 keys: ``clip.*``,
  ``frame_position_embeddings`` / ``transformerClip.*``, the head's
  ``text_weight_fc*``, ``t_ctm*``, ``banzhafmodel*``, ...) -> every key in
  ``VideoTextRetriever`` names;
- ``IN`` = the release's MSRVTT-QA ``pytorch_model.bin`` (523 keys: the
  above with ViT-B/16 towers, plus the per-level answer classifiers
  ``t_weight*``, ``v_weight*``, ``t_proj*``, ``v_proj*``, ``classifier*``)
  -> ``VideoQuestionAnswerer`` names (``answer_head.*``);
- ``IN`` = a released Banzhaf estimator file -> the teacher only
  (``head.teacher.*``);
- ``IN`` = an OpenAI CLIP file -> the towers and ``logit_scale``.

``OUT`` is an mmengine-style checkpoint ``{'state_dict': ..., 'meta': ...}``
that ``tools/test.py`` and ``load_from`` read (``tools/test.py`` also reads the
released file directly: the runner converts on load with the same function,
:func:`hbi.models.retrievers.convert_foreign_checkpoint`). Keys of no known
part are an error listing them.
"""

import argparse
import os.path as osp
import sys

import torch

sys.path.insert(
    0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
)

from hbi.models.backbones.openai_clip_conversion import read_state_dict  # noqa: E402
from hbi.models.retrievers.released_hbi_checkpoint import (  # noqa: E402
    OWN_PREFIXES,
    convert_foreign_checkpoint,
)
from hbi.version import __version__  # noqa: E402


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('src', help='released checkpoint / estimator file')
    parser.add_argument('dst', help='output mmengine-style checkpoint')
    return parser.parse_args(argv)


def convert_file(src: str, dst: str) -> dict:
    """Convert ``src`` into ``dst``; returns the saved checkpoint.

    Raises:
        ValueError: Unknown layout, or keys that no part converts.
    """
    layout, state_dict = convert_foreign_checkpoint(read_state_dict(src))
    unknown = sorted(k for k in state_dict if not k.startswith(OWN_PREFIXES))
    if unknown:
        raise ValueError(
            f'{src}: {len(unknown)} keys belong to no known part '
            f'of the {layout} layout: {unknown}'
        )
    checkpoint = dict(
        state_dict=state_dict,
        meta=dict(
            source=osp.abspath(src),
            source_layout=layout,
            converter='tools/model_converters/hbi_official_to_hbi.py',
            hbi_version=__version__,
        ),
    )
    torch.save(checkpoint, dst)
    return checkpoint


def main(argv=None) -> None:
    args = parse_args(argv)
    checkpoint = convert_file(args.src, args.dst)
    meta = checkpoint['meta']
    print(
        f'{args.src} ({meta["source_layout"]}) -> {args.dst}: '
        f'{len(checkpoint["state_dict"])} tensors'
    )


if __name__ == '__main__':
    main()
