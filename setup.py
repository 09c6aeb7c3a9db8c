from pathlib import Path

from setuptools import find_packages, setup

ROOT = Path(__file__).parent


def read_requirements(name):
    lines = (ROOT / 'requirements' / f'{name}.txt').read_text().splitlines()
    return [
        ln.split('#')[0].strip() for ln in lines if ln.split('#')[0].strip()
    ]


def read_version():
    namespace = {}
    exec((ROOT / 'hbi' / 'version.py').read_text(), namespace)
    return namespace['__version__']


setup(
    name='hbi',
    version=read_version(),
    description='Hierarchical Banzhaf Interaction for video-language '
    'representation learning',
    python_requires='>=3.9',
    packages=find_packages(
        exclude=('configs', 'tools', 'tests', 'docs', 'benchmarks')
    ),
    package_data={'hbi.models.tokenizers': ['*.txt.gz']},
    install_requires=read_requirements('runtime'),
    extras_require={
        k: read_requirements(k) for k in ('optional', 'tests', 'mminstall')
    },
)
