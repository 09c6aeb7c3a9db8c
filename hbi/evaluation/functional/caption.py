"""COCO caption metrics (BLEU-1..4, METEOR, ROUGE-L, CIDEr-D) through
pycocoevalcap, as the captioning literature computes them."""

import contextlib
import shutil
from typing import Dict, Iterator, Mapping, Sequence, Tuple, Union

#: Metric names in the order they are printed; values are percentages.
CAPTION_METRICS = (
    'BLEU-1',
    'BLEU-2',
    'BLEU-3',
    'BLEU-4',
    'METEOR',
    'ROUGE-L',
    'CIDEr',
)


def check_java() -> None:
    """Raise if ``java`` is not on PATH.

    pycocoevalcap runs Stanford's PTB tokenizer (applied to every caption
    before any metric) and METEOR 1.5 in Java; without Java no score would
    be comparable, so there is no fallback.

    Raises:
        RuntimeError: Saying what needs Java and how to install it.
    """
    if shutil.which('java') is None:
        raise RuntimeError(
            'caption metrics need Java: pycocoevalcap runs the Stanford PTB '
            'tokenizer and METEOR 1.5 as Java programs, and no score is '
            'reported without them. Install a Java runtime (e.g. `apt-get '
            'install openjdk-17-jre-headless`) and put `java` on PATH.'
        )


def _check_inputs(
    predictions: Mapping[str, str], references: Mapping[str, Sequence[str]]
) -> None:
    if not predictions:
        raise ValueError('caption_scores: no predictions')
    missing = [v for v in references if v not in predictions]
    extra = [v for v in predictions if v not in references]
    if missing or extra:
        raise ValueError(
            'caption_scores: predictions and references must cover the same '
            f'videos; without a prediction: {missing[:5]} ({len(missing)}), '
            f'without references: {extra[:5]} ({len(extra)})'
        )
    unreferenced = [v for v, refs in references.items() if not len(refs)]
    if unreferenced:
        raise ValueError(
            f'caption_scores: {len(unreferenced)} videos have no reference '
            f'caption, e.g. {unreferenced[:5]}'
        )
    for video_id, caption in predictions.items():
        if not isinstance(caption, str):
            raise ValueError(
                f'caption_scores: the prediction of {video_id!r} is not a '
                f'string: {caption!r}'
            )


@contextlib.contextmanager
def _meteor() -> Iterator:
    """pycocoevalcap's METEOR scorer, its Java process ended on exit."""
    from pycocoevalcap.meteor.meteor import Meteor

    scorer = Meteor()
    try:
        yield scorer
    finally:
        process = scorer.meteor_p
        process.stdin.close()
        process.kill()
        process.wait()


def caption_scores(
    predictions: Mapping[str, str],
    references: Mapping[str, Sequence[str]],
    per_video: bool = False,
) -> Union[Dict[str, float], Tuple[Dict[str, float], Dict[str, dict]]]:
    """Corpus scores of generated captions against all their references.

    Every caption is first tokenised by pycocoevalcap's ``PTBTokenizer``
    (lower case, punctuation removed), then scored by its ``Bleu(4)``
    (corpus BLEU, 'closest' reference length), ``Meteor``, ``Rouge``
    (ROUGE-L) and ``Cider`` (which is CIDEr-D: clipped counts and the
    Gaussian length penalty, document frequencies from these references).
    An empty prediction is scored as it is (zero overlap; it lowers BLEU's
    brevity term) and never crashes a scorer.

    Args:
        predictions (Mapping[str, str]): Generated caption per video id.
        references (Mapping[str, Sequence[str]]): All reference captions per
            video id (every video needs at least one).
        per_video (bool): Also return each video's sentence-level scores
            (BLEU and METEOR of the sentence alone; CIDEr-D with the corpus
            document frequencies). Defaults to False.

    Returns:
        dict[str, float]: :data:`CAPTION_METRICS`, in percent; with
        ``per_video``, also ``{video_id: {metric: percent}}``.

    Raises:
        RuntimeError: Without Java (see :func:`check_java`).
        ValueError: Videos missing on one side, without references, or a
            prediction that is not a string (naming them).
    """
    ((scores, videos),) = caption_scores_of_sets(
        {'': predictions}, references, per_video=True
    ).values()
    return (scores, videos) if per_video else scores


