"""Text-video retrieval metric: a thin mmengine wrapper around
:mod:`hbi.evaluation.functional` (style pattern P7)."""

from typing import Any, Dict, List, Literal, Optional, Sequence

import numpy as np
import torch
from mmengine.logging import print_log

from hbi.registry import METRICS

from ..functional.rescoring import dual_softmax, qb_norm
from ..functional.retrieval import (
    V2TRule,
    check_ks,
    check_v2t_rule,
    retrieval_metrics,
)
from ..functional.retrieval_table import format_retrieval_table
from .main_process_metric import MainProcessMetric

RESCORERS = ('dsl', 'qb_norm')


def _to_numpy(value: Any, name: str) -> np.ndarray:
    """Return ``value`` as a numpy array (tensors are moved to CPU)."""
    if isinstance(value, torch.Tensor):
        return value.detach().cpu().numpy()
    if isinstance(value, np.ndarray):
        return value
    raise ValueError(
        f'RetrievalMetric.process: `{name}` must be a numpy '
        f'array or a torch tensor, got {type(value).__name__}'
    )


@METRICS.register_module()
class RetrievalMetric(MainProcessMetric):
    """Recall@k, median and mean rank for text-to-video and video-to-text.

    The retrieval loop computes the whole similarity matrix and calls
    ``process`` once, on rank 0, with one sample::

        dict(similarity=[Nt, Nv], text_to_video=[Nt],
             bank_similarity=[Nb, Nv],   # optional
             reranked=dict(t2v=[Nt, Nv], v2t=[Nt, Nv]))   # optional

    ``compute_metrics`` returns the raw metrics (``'t2v/R@1'`` …
    ``'v2t/MnR'``, see :func:`~hbi.evaluation.functional.retrieval_metrics`)
    and, for each configured re-scorer, the same metrics re-computed on the
    re-scored matrix under its name: ``'dsl/t2v/R@1'`` …,
    ``'qb_norm/t2v/R@1'`` …. Re-scorers are applied to the raw matrix
    independently (not chained). With the re-ranking stage (a model with a
    ``reranker``), ``reranked`` holds one matrix per direction (each
    direction's own top-k re-ranked, see
    :mod:`hbi.engine.runner.retrieval_reranking`): ``'rerank/t2v/…'`` is
    computed from ``reranked['t2v']``, ``'rerank/v2t/…'`` from
    ``reranked['v2t']``. The entry ``'v2t_rule'`` (a string) names the
    video-to-text rule of every ``v2t`` figure, so that it is kept with them
    in the logs and the test's json.
    QB-Norm reports text-to-video only: a bank of caption queries normalises
    the video gallery, and says nothing about the video-to-text direction.
    A table of all rows is logged through the current MMLogger.

    Ranks use the pessimistic tie convention (see
    :mod:`hbi.evaluation.functional.retrieval`).

    Args:
        ks (Sequence[int]): Cut-offs of ``R@k``. Defaults to (1, 5, 10, 50).
        v2t_rule (str): How a video query with several captions is ranked:
            ``'best_caption_per_video'`` (CLIP4Clip's: among the videos, each
            scored by its best caption) or ``'all_captions'`` (its best
            caption among all captions). The same with one caption per
            video. Defaults to ``'best_caption_per_video'``.
        rescorers (Sequence[str]): Re-scorers to report in addition to the
            raw metrics, any of ``'dsl'`` (dual softmax) and ``'qb_norm'``.
            Defaults to () (none).
        dsl_temperature (float): Logit multiplier of
            :func:`~hbi.evaluation.functional.dual_softmax`. Defaults to 100.
        qb_norm_k (int): Top-k of the QB-Norm activation set. Defaults to 1.
        qb_norm_beta (float): QB-Norm inverse temperature. Defaults to 20.
        qb_norm_bank (str): Where the QB-Norm query bank comes from.
            ``'given'``: the sample's ``bank_similarity`` (e.g. training
            captions against the test videos), and ``compute_metrics`` raises
            if it is missing. ``'self'``: the test captions themselves (a
            transductive shortcut that uses all test queries at once; report
            it as such). Defaults to ``'given'``.
        collect_device (str): Kept for the mmengine interface. Nothing is
            gathered across ranks: the similarity matrix lives on rank 0
            only. Defaults to ``'cpu'``.
        prefix (str, optional): Prefix of every key, e.g. ``'retrieval'``.
            Defaults to None.
    """

    default_prefix: Optional[str] = None

    def __init__(
        self,
        ks: Sequence[int] = (1, 5, 10, 50),
        v2t_rule: V2TRule = 'best_caption_per_video',
        rescorers: Sequence[str] = (),
        dsl_temperature: float = 100.0,
        qb_norm_k: int = 1,
        qb_norm_beta: float = 20.0,
        qb_norm_bank: Literal['given', 'self'] = 'given',
        collect_device: str = 'cpu',
        prefix: Optional[str] = None,
    ) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.ks = check_ks(ks)
        self.v2t_rule = check_v2t_rule(v2t_rule)
        if isinstance(rescorers, str) or not isinstance(rescorers, Sequence):
            raise ValueError(
                'RetrievalMetric: `rescorers` must be a list of '
                f'names from {RESCORERS}, got {rescorers!r}'
            )
        unknown = [name for name in rescorers if name not in RESCORERS]
        if unknown or len(set(rescorers)) != len(rescorers):
            raise ValueError(
                f'RetrievalMetric: `rescorers` must be distinct names from '
                f'{RESCORERS}, got {tuple(rescorers)!r}'
            )
        if qb_norm_bank not in ('given', 'self'):
            raise ValueError(
                "RetrievalMetric: `qb_norm_bank` must be 'given' "
                f"or 'self', got {qb_norm_bank!r}"
            )
        self.rescorers = tuple(rescorers)
        self.dsl_temperature = dsl_temperature
        self.qb_norm_k = qb_norm_k
        self.qb_norm_beta = qb_norm_beta
        self.qb_norm_bank = qb_norm_bank

    def process(self, data_batch: Any, data_samples: Sequence[dict]) -> None:
        """Store the similarity matrix (or matrices) of the samples.

        Args:
            data_batch (Any): Unused.
            data_samples (Sequence[dict]): Dicts with ``similarity``,
                ``text_to_video`` and optionally ``bank_similarity`` and
                ``reranked``.

        Shape:
            - similarity: :math:`(N_t, N_v)`.
            - text_to_video: :math:`(N_t,)`.
            - bank_similarity: :math:`(N_b, N_v)`.
            - reranked['t2v'], reranked['v2t']: :math:`(N_t, N_v)`.
        """
        for sample in data_samples:
            missing = {'similarity', 'text_to_video'} - set(sample)
            if missing:
                raise ValueError(
                    'RetrievalMetric.process: each sample needs '
                    f'keys similarity and text_to_video, missing '
                    f'{sorted(missing)}'
                )
            result = {
                key: _to_numpy(sample[key], key)
                for key in ('similarity', 'text_to_video', 'bank_similarity')
                if sample.get(key) is not None
            }
            if sample.get('reranked') is not None:
                result['reranked'] = {
                    direction: _to_numpy(
                        sample['reranked'][direction], f'reranked.{direction}'
                    )
                    for direction in ('t2v', 'v2t')
                }
            self.results.append(result)

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        """Compute raw and re-scored metrics and log them as a table.

        Args:
            results (list[dict]): Exactly one processed sample.

        Returns:
            dict: Raw metrics, then ``'<rescorer>/…'`` metrics per re-scorer,
            then ``'rerank/…'`` ones if the sample holds ``reranked``, then
            ``'v2t_rule'``.
        """
        if len(results) != 1:
            raise ValueError(
                'RetrievalMetric expects exactly one processed sample holding '
                f'the full similarity matrix, got {len(results)}'
            )
        sim = results[0]['similarity']
        text_to_video = results[0]['text_to_video']
        metrics = retrieval_metrics(sim, text_to_video, self.ks, self.v2t_rule)
        for name in self.rescorers:
            if name == 'dsl':
                rescored = retrieval_metrics(
                    dual_softmax(sim, self.dsl_temperature),
                    text_to_video,
                    self.ks,
                    self.v2t_rule,
                )
            else:
                rescored = {
                    key: value
                    for key, value in retrieval_metrics(
                        qb_norm(
                            sim,
                            self._bank(results[0]),
                            self.qb_norm_k,
                            self.qb_norm_beta,
                        ),
                        text_to_video,
                        self.ks,
                    ).items()
                    if key.startswith('t2v/')
                }
            metrics.update({f'{name}/{k}': v for k, v in rescored.items()})
        for direction, matrix in results[0].get('reranked', {}).items():
            metrics.update(
                {
                    f'rerank/{key}': value
                    for key, value in retrieval_metrics(
                        matrix, text_to_video, self.ks, self.v2t_rule
                    ).items()
                    if key.startswith(f'{direction}/')
                }
            )
        metrics['v2t_rule'] = self.v2t_rule
        print_log(
            'Text-video retrieval (ranks: pessimistic ties)\n'
            + format_retrieval_table(metrics),
            logger='current',
        )
        return metrics

    def _bank(self, result: dict) -> np.ndarray:
        """The QB-Norm bank similarities chosen by ``qb_norm_bank``."""
        if self.qb_norm_bank == 'self':
            return result['similarity']
        if 'bank_similarity' not in result:
            raise ValueError(
                "RetrievalMetric: rescorer 'qb_norm' needs `bank_similarity` "
                '[Nb, Nv] in the processed sample (e.g. training captions vs '
                "test videos), or qb_norm_bank='self' to use the test "
                'captions as the bank'
            )
        return result['bank_similarity']
