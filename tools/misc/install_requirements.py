"""Install what ``hbi`` needs into the active Python, quickly when done.

``python tools/misc/install_requirements.py runtime tests`` checks every
requirement of ``requirements/<name>.txt`` against the installed
distributions and calls pip only for what is missing. torch is never
upgraded: an installed torch is kept (pinned through a constraint), and
without one ``torch==2.13.0`` is installed (on the project's CPU machines
pip finds that CPU build locally; a bare ``torch`` requirement would pull a
CUDA build of several GB).
"""

import subprocess
import sys
import tempfile
from importlib import metadata
from pathlib import Path

try:
    from packaging.requirements import Requirement
except ImportError:  # a bare interpreter: pip carries its own copy
    from pip._vendor.packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_TORCH = 'torch==2.13.0'


def read_requirements(name: str):
    lines = (ROOT / 'requirements' / f'{name}.txt').read_text().splitlines()
    return [
        ln.split('#')[0].strip() for ln in lines if ln.split('#')[0].strip()
    ]


def missing(requirements):
    out = []
    for line in requirements:
        req = Requirement(line)
        try:
            version = metadata.version(req.name)
        except metadata.PackageNotFoundError:
            out.append(line)
            continue
        if req.specifier and not req.specifier.contains(
            version, prereleases=True
        ):
            out.append(line)
    return out


def pip(*args):
    cmd = [
        sys.executable,
        '-m',
        'pip',
        'install',
        '--disable-pip-version-check',
        *args,
    ]
    print('+', ' '.join(cmd), flush=True)
    subprocess.check_call(cmd)


def main(names):
    try:
        torch_version = metadata.version('torch')
    except metadata.PackageNotFoundError:
        pip(DEFAULT_TORCH)
        torch_version = metadata.version('torch')
    todo = missing([r for n in names for r in read_requirements(n)])
    if todo:
        with tempfile.NamedTemporaryFile(
            'w', suffix='.txt', delete=False
        ) as f:
            f.write(f'torch=={torch_version}\n')
        pip('-c', f.name, *todo)
    try:
        metadata.version('hbi')
    except metadata.PackageNotFoundError:
        pip('--no-deps', '--no-build-isolation', '-e', str(ROOT))
    print(
        f'requirements satisfied ({", ".join(names)}; torch {torch_version})',
        flush=True,
    )


if __name__ == '__main__':
    main(sys.argv[1:] or ['runtime'])
