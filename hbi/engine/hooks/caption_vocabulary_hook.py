"""Restrict a caption decoder's output to the tokens of its training set."""

import itertools

from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from hbi.registry import HOOKS, TOKENIZERS


@HOOKS.register_module()
class CaptionVocabularyHook(Hook):
    """Before training, let the decoder score only the tokens that occur in
    the training captions (and the end token).

    Scoring CLIP's 49,408 tokens at every target position costs more than
    the rest of a small encoder-decoder's step; the synthetic world's
    training captions use 58 of them. A model trained so
    never generates a token outside that set, and its loss (label
    smoothing included) is over that set. The set is a buffer of the
    decoder, so checkpoints carry it to testing; every rank computes the
    same one from the same captions.

    Args:
        tokenizer (dict): Tokenises the captions as the text pipeline does.
            Defaults to ``dict(type='CLIPBPETokenizer')``.
    """

    priority = 'NORMAL'

    def __init__(self, tokenizer: dict = dict(type='CLIPBPETokenizer')):
        self.tokenizer = TOKENIZERS.build(tokenizer)

    def before_train(self, runner) -> None:
        dataset = runner.train_dataloader.dataset
        texts = getattr(dataset, 'texts', None)
        if not texts:
            raise ValueError(
                'CaptionVocabularyHook: the training dataset '
                f'{type(dataset).__name__} has no captions (texts)'
            )
        ids = set(
            itertools.chain.from_iterable(
                self.tokenizer.tokenize([t['caption'] for t in texts])
            )
        )
        model = (
            runner.model.module
            if is_model_wrapper(runner.model)
            else (runner.model)
        )
        model.decoder.restrict_output(sorted(ids))
        kept = model.decoder.output_columns()
        runner.logger.info(
            f'CaptionVocabularyHook: the decoder scores the {len(kept)} '
            f'tokens of the {len(texts)} training captions (and the end '
            'token) instead of the whole vocabulary'
        )
