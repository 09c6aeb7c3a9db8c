"""Part-of-speech tag files of captions, aligned to CLIP's BPE tokens.

``tools/data/tag_captions.py`` tags every caption of an annotation file once
(spaCy, or the synthetic world's true tags) and writes a json tag file;
training reads it (no tagger at run time) through the dataset's
``tag_file`` argument. Layout::

    {"format": "hbi-caption-tags-v1",
     "tokenizer": "clip-bpe-16e6",
     "tagger": "spacy en_core_web_sm 3.8.0",
     "annotation_file": "MSRVTT_data.json",
     "annotation_sha1": "<sha1 of the annotation file's bytes>",
     "num_captions": 200000,
     "captions": {"<caption>": {"pos": ["DET", "NOUN", "VERB", ...],
                                "tokens": [0, 1, 2, 2, ...]}, ...}}

``pos`` is the universal part-of-speech tag of each word (spaCy's
``Token.pos_``) of the normalised caption (the text CLIP's tokenizer sees:
ftfy, html-unescaped, lower-cased); ``tokens`` gives for each BPE token of
that caption (no start/end token, no truncation) the index of the word it
belongs to. Identical captions share one entry.
"""

import hashlib
import json
import os
import os.path as osp
from typing import Callable, Dict, Iterable, List, Mapping, Sequence, Tuple

from hbi.models.tokenizers.clip_tokenizer import (
    CLIPBPETokenizer,
    normalize_caption,
)

FORMAT = 'hbi-caption-tags-v1'
TOKENIZER = 'clip-bpe-16e6'
#: Content words of TACo's token-aware loss: nouns and verbs.
CONTENT_POS = ('NOUN', 'PROPN', 'VERB')
NOUN_POS = ('NOUN', 'PROPN')
#: Words that continue a verb phrase (``shows up``, ``moves left``,
#: ``goes into``): particles, adverbs and adpositions right after the verb.
VERB_PHRASE_POS = ('ADP', 'ADV', 'PART')
TAG_COMMAND = (
    'python tools/data/tag_captions.py CONFIG   # needs spaCy and '
    '`python -m spacy download en_core_web_sm`; the synthetic world: add '
    '--truth data/synthetic/annotations/caption_words.json'
)

#: A caption's tags: the POS of each word and the word of each BPE token.
CaptionTags = Dict[str, list]
#: A word of a normalised caption: (start char, end char, POS tag).
Word = Tuple[int, int, str]


def file_sha1(path: str) -> str:
    """Hex sha1 of a file's bytes."""
    digest = hashlib.sha1()
    with open(path, 'rb') as f:
        for chunk in iter(lambda: f.read(1 << 20), b''):
            digest.update(chunk)
    return digest.hexdigest()


def align_words_to_tokens(
    words: Sequence[Word], token_offsets: Sequence[Tuple[int, int]]
) -> List[int]:
    """Index of the word holding each BPE token's first character.

    Args:
        words (Sequence[tuple]): ``(start, end, pos)`` character spans of the
            words, in order, over the same string as the offsets.
        token_offsets (Sequence[tuple]): ``(start, end)`` of each BPE token.

    Returns:
        list[int]: One word index per token.

    Raises:
        ValueError: A token that starts outside every word.
    """
    aligned, w = [], 0
    for start, _ in token_offsets:
        while w < len(words) and words[w][1] <= start:
            w += 1
        if w == len(words) or words[w][0] > start:
            raise ValueError(
                f'BPE token at character {start} starts outside every '
                f'tagged word {list(words)}'
            )
        aligned.append(w)
    return aligned


def tag_entry(
    words: Sequence[Word], token_offsets: Sequence[Tuple[int, int]]
) -> CaptionTags:
    """The tag-file entry of one caption (see the module docstring)."""
    return dict(
        pos=[pos for _, _, pos in words],
        tokens=align_words_to_tokens(words, token_offsets),
    )


def tag_captions(
    captions: Sequence[str],
    tag_words: Callable[[List[str]], Iterable[Sequence[Word]]],
) -> Dict[str, CaptionTags]:
    """Tag-file entries of the distinct ``captions``.

    Args:
        captions (Sequence[str]): Raw captions (duplicates are tagged once).
        tag_words (Callable): Given the normalised captions, yields the
            ``(start, end, pos)`` words of each (spaCy, or known truth).

    Returns:
        dict[str, dict]: Caption -> entry (see the module docstring).

    Raises:
        ValueError: Naming the caption whose tokens cannot be aligned.
    """
    unique = list(dict.fromkeys(captions))
    normalized = [normalize_caption(c) for c in unique]
    offsets = CLIPBPETokenizer().token_offsets(unique)
    entries = {}
    for caption, text, words, spans in zip(
        unique, normalized, tag_words(normalized), offsets
    ):
        try:
            entries[caption] = tag_entry(words, spans)
        except ValueError as e:
            raise ValueError(f'caption {caption!r} ({text!r}): {e}') from e
    return entries


