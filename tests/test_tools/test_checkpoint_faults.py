"""A disk that fills up while a checkpoint is written, a checkpoint file
that is not one: named errors, and --resume never picks up a broken file."""

import errno

import pytest
from mmengine.fileio.backends.local_backend import LocalBackend

from hbi.utils.checkpoint_files import CheckpointFileError
from tests.test_tools.fast_config import load_tool, write_fast_config

train_tool, test_tool = load_tool('train'), load_tool('test')


def test_full_disk_leaves_no_truncated_checkpoint(
    tmp_path, small_world, monkeypatch
):
    cfg = write_fast_config(tmp_path / 'cfg.py', small_world)
    work = tmp_path / 'work'
    put = LocalBackend.put

    def full_disk(self, obj, filepath):
        if 'epoch_2' in str(filepath):  # half written, then ENOSPC
            with open(filepath, 'wb') as f:
                f.write(obj[: len(obj) // 2])
            raise OSError(errno.ENOSPC, 'No space left on device')
        return put(self, obj, filepath)

    monkeypatch.setattr(LocalBackend, 'put', full_disk)
    with pytest.raises(OSError, match='could not write checkpoint .*epoch_2'):
        train_tool.main([str(cfg), '--work-dir', str(work)])
    names = sorted(p.name for p in work.iterdir() if p.suffix != '')
    assert 'epoch_1.pth' in names and 'epoch_2.pth' not in names
    assert not [n for n in names if n.endswith('.tmp')]
    assert (work / 'last_checkpoint').read_text().endswith('epoch_1.pth')
    monkeypatch.setattr(LocalBackend, 'put', put)  # space again
    train_tool.main([str(cfg), '--work-dir', str(work), '--resume'])
    assert (work / 'epoch_2.pth').is_file()


def test_resume_from_a_broken_file_names_it(tmp_path, small_world):
    cfg = write_fast_config(tmp_path / 'cfg.py', small_world)
    work = tmp_path / 'work'
    work.mkdir()
    broken = work / 'epoch_1.pth'
    broken.write_bytes(b'PK\x03\x04' + bytes(100))  # a zip cut short
    (work / 'last_checkpoint').write_text(str(broken))
    with pytest.raises(CheckpointFileError, match='truncated or damaged'):
        train_tool.main([str(cfg), '--work-dir', str(work), '--resume'])


def test_test_tool_names_a_text_file_given_as_checkpoint(
    tmp_path, small_world
):
    cfg = write_fast_config(tmp_path / 'cfg.py', small_world)
    notes = tmp_path / 'notes.pth'
    notes.write_text('not weights\n')
    with pytest.raises(CheckpointFileError) as err:
        test_tool.main([str(cfg), str(notes), '--work-dir', str(tmp_path)])
    assert f'{notes} is not a PyTorch checkpoint' in str(err.value)
