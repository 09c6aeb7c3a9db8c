"""Files that are not checkpoints are named as such; no message suggests
an unsafe (weights_only=False) load; writes are atomic."""

import os
import traceback

import pytest
import torch

from hbi.utils.checkpoint_files import (
    CheckpointFileError,
    atomic_output,
    load_checkpoint_file,
)


class Custom:  # an arbitrary Python object inside a pickle
    pass


def _write(path, kind):
    if kind == 'random':
        path.write_bytes(os.urandom(4096))
    elif kind == 'text':
        path.write_text('epoch 1 done\n')
    elif kind == 'empty':
        path.write_bytes(b'')
    elif kind == 'truncated':
        torch.save({'w': torch.ones(64, 64)}, path)
        path.write_bytes(path.read_bytes()[:5000])
    elif kind == 'object':
        torch.save({'w': Custom()}, path)
    return str(path)


@pytest.mark.parametrize(
    'kind,fragment',
    [
        ('random', 'is not a PyTorch checkpoint: it starts with'),
        ('text', "is not a PyTorch checkpoint: it starts with b'epoch 1 "),
        ('empty', 'is empty (0 bytes)'),
        ('truncated', 'is a truncated or damaged checkpoint'),
        ('object', 'holds Python objects that a safe (weights-only) load'),
    ],
)
def test_bad_file_is_named_without_unsafe_advice(tmp_path, kind, fragment):
    path = _write(tmp_path / 'model.pth', kind)
    with pytest.raises(CheckpointFileError) as err:
        load_checkpoint_file(path)
    assert str(err.value).startswith(path) and fragment in str(err.value)
    shown = ''.join(traceback.format_exception(err.value))
    assert 'weights_only=False' not in shown
    assert 'weights_only` set to `False' not in shown


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match='checkpoint not found'):
        load_checkpoint_file(str(tmp_path / 'nowhere.pth'))


def test_good_file_loads(tmp_path):
    torch.save({'state_dict': {'w': torch.arange(3)}}, tmp_path / 'ok.pth')
    state = load_checkpoint_file(str(tmp_path / 'ok.pth'))['state_dict']
    assert state['w'].tolist() == [0, 1, 2]


def test_atomic_output_leaves_nothing_on_failure(tmp_path):
    target = tmp_path / 'epoch_2.pth'
    with pytest.raises(OSError, match='No space'):
        with atomic_output(str(target)) as tmp:
            with open(tmp, 'wb') as f:
                f.write(b'PK\x03\x04half')
            raise OSError(28, 'No space left on device')
    assert os.listdir(tmp_path) == []
    with atomic_output(str(target)) as tmp:
        with open(tmp, 'wb') as f:
            f.write(b'whole')
    assert os.listdir(tmp_path) == ['epoch_2.pth']
    assert target.read_bytes() == b'whole'
