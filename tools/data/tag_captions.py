"""Tag the captions of a config's datasets once: ``caption_tags`` files.

Every dataset of the config's train/val/test loaders that sets ``tag_file``
is read (annotations only, no video) and the distinct captions of all
datasets sharing a tag file are tagged and written to it (one tag file per
annotation file, see ``hbi/datasets/caption_tags.py`` for the format).
Training then reads the file; no tagger runs at training time.

Usage::

    pip install spacy && python -m spacy download en_core_web_sm
    python tools/data/tag_captions.py CONFIG

    # the synthetic world knows the true tags of its captions:
    python tools/data/tag_captions.py CONFIG \
        --truth data/synthetic/annotations/caption_words.json

``--pipeline`` names an installed spaCy pipeline or a pipeline folder
(default ``en_core_web_sm``); captions are tagged in their normalised form
(what CLIP's tokenizer reads: lower-cased), and each BPE token is aligned to
the word holding its first character.
"""

import argparse
import json
import os.path as osp
import sys
from typing import Dict, Iterator, List, Optional, Sequence

sys.path.insert(
    0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
)

from mmengine.config import DictAction  # noqa: E402
from tqdm import tqdm  # noqa: E402

from hbi.datasets.caption_tags import (  # noqa: E402
    Word,
    tag_captions,
    write_tag_file,
)
from hbi.registry import DATASETS  # noqa: E402
from hbi.utils import load_config  # noqa: E402

LOADERS = ('train_dataloader', 'val_dataloader', 'test_dataloader')
SPACY_HELP = (
    'install spaCy and its small English pipeline: pip install spacy && '
    'python -m spacy download en_core_web_sm'
)


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config', help='config whose datasets set tag_file')
    parser.add_argument(
        '--pipeline',
        default='en_core_web_sm',
        help='spaCy pipeline name or folder (default en_core_web_sm)',
    )
    parser.add_argument(
        '--truth',
        help='a {caption: [[word, pos], ...]} file of known tags (the '
        "synthetic world's caption_words.json) instead of spaCy",
    )
    parser.add_argument('--batch-size', type=int, default=256)
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override config keys, e.g. data_root=...',
    )
    return parser.parse_args(argv)


def dataset_captions(cfg) -> Dict[str, dict]:
    """``{tag_file: dict(annotation_file, captions)}`` over the config's
    loaders (datasets without ``tag_file`` are left out)."""
    groups: Dict[str, dict] = {}
    for loader in LOADERS:
        ds_cfg = cfg.get(loader, {}).get('dataset')
        if not ds_cfg or not ds_cfg.get('tag_file'):
            continue
        ds_cfg = dict(
            ds_cfg,
            video_pipeline=[],
            text_pipeline=[],
            tag_file='',
            lazy_init=True,
        )
        dataset = DATASETS.build(ds_cfg)
        _, texts = dataset.load_annotations()
        tag_file = osp.join(
            dataset.data_root or '', cfg[loader].dataset.tag_file
        )
        group = groups.setdefault(
            tag_file, dict(annotation_file=dataset.caption_file, captions=[])
        )
        if group['annotation_file'] != dataset.caption_file:
            raise ValueError(
                f'{loader}: tag file {tag_file!r} is shared by datasets of '
                f'two annotation files, {group["annotation_file"]!r} and '
                f'{dataset.caption_file!r}; give each its own tag_file'
            )
        group['captions'] += [t['caption'] for t in texts]
    return groups


def spacy_tagger(pipeline: str, batch_size: int):
    """A ``tag_words`` function running a spaCy pipeline."""
    try:
        import spacy
    except ImportError as e:
        raise SystemExit(
            f'tag_captions: spaCy is not installed; {SPACY_HELP}'
        ) from e
    try:
        nlp = spacy.load(pipeline, exclude=['parser', 'ner', 'lemmatizer'])
    except OSError as e:
        raise SystemExit(
            f'tag_captions: spaCy pipeline {pipeline!r} not found ({e}); '
            f'{SPACY_HELP}'
        ) from e
    name = (
        f'spacy {nlp.meta.get("name", pipeline)} {nlp.meta.get("version", "")}'
    )

    def tag_words(texts: List[str]) -> Iterator[List[Word]]:
        docs = nlp.pipe(texts, batch_size=batch_size)
        for doc in tqdm(
            docs, total=len(texts), desc='tagging', unit='caption'
        ):
            yield [
                (t.idx, t.idx + len(t), t.pos_ or 'X')
                for t in doc
                if not t.is_space
            ]

    return name.strip(), tag_words


def truth_tagger(path: str):
    """A ``tag_words`` function looking the words up in a truth file."""
    with open(path, encoding='utf-8') as f:
        truth = {
            ' '.join(w for w, _ in words): words
            for words in json.load(f).values()
        }

    def tag_words(texts: List[str]) -> Iterator[List[Word]]:
        for text in texts:
            words = truth.get(' '.join(text.replace(',', ' ,').split()))
            if words is None:
                raise ValueError(f'{path}: no tags for caption {text!r}')
            spans, cursor = [], 0
            for word, pos in words:
                start = text.index(word, cursor)
                cursor = start + len(word)
                spans.append((start, cursor, pos))
            yield spans

    return f'truth {osp.basename(path)}', tag_words


def main(argv: Optional[Sequence[str]] = None) -> Dict[str, int]:
    args = parse_args(argv)
    cfg = load_config(args.config, args.cfg_options)
    groups = dataset_captions(cfg)
    if not groups:
        raise SystemExit(
            f'tag_captions: no dataset of {args.config} sets tag_file'
        )
    name, tag_words = (
        truth_tagger(args.truth)
        if args.truth
        else spacy_tagger(args.pipeline, args.batch_size)
    )
    written = {}
    for tag_file, group in groups.items():
        entries = tag_captions(group['captions'], tag_words)
        write_tag_file(tag_file, group['annotation_file'], entries, name)
        written[tag_file] = len(entries)
        print(
            f'{tag_file}: {len(entries)} distinct captions of '
            f'{group["annotation_file"]} tagged by {name}'
        )
    return written


if __name__ == '__main__':
    main()
