"""Export a trained Banzhaf estimator as HBI's teacher file.

``python tools/model_converters/export_banzhaf_estimator.py CHECKPOINT OUT``

``CHECKPOINT`` is a checkpoint of ``BanzhafEstimatorTrainer`` (its estimator
is ``estimator.*``; ``--src-prefix`` picks another prefix, e.g.
``head.teacher.`` to extract an HBI model's teacher). ``OUT`` is a plain dict
``{'banzhafteacher.<name>': tensor}`` over every estimator tensor
(``cnn1.*``, ``bn.*``, ``cnn2.*``, ``Q``, ``K``, ``V``), the layout the HBI
head's ``teacher_checkpoint`` loader reads (it accepts the prefixes
``banzhafteacher.``, ``banzhafmodel.``, ``teacher.``) and that
``tools/model_converters/hbi_official_to_hbi.py`` recognises as an estimator
file. The release's exact estimator file layout is not known here; its
parameter names (``BanzhafModule``) are, and this file uses them under the
``banzhafteacher.`` prefix of the released HBI model.
"""

import argparse
import os
import os.path as osp
import sys
from typing import Dict, Optional

import torch

sys.path.insert(
    0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
)


from hbi.utils.checkpoint_files import load_checkpoint_file  # noqa

OUT_PREFIX = 'banzhafteacher.'


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('checkpoint', help='BanzhafEstimatorTrainer ckpt')
    parser.add_argument('out', help='teacher file to write (.pth)')
    parser.add_argument(
        '--src-prefix',
        default='estimator.',
        help='prefix of the estimator in CHECKPOINT',
    )
    return parser.parse_args(argv)


def export_estimator(
    checkpoint: str, out: str, src_prefix: str = 'estimator.'
) -> Dict[str, torch.Tensor]:
    """Write ``{'banzhafteacher.<name>': tensor}`` to ``out`` and return it.

    Raises:
        KeyError: ``checkpoint`` has no key starting with ``src_prefix``.
    """
    ckpt = load_checkpoint_file(checkpoint)
    state: Optional[dict] = ckpt.get('state_dict', ckpt)
    state = {
        (k[7:] if k.startswith('module.') else k): v for k, v in state.items()
    }
    teacher = {
        OUT_PREFIX + k[len(src_prefix) :]: v.detach().clone()
        for k, v in state.items()
        if k.startswith(src_prefix)
    }
    if not teacher:
        raise KeyError(
            f'{checkpoint}: no key starts with {src_prefix!r} '
            f'(first keys: {sorted(state)[:5]})'
        )
    folder = osp.dirname(osp.abspath(out))
    os.makedirs(folder, exist_ok=True)
    torch.save(teacher, out)
    return teacher


def main(argv=None) -> Dict[str, torch.Tensor]:
    args = parse_args(argv)
    teacher = export_estimator(args.checkpoint, args.out, args.src_prefix)
    print(f'wrote {len(teacher)} tensors to {args.out}')
    return teacher


if __name__ == '__main__':
    main()
