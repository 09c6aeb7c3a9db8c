"""tools/slurm_train.sh and slurm_test.sh hand srun the right job (a stand-in
srun records what it was given; no cluster needed)."""

import os
import stat
import subprocess

import pytest

from tests.test_tools.fast_config import ROOT

FAKE_SRUN = """#!/usr/bin/env bash
printf '%s\\n' "$@" > "$RECORD"
echo "MASTER_PORT=$MASTER_PORT" >> "$RECORD.env"
echo "PYTHONPATH=$PYTHONPATH" >> "$RECORD.env"
"""


def _run(tmp_path, script, args, **env):
    bin_dir = tmp_path / 'bin'
    bin_dir.mkdir(exist_ok=True)
    srun = bin_dir / 'srun'
    srun.write_text(FAKE_SRUN)
    srun.chmod(srun.stat().st_mode | stat.S_IEXEC)
    record = tmp_path / 'srun_args'
    env = dict(
        os.environ,
        PATH=f'{bin_dir}:{os.environ["PATH"]}',
        RECORD=str(record),
        **env,
    )
    subprocess.run(
        ['bash', str(ROOT / 'tools' / script), *args],
        env=env,
        check=True,
        timeout=60,
    )
    lines = record.read_text().splitlines()
    environment = dict(
        line.split('=', 1)
        for line in (tmp_path / 'srun_args.env').read_text().splitlines()
    )
    return lines, environment


def _option(lines, name):
    return next(a.split('=', 1)[1] for a in lines if a.startswith(name + '='))


@pytest.mark.parametrize(
    'script, args, tool, passed',
    [
        (
            'slurm_train.sh',
            ['gpu', 'hbi', 'cfg.py', '--work-dir', 'w d'],
            'train.py',
            ['cfg.py', '--launcher', 'slurm', '--work-dir', 'w d'],
        ),
        (
            'slurm_test.sh',
            ['gpu', 'hbi', 'cfg.py', 'ckpt.pth', '--dump', 'a.npz'],
            'test.py',
            ['cfg.py', 'ckpt.pth', '--launcher', 'slurm', '--dump', 'a.npz'],
        ),
    ],
)
def test_srun_gets_the_job(tmp_path, script, args, tool, passed):
    lines, env = _run(
        tmp_path,
        script,
        args,
        GPUS='16',
        GPUS_PER_NODE='8',
        PORT='29555',
        SRUN_ARGS='--quotatype=auto --exclusive',
    )
    assert lines[:2] == ['-p', 'gpu']
    assert _option(lines, '--job-name') == 'hbi'
    assert _option(lines, '--ntasks') == '16'
    assert _option(lines, '--ntasks-per-node') == '8'
    assert _option(lines, '--gres') == 'gpu:8'
    assert _option(lines, '--cpus-per-task') == '5'
    assert '--kill-on-bad-exit=1' in lines
    assert '--quotatype=auto' in lines and '--exclusive' in lines
    python = lines.index('python')
    assert lines[python + 1] == '-u'
    assert lines[python + 2] == str(ROOT / 'tools' / tool)
    assert lines[python + 3 :] == passed  # a spaced argument stays one
    assert env['MASTER_PORT'] == '29555'
    assert env['PYTHONPATH'].split(':')[0] == str(ROOT / 'tools' / '..')


def test_defaults(tmp_path):
    lines, env = _run(tmp_path, 'slurm_train.sh', ['p', 'j', 'c.py'])
    assert _option(lines, '--ntasks') == '8'
    assert env['MASTER_PORT'] == '29500'