def write_tag_file(
    path: str,
    annotation_file: str,
    entries: Mapping[str, CaptionTags],
    tagger: str,
) -> None:
    """Write a tag file for the captions of ``annotation_file``."""
    payload = dict(
        format=FORMAT,
        tokenizer=TOKENIZER,
        tagger=tagger,
        annotation_file=osp.basename(annotation_file),
        annotation_sha1=file_sha1(annotation_file),
        num_captions=len(entries),
        captions=dict(entries),
    )
    tmp = path + '.tmp'
    with open(tmp, 'w', encoding='utf-8') as f:
        json.dump(payload, f)
    os.replace(tmp, path)


def read_tag_file(
    tag_file: str, annotation_file: str, captions: Sequence[str]
) -> Dict[str, CaptionTags]:
    """Tags of ``captions`` (read from ``annotation_file``) from
    ``tag_file``, checked against both files.

    Returns:
        dict[str, dict]: Caption -> entry, for every caption given.

    Raises:
        FileNotFoundError: No tag file (the message gives the command).
        ValueError: A file of another format or tokenizer, one written for
            another version of the annotation file (its captions or their
            count changed), or one that lacks some of the captions; each
            names both files.
    """
    if not osp.isfile(tag_file):
        raise FileNotFoundError(
            f'caption tag file {tag_file!r} (for {annotation_file!r}) not '
            f'found. Write it once with: {TAG_COMMAND}'
        )
    with open(tag_file, encoding='utf-8') as f:
        try:
            payload = json.load(f)
        except ValueError as e:
            raise ValueError(
                f'{tag_file}: not a json tag file ({e}); rewrite it with: '
                f'{TAG_COMMAND}'
            ) from e
    both = f'tag file {tag_file!r} and annotation file {annotation_file!r}'
    if not isinstance(payload, dict) or payload.get('format') != FORMAT:
        raise ValueError(f'{tag_file}: not a {FORMAT} tag file')
    if payload.get('tokenizer') != TOKENIZER:
        raise ValueError(
            f'{tag_file}: aligned to tokenizer '
            f'{payload.get("tokenizer")!r}, expected {TOKENIZER!r}'
        )
    if payload.get('annotation_sha1') != file_sha1(annotation_file):
        raise ValueError(
            f'{both} do not match: the tag file was written for another '
            f'version of {payload.get("annotation_file")!r} (its captions or '
            f'their count differ: {payload.get("num_captions")} tagged '
            f'captions). Rewrite it with: {TAG_COMMAND}'
        )
    entries = payload['captions']
    missing = [c for c in dict.fromkeys(captions) if c not in entries]
    if missing:
        raise ValueError(
            f'{both} do not match: {len(missing)} captions are not tagged, '
            f'e.g. {missing[:3]}. Rewrite it with: {TAG_COMMAND}'
        )
    return {c: entries[c] for c in captions}


def content_word_tokens(tags: CaptionTags) -> List[bool]:
    """Whether each BPE token belongs to a content word (noun or verb)."""
    pos = tags['pos']
    return [pos[w] in CONTENT_POS for w in tags['tokens']]


def semantic_units(tags: CaptionTags) -> List[List[int]]:
    """BPE token indices of each maskable unit: every noun (one unit per
    word) and every verb phrase (a verb with the particles, adverbs and
    adpositions right after it), in caption order."""
    pos, word_of = tags['pos'], tags['tokens']
    word_units: List[List[int]] = []
    w = 0
    while w < len(pos):
        if pos[w] in NOUN_POS:
            word_units.append([w])
        elif pos[w] == 'VERB':
            phrase = [w]
            while w + 1 < len(pos) and pos[w + 1] in VERB_PHRASE_POS:
                w += 1
                phrase.append(w)
            word_units.append(phrase)
        w += 1
    tokens_of: Dict[int, List[int]] = {}
    for t, word in enumerate(word_of):
        tokens_of.setdefault(word, []).append(t)
    return [
        [t for word in unit for t in tokens_of.get(word, [])]
        for unit in word_units
    ]
