"""Caption tag files: ``tools/data/tag_captions.py`` with a spaCy pipeline
trained here and with the synthetic world's true tags, the alignment to
CLIP's BPE tokens checked against the world's grammar, the errors of a
missing or mismatched tag file, and the two masks built from the tags."""

import importlib.util
import json
import random
import shutil
from pathlib import Path

import numpy as np
import pytest

from hbi.datasets import MSRVTTRetrievalDataset
from hbi.datasets.transforms import ContentWordMask, SemanticTextMask
from hbi.models.tokenizers.clip_tokenizer import CLIPBPETokenizer

ROOT = Path(__file__).resolve().parents[2]
MAX_WORDS = 32


def _load(name, path):
    spec = importlib.util.spec_from_file_location(name, ROOT / path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


tool = _load('tag_captions_tool', 'tools/data/tag_captions.py')
grammar = _load('synthetic_grammar', 'tools/data/synthetic/synthetic_world.py')


def _dataset_args(root, **extra):
    return dict(
        data_root=str(root),
        ann_file='annotations/MSRVTT_data.json',
        tag_file='annotations/MSRVTT_data.tags.json',
        text_pipeline=[
            dict(type='TokenizeText', max_length=MAX_WORDS),
            dict(type='ContentWordMask'),
        ],
        **extra,
    )


def _write_config(path, root):
    kind = dict(type='MSRVTTRetrievalDataset')
    train = dict(kind, **_dataset_args(root))  # every video
    test = dict(kind, **_dataset_args(root, split='test'))
    path.write_text(
        f'train_dataloader = dict(dataset={train!r})\n'
        f'test_dataloader = dict(dataset={test!r})\n'
    )
    return str(path)


@pytest.fixture
def world(synthetic_world, tmp_path):
    """A private copy of the tiny world (tests write tag files into it)."""
    root = tmp_path / 'world'
    shutil.copytree(synthetic_world / 'annotations', root / 'annotations')
    (root / 'videos').mkdir()
    return root


def expected_content_mask(caption: str, truth: dict) -> list:
    """From the grammar's words: each word tokenized on its own (CLIP's BPE
    works within words), every token of a noun or verb marked, then CLIP's
    layout (start token, words cut to MAX_WORDS - 2, end token, padding)."""
    tokenizer = CLIPBPETokenizer()
    marks = []
    for word, pos in truth[caption]:
        marks += [int(pos in ('NOUN', 'VERB'))] * len(
            tokenizer.tokenize([word])[0]
        )
    marks = [0] + marks[: MAX_WORDS - 2] + [0]
    return marks + [0] * (MAX_WORDS - len(marks))


def _check_masks(root) -> float:
    """Fraction of captions whose mask equals the grammar's."""
    truth = json.loads((root / 'annotations/caption_words.json').read_text())
    ds = MSRVTTRetrievalDataset(**{**_dataset_args(root), 'modality': 'text'})
    assert len(ds) == 30  # 6 videos x 5 captions
    equal = 0
    for i in range(len(ds)):
        item = ds[i]
        caption = item['data_samples'].caption
        mask = item['inputs']['content_word_mask'].tolist()
        equal += mask == expected_content_mask(caption, truth)
    return equal / len(ds)


def test_truth_tags_align_with_the_grammar(world, tmp_path):
    config = _write_config(tmp_path / 'cfg.py', world)
    written = tool.main(
        [config, '--truth', str(world / 'annotations/caption_words.json')]
    )
    data = json.loads((world / 'annotations/MSRVTT_data.json').read_text())
    distinct = {s['caption'] for s in data['sentences']}
    assert list(written.values()) == [len(distinct)]  # one file for both
    assert _check_masks(world) == 1.0


def _train_tagger(folder: Path) -> str:
    """A spaCy morphologizer trained in seconds on tagged sentences of
    another seed of the world (no download)."""
    import spacy
    from spacy.tokens import Doc
    from spacy.training import Example
    from spacy.util import minibatch

    captions = []
    for index in range(20):
        plan = grammar.plan_video(11, index, 32, 8)
        captions += grammar.make_captions(plan, plan.pop('rng'))
    nlp = spacy.blank('en')
    tok2vec = {
        '@architectures': 'spacy.HashEmbedCNN.v2',
        'pretrained_vectors': None,
        'width': 32,
        'depth': 1,
        'embed_size': 300,
        'window_size': 1,
        'maxout_pieces': 2,
        'subword_features': False,
    }
    nlp.add_pipe(
        'morphologizer',
        config=dict(
            model={'@architectures': 'spacy.Tagger.v2', 'tok2vec': tok2vec}
        ),
    )
    examples = []
    for caption in captions:
        words = grammar.caption_words(caption)
        reference = Doc(
            nlp.vocab, words=[w for w, _ in words], pos=[p for _, p in words]
        )
        examples.append(Example(nlp.make_doc(caption), reference))
    random.seed(0)
    optimizer = nlp.initialize(lambda: examples)
    for _ in range(12):
        random.shuffle(examples)
        for batch in minibatch(examples, 16):
            nlp.update(batch, sgd=optimizer)
    nlp.to_disk(folder)
    return str(folder)


def test_spacy_pipeline_tags_the_content_words(world, tmp_path):
    pipeline = _train_tagger(tmp_path / 'tagger')
    config = _write_config(tmp_path / 'cfg.py', world)
    tool.main([config, '--pipeline', pipeline])
    payload = json.loads(
        (world / 'annotations/MSRVTT_data.tags.json').read_text()
    )
    assert payload['tagger'].startswith('spacy')
    # A tagger trained on 100 sentences may miss a rare word: nearly all.
    assert _check_masks(world) >= 0.9


def test_missing_spacy_pipeline_says_how_to_install(world, tmp_path):
    config = _write_config(tmp_path / 'cfg.py', world)
    with pytest.raises(SystemExit, match='spacy download en_core_web_sm'):
        tool.main([config, '--pipeline', str(tmp_path / 'no_such')])


def test_missing_tag_file_gives_the_command(world):
    with pytest.raises(FileNotFoundError, match='tools/data/tag_captions.py'):
        MSRVTTRetrievalDataset(**_dataset_args(world))


def test_tag_file_of_changed_annotations_is_refused(world, tmp_path):
    config = _write_config(tmp_path / 'cfg.py', world)
    tool.main(
        [config, '--truth', str(world / 'annotations/caption_words.json')]
    )
    ann = world / 'annotations/MSRVTT_data.json'
    data = json.loads(ann.read_text())
    data['sentences'] = data['sentences'][:-1]  # one caption fewer
    ann.write_text(json.dumps(data))
    with pytest.raises(ValueError) as error:
        MSRVTTRetrievalDataset(**_dataset_args(world))
    message = str(error.value)
    assert 'MSRVTT_data.tags.json' in message
    assert str(ann) in message and 'do not match' in message


def test_tag_file_lacking_captions_is_refused(world, tmp_path):
    config = _write_config(tmp_path / 'cfg.py', world)
    tool.main(
        [config, '--truth', str(world / 'annotations/caption_words.json')]
    )
    tags = world / 'annotations/MSRVTT_data.tags.json'
    payload = json.loads(tags.read_text())
    payload['captions'].pop(next(iter(payload['captions'])))
    tags.write_text(json.dumps(payload))
    with pytest.raises(ValueError, match='1 captions are not tagged'):
        MSRVTTRetrievalDataset(**_dataset_args(world))


def test_transforms_need_a_tag_file(world):
    cfg = _dataset_args(world)
    cfg.pop('tag_file')
    with pytest.raises(ValueError, match=r"\['ContentWordMask'\].*tag_file"):
        MSRVTTRetrievalDataset(**cfg)


# -- the masks, on hand-written tags ----------------------------------------
# "a dog shows up , then it goes to the park": 11 words, "park" is two BPE
# tokens here (made up) so that whole-word masking is visible.
POS = 'DET NOUN VERB ADP PUNCT ADV PRON VERB ADP DET NOUN'.split()
TAGS = dict(pos=POS, tokens=list(range(11)) + [10])  # 12 BPE tokens
NOUN_TOKENS, VERB_PHRASE_TOKENS = [[1], [10, 11]], [[2, 3], [7, 8]]


def _results(tags=TAGS, length=16):
    n = min(len(tags['tokens']), length - 2)
    mask = np.zeros(length, dtype=np.int64)
    mask[: n + 2] = 1
    return dict(
        caption='a dog shows up, then it goes to the park',
        caption_tags=tags,
        input_ids=np.arange(length),
        attention_mask=mask,
    )


def test_content_word_mask_marks_nouns_and_verbs():
    mask = ContentWordMask()(_results())['content_word_mask']
    # positions are BPE index + 1 (start token first)
    expected = np.zeros(16, dtype=np.int64)
    expected[[1 + t for t in (1, 2, 7, 10, 11)]] = 1
    assert mask.tolist() == expected.tolist()
    # truncated to 8 tokens: only the 6 first BPE tokens are kept
    short = ContentWordMask()(_results(length=8))['content_word_mask']
    assert short.tolist() == [0, 0, 1, 1, 0, 0, 0, 0]


def test_content_word_mask_refuses_tags_of_another_tokenizer():
    results = _results()
    results['attention_mask'][14] = 1  # the tokenizer kept 13 BPE tokens
    with pytest.raises(ValueError, match='aligns 12 BPE tokens'):
        ContentWordMask()(results)


def test_semantic_mask_hides_whole_units():
    units = NOUN_TOKENS + VERB_PHRASE_TOKENS
    all_units = SemanticTextMask(prob=1.0)(_results())
    hidden = np.flatnonzero(
        (all_units['attention_mask'] == 1)
        & (all_units['masked_attention_mask'] == 0)
    )
    assert sorted(hidden - 1) == sorted(t for u in units for t in u)
    np.random.seed(0)
    counts = np.zeros(len(units))
    for _ in range(400):
        masked = SemanticTextMask(prob=0.3)(_results())[
            'masked_attention_mask'
        ]
        hidden = set(np.flatnonzero(masked[:14] == 0) - 1)
        chosen = [set(u) <= hidden for u in units]
        # nothing but whole units, and at least one
        assert hidden == {t for u, c in zip(units, chosen) if c for t in u}
        assert any(chosen)
        counts += chosen
    # P(unit chosen) = 0.3 + P(none drawn) / 4 = 0.3 + 0.7**4 / 4 = 0.36
    assert np.allclose(counts / 400, 0.36, atol=0.07)