def caption_scores_of_sets(
    prediction_sets: Mapping[str, Mapping[str, str]],
    references: Mapping[str, Sequence[str]],
    per_video: bool = False,
) -> Dict[str, Union[Dict[str, float], Tuple[Dict[str, float], dict]]]:
    """:func:`caption_scores` of several prediction sets (e.g. a model and
    baselines) against the same references, with one run of the Java
    tokenizer and one METEOR process for all of them.

    Args:
        prediction_sets (Mapping[str, Mapping[str, str]]): Predictions per
            set name.
        references (Mapping[str, Sequence[str]]): As :func:`caption_scores`.
        per_video (bool): As :func:`caption_scores`.

    Returns:
        dict: Per set name, what :func:`caption_scores` returns.
    """
    for predictions in prediction_sets.values():
        _check_inputs(predictions, references)
    check_java()
    from pycocoevalcap.bleu.bleu import Bleu
    from pycocoevalcap.cider.cider import Cider
    from pycocoevalcap.rouge.rouge import Rouge
    from pycocoevalcap.tokenizer.ptbtokenizer import PTBTokenizer

    ids = list(references)
    captions = {
        ('ref', v): [{'caption': str(c)} for c in references[v]] for v in ids
    }
    for index, predictions in enumerate(prediction_sets.values()):
        captions.update(
            {(index, v): [{'caption': predictions[v]}] for v in ids}
        )
    tokens = PTBTokenizer().tokenize(captions)
    refs = {v: tokens[('ref', v)] for v in ids}
    results = {}
    with _meteor() as meteor:
        for index, name in enumerate(prediction_sets):
            preds = {v: tokens[(index, v)] for v in ids}
            bleu, bleu_each = Bleu(4).compute_score(refs, preds, verbose=0)
            meteor_score, meteor_each = meteor.compute_score(refs, preds)
            rouge, rouge_each = Rouge().compute_score(refs, preds)
            cider, cider_each = Cider().compute_score(refs, preds)
            values = [*bleu, meteor_score, rouge, cider]
            scores = {
                metric: 100.0 * float(value)
                for metric, value in zip(CAPTION_METRICS, values)
            }
            each = [*bleu_each, meteor_each, rouge_each, cider_each]
            videos = {
                video_id: {
                    metric: 100.0 * float(column[row])
                    for metric, column in zip(CAPTION_METRICS, each)
                }
                for row, video_id in enumerate(ids)
            }
            results[name] = (scores, videos) if per_video else scores
    return results


def format_caption_table(rows: Mapping[str, Mapping[str, float]]) -> str:
    """A text table: one row per model, columns B@4, METEOR, ROUGE-L, CIDEr.

    Args:
        rows (Mapping[str, Mapping[str, float]]): Scores per row name, keys
            as :func:`caption_scores` (an optional ``'caption/'`` prefix is
            ignored).

    Returns:
        str: The table.
    """
    columns = ('BLEU-4', 'METEOR', 'ROUGE-L', 'CIDEr')
    width = max([len(name) for name in rows] + [10])
    lines = [
        f'{"":<{width}}  ' + '  '.join(f'{c:>7}' for c in columns),
    ]
    for name, scores in rows.items():
        plain = {k.split('/')[-1]: v for k, v in scores.items()}
        lines.append(
            f'{name:<{width}}  '
            + '  '.join(f'{plain[c]:>7.1f}' for c in columns)
        )
    return '\n'.join(lines)
