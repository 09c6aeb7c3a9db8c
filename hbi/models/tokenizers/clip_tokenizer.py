"""OpenAI CLIP's byte-pair tokenizer, run by transformers' CLIPTokenizer."""

import functools
import gzip
import html
import os.path as osp
import re
from typing import Optional, Sequence, Union

import ftfy
import torch
from transformers import CLIPTokenizer
from transformers.convert_slow_tokenizer import bytes_to_unicode

from hbi.registry import TOKENIZERS

#: The merges file carried with the package (OpenAI's
#: ``bpe_simple_vocab_16e6``).
DEFAULT_BPE_PATH = osp.join(
    osp.dirname(osp.abspath(__file__)), 'bpe_simple_vocab_16e6.txt.gz'
)
START_TOKEN = '<|startoftext|>'
END_TOKEN = '<|endoftext|>'
#: OpenAI keeps the first 49152 - 256 - 2 merges (after the header line).
NUM_MERGES = 49152 - 256 - 2


def build_clip_vocab(
    bpe_path: str,
) -> tuple[dict[str, int], list[tuple[str, str]]]:
    """Build CLIP's vocabulary exactly as OpenAI's ``SimpleTokenizer`` does.

    The ids are: the 256 byte symbols of ``bytes_to_unicode``, the same symbols
    with ``</w>``, every merge joined, then ``<|startoftext|>`` (49406) and
    ``<|endoftext|>`` (49407) — 49,408 tokens.

    Args:
        bpe_path (str): The gzipped merges file; its first line is a header.

    Returns:
        tuple[dict[str, int], list[tuple[str, str]]]: Token → id and the
        merges in rank order.
    """
    if not osp.isfile(bpe_path):
        raise FileNotFoundError(f'CLIP BPE merges file not found: {bpe_path}')
    with gzip.open(bpe_path, 'rt', encoding='utf-8') as f:
        lines = f.read().split('\n')
    merges = [tuple(line.split()) for line in lines[1 : NUM_MERGES + 1]]
    if len(merges) != NUM_MERGES or any(len(m) != 2 for m in merges):
        raise ValueError(
            f'{bpe_path}: expected {NUM_MERGES} merges of two '
            'symbols after the header line'
        )
    symbols = list(bytes_to_unicode().values())
    tokens = symbols + [s + '</w>' for s in symbols]
    tokens += [''.join(m) for m in merges] + [START_TOKEN, END_TOKEN]
    return {tok: i for i, tok in enumerate(tokens)}, merges


@functools.lru_cache(maxsize=4)
def _load_backend(bpe_path: str) -> CLIPTokenizer:
    """Build (once per process and file) the transformers tokenizer."""
    vocab, merges = build_clip_vocab(bpe_path)
    tok = CLIPTokenizer(vocab=vocab, merges=merges)
    # Text is normalised in Python exactly as OpenAI does (ftfy, html.unescape,
    # whitespace, ``str.lower``), which transformers' CLIPTokenizer does not
    # do (it only applies NFC, whitespace and Rust lower-casing). Its own
    # normaliser is switched off so that OpenAI's is the only one; on already
    # normalised text it was a no-op in every test case we tried.
    tok.backend_tokenizer.normalizer = None
    return tok


#: Word pieces that :func:`join_word_pieces` glues back together: CLIP's
#: pre-tokenizer splits every digit, every run of punctuation and the
#: English contractions into words of their own, and the spaces it drops
#: cannot be recovered from the ids.
_GLUE_RULES = (
    (re.compile(r'(?<=\d) (?=\d)'), ''),  # 2 0 1 6 -> 2016
    (re.compile(r'(?<=\d) ([.,:]) (?=\d)'), r'\1'),  # 3 . 5 -> 3.5
    (re.compile(r'(?<=\d) (s|d|th|st|nd|rd)\b'), r'\1'),  # 1980s, 3d, 4th
    (re.compile(r"(?<=\S) '(s|t|re|ve|m|ll|d)\b"), r"'\1"),  # dog 's
    (re.compile(r'(?<=\w) ([-/]) (?=\w)'), r'\1'),  # t - shirt, and / or
    (re.compile(r'(?<=\S) ([,.!?;:%)\]}]+)(?= |$)'), r'\1'),  # closing
    (re.compile(r'(?:^|(?<= ))([(\[{$#]) (?=\S)'), r'\1'),  # opening
)


