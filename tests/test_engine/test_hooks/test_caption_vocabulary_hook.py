"""CaptionVocabularyHook restricts the decoder to the training tokens."""

from types import SimpleNamespace

import pytest

from hbi.models.decoders import TransformerTextDecoder
from hbi.models.tokenizers import CLIPBPETokenizer
from hbi.registry import HOOKS


def _runner(texts):
    model = SimpleNamespace(
        decoder=TransformerTextDecoder(
            memory_dim=8, width=8, num_layers=1, num_heads=2
        )
    )
    dataset = SimpleNamespace(texts=texts)
    logs = []
    return SimpleNamespace(
        model=model,
        train_dataloader=SimpleNamespace(dataset=dataset),
        logger=SimpleNamespace(info=logs.append),
        logs=logs,
    )


def test_the_training_tokens_and_the_end_token():
    captions = ['a red circle moves left', 'The red square, grows!']
    runner = _runner([dict(caption=c, video_index=0) for c in captions])
    HOOKS.build(dict(type='CaptionVocabularyHook')).before_train(runner)
    words = CLIPBPETokenizer().tokenize(captions)
    expected = sorted({*words[0], *words[1], 49407})
    assert runner.model.decoder.output_columns().tolist() == expected
    assert f'scores the {len(expected)} tokens' in runner.logs[0]


def test_no_captions_is_an_error():
    with pytest.raises(ValueError, match='has no captions'):
        HOOKS.build(dict(type='CaptionVocabularyHook')).before_train(
            _runner([])
        )
