"""The Banzhaf teacher's file: where it comes from, what it holds, and
how it is read into the head's frozen estimator."""

from torch import nn

from hbi.utils.checkpoint_files import load_checkpoint_file
from hbi.utils.pretrained_files import check_pretrained_file

#: Where a missing teacher file comes from (named in the error).
TEACHER_SOURCE = (
    "the release's trained estimator (the README of github.com/jpthu17/HBI "
    'links Estimator_1e-2_epoch1..6; epoch 6 is the one it reports), or '
    'train one with configs/banzhaf_estimator_msrvtt.py and export it with '
    'tools/model_converters/export_banzhaf_estimator.py. Put it at the '
    'configured path, or set teacher_checkpoint=None to train without the '
    'Banzhaf terms.'
)
#: What :func:`load_teacher_file` reads.
TEACHER_FORMATS = (
    "a torch.save'd state dict of one estimator (cnn1, Q, K, V, cnn2, bn "
    "optional), possibly under 'state_dict' and prefixed 'module.', "
    "'banzhafteacher.', 'banzhafmodel.' or 'teacher.'"
)


def load_teacher_file(teacher: nn.Module, path: str) -> None:
    """Load the frozen Banzhaf teacher (a :class:`BanzhafEstimator`) from
    the release's estimator file or an exported one; every error names
    ``path`` and what was expected."""
    check_pretrained_file(
        path,
        'HierarchicalBanzhafHead: the Banzhaf estimator (teacher)',
        'model.head.teacher_checkpoint',
        TEACHER_SOURCE,
        TEACHER_FORMATS,
    )
    state = load_checkpoint_file(path)
    if isinstance(state, dict) and isinstance(state.get('state_dict'), dict):
        state = state['state_dict']
    if not isinstance(state, dict):
        raise TypeError(
            f'teacher_checkpoint {path!r}: expected a state '
            f'dict, got {type(state).__name__}'
        )
    state = {
        (k[len('module.') :] if k.startswith('module.') else k): v
        for k, v in state.items()
    }
    for prefix in ('banzhafteacher.', 'banzhafmodel.', 'teacher.'):
        picked = {
            k[len(prefix) :]: v
            for k, v in state.items()
            if k.startswith(prefix)
        }
        if picked:
            state = picked
            break
    missing, unexpected = teacher.load_state_dict(state, strict=False)
    # ``bn`` is unused, so a file without it is accepted.
    missing = [k for k in missing if not k.startswith('bn.')]
    if missing or unexpected:
        raise KeyError(
            f'teacher_checkpoint {path!r} does not hold an '
            f'estimator: missing {missing}, unexpected '
            f'{unexpected}'
        )