def join_word_pieces(text: str) -> str:
    """Undo the spaces CLIP's pre-tokenizer puts between word pieces.

    Decoding CLIP ids gives one space after every word piece (``</w>``):
    ``"a dog 's toy , 2 0 1 6 !"``. We glue digits of one number, the
    contractions ``'s 't 're 've 'm 'll 'd``, the decimal point and the
    suffixes ``s d th st nd rd`` to a number (1980s, 3d, 2nd), a hyphen
    or slash between two words, closing punctuation to the word before it
    and opening brackets to the word after it: ``"a dog's toy, 2016!"``.
    This is our own rule (neither OpenAI's decoder nor transformers'
    clean-up does it for CLIP's pieces); the cases it gets wrong are pieces
    that were written apart or together against the rule, e.g. ``"4cups"``
    comes back as ``"4 cups"`` and ``"ww2"`` as ``"ww 2"``.

    Args:
        text (str): Word pieces separated by single spaces.

    Returns:
        str: The text with the pieces glued.
    """
    text = ' '.join(text.split())
    for pattern, replacement in _GLUE_RULES:
        text = pattern.sub(replacement, text)
    return text


def normalize_caption(text: str) -> str:
    """Clean text as OpenAI's ``SimpleTokenizer`` does before BPE.

    ``ftfy.fix_text``, ``html.unescape`` twice, strip, collapse whitespace,
    lower-case.
    """
    text = ftfy.fix_text(text)
    text = html.unescape(html.unescape(text)).strip()
    return re.sub(r'\s+', ' ', text).strip().lower()


@TOKENIZERS.register_module()
class CLIPBPETokenizer:
    """CLIP's text tokenizer with the padding and truncation of HBI (A1).

    Each caption becomes ``<|startoftext|>``, its BPE tokens and
    ``<|endoftext|>``; the words are truncated so that the whole is at most
    ``max_length`` tokens (the end token is always kept) and the rest is
    padded with 0. The BPE itself is ``transformers.CLIPTokenizer`` fed with
    a vocabulary built in memory from the carried merges file exactly as
    OpenAI builds it, so the ids equal those of OpenAI's
    ``clip.simple_tokenizer.SimpleTokenizer``.

    Args:
        bpe_path (str, optional): Gzipped merges file. Defaults to the file
            carried in this package.
        max_length (int): Default total length, start and end tokens
            included. Defaults to 32.

    Shape:
        - ``encode`` output: ``input_ids`` [N, max_length] int64 and
          ``attention_mask`` [N, max_length] int64 (1 on start, words, end).

    Examples:
        >>> tok = CLIPBPETokenizer()
        >>> ids, mask = tok.encode(['a dog'], max_length=6)
        >>> ids.tolist(), mask.tolist()
        ([[49406, 320, 1929, 49407, 0, 0]], [[1, 1, 1, 1, 0, 0]])
    """

    start_token_id = 49406
    end_token_id = 49407
    pad_token_id = 0
    vocab_size = 49408

    def __init__(
        self, bpe_path: Optional[str] = None, max_length: int = 32
    ) -> None:
        if max_length < 2:
            raise ValueError(
                f'max_length must be >= 2 (start and end '
                f'tokens), got {max_length}'
            )
        self.bpe_path = bpe_path or DEFAULT_BPE_PATH
        self.max_length = max_length
        self._backend = _load_backend(osp.abspath(self.bpe_path))

    def tokenize(self, texts: Sequence[str]) -> list[list[int]]:
        """BPE ids of each text, without start/end tokens or truncation.

        Raises:
            ValueError: If a text is empty after normalisation (OpenAI would
                give ``[start, end]``; an empty caption is a data error here).
        """
        if isinstance(texts, str):
            raise TypeError('tokenize expects a list of strings, got a str')
        cleaned = [normalize_caption(t) for t in texts]
        for i, (raw, text) in enumerate(zip(texts, cleaned)):
            if not text:
                raise ValueError(
                    f'caption {i} of the batch is empty after '
                    f'normalisation: {raw!r}'
                )
        if not cleaned:
            return []
        return self._backend(cleaned, add_special_tokens=False)['input_ids']

    def token_offsets(
        self, texts: Sequence[str]
    ) -> list[list[tuple[int, int]]]:
        """Character span of each BPE token of :meth:`tokenize` within
        :func:`normalize_caption` of each text (for aligning words tagged on
        the normalised text)."""
        cleaned = [normalize_caption(t) for t in texts]
        if not cleaned:
            return []
        out = self._backend(
            cleaned, add_special_tokens=False, return_offsets_mapping=True
        )
        return [
            [tuple(span) for span in spans] for spans in out['offset_mapping']
        ]

    def encode(
        self, texts: Sequence[str], max_length: Optional[int] = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Tokenize, add start/end, truncate and pad (A1).

        Args:
            texts (Sequence[str]): Raw captions.
            max_length (int, optional): Total length; defaults to
                ``self.max_length``.

        Returns:
            tuple[Tensor, Tensor]: ``input_ids`` and ``attention_mask``.

        Shape:
            - input_ids: [N, max_length] int64.
            - attention_mask: [N, max_length] int64.
        """
        length = self.max_length if max_length is None else max_length
        if length < 2:
            raise ValueError(f'max_length must be >= 2, got {length}')
        ids = torch.zeros(len(texts), length, dtype=torch.long)
        mask = torch.zeros(len(texts), length, dtype=torch.long)
        for row, words in enumerate(self.tokenize(texts)):
            tokens = (
                [self.start_token_id]
                + words[: length - 2]
                + [self.end_token_id]
            )
            ids[row, : len(tokens)] = torch.tensor(tokens)
            mask[row, : len(tokens)] = 1
        return ids, mask

    def decode(
        self, token_ids: Union[torch.Tensor, Sequence[Sequence[int]]]
    ) -> list[str]:
        """Captions of rows of token ids (generated or from :meth:`encode`).

        Each row is read from after a leading ``<|startoftext|>`` up to its
        first ``<|endoftext|>``: what follows is padding (id 0 is a real
        token, ``"!"``, so it is never read as padding by value) or
        generation past the end. Other special tokens are dropped. Bytes and
        ``</w>`` word ends are decoded by transformers' CLIP tokenizer, then
        the word pieces are glued by :func:`join_word_pieces`, so that
        ``decode(encode([x]))[0]`` is ``x`` normalised as :meth:`encode`
        normalises it (lower case, single spaces; words beyond
        ``max_length`` are lost).

        Args:
            token_ids (Tensor | Sequence[Sequence[int]]): Rows of ids.

        Returns:
            list[str]: One caption per row (``''`` for a row without words).

        Raises:
            ValueError: If ``token_ids`` is not 2-D, or an id is outside the
                vocabulary (naming the row and the id).

        Shape:
            - token_ids: [N, L] int (rows of a list may differ in length).
        """
        if isinstance(token_ids, torch.Tensor):
            if token_ids.dim() != 2:
                raise ValueError(
                    'decode expects [N, L] token ids, got a tensor of '
                    f'shape {tuple(token_ids.shape)}'
                )
            token_ids = token_ids.tolist()
        captions = []
        for row, ids in enumerate(token_ids):
            if isinstance(ids, (int, str)):
                raise ValueError(
                    'decode expects rows of token ids (a 2-D list), '
                    f'got {type(ids).__name__} at row {row}'
                )
            ids = [int(i) for i in ids]
            if ids and ids[0] == self.start_token_id:
                ids = ids[1:]
            if self.end_token_id in ids:
                ids = ids[: ids.index(self.end_token_id)]
            bad = [i for i in ids if not 0 <= i < self.vocab_size]
            if bad:
                raise ValueError(
                    f'decode: row {row} holds ids outside the '
                    f'vocabulary [0, {self.vocab_size}): {bad[:5]}'
                )
            text = self._backend.decode(
                ids,
                skip_special_tokens=True,
                clean_up_tokenization_spaces=False,
            )
            captions.append(join_word_pieces(text))
        return captions

    def __repr__(self) -> str:
        return (
            f'{self.__class__.__name__}(bpe_path={self.bpe_path!r}, '
            f'max_length={self.max_length})'
        )
