"""Validation and test loops for video question answering.

Each video is encoded once (MSRVTT-QA's test split asks about 24 questions
per video; a pair loop would run the vision tower 24 times per video): a
video-only pass encodes every video (split across ranks, gathered on every
rank), then the questions are encoded in batches, each paired with its
video's features by index, and answered by ``model.answer``. Only each
question's top answers are kept, so memory does not grow with the question
features. Questions are split across ranks in fixed blocks and their
answers gathered on rank 0, which evaluates (and dumps) them.
"""

import json
import os
import os.path as osp
from typing import Dict, List, Optional

import numpy as np
import torch
from mmengine.dist import gather_object, get_world_size, is_main_process
from mmengine.model import is_model_wrapper
from mmengine.runner import TestLoop, ValLoop
from torch.utils.data import DataLoader

from hbi.registry import LOOPS
from hbi.utils.distributed import map_tensors

from .retrieval_evaluation import _progress, encode_items
from .retrieval_loops import _check_all, _view_loader


def check_answer_vocabulary(model, dataset) -> List[str]:
    """The answer of each class index, checked against the model.

    Returns:
        list[str]: ``labels[i]`` = the answer of index i.

    Raises:
        ValueError: If the dataset's vocabulary is not the indices
            0..N-1, or N differs from the model's ``num_answers``.
    """
    ans2label = getattr(dataset, 'ans2label', None)
    if not ans2label:
        raise ValueError(
            f'{type(dataset).__name__} has no answer vocabulary '
            '(ans2label): the QA loops need a VideoQADataset'
        )
    labels = [''] * len(ans2label)
    for answer, index in ans2label.items():
        if not 0 <= index < len(labels):
            raise ValueError(
                f'{dataset.ans2label_file}: answer {answer!r} has index '
                f'{index}, outside 0..{len(labels) - 1} (the indices must '
                'be 0..N-1)'
            )
        labels[index] = answer
    num_answers = getattr(model, 'num_answers', None)
    if num_answers is not None and num_answers != len(labels):
        raise ValueError(
            f'the model classifies into {num_answers} answers but '
            f'{dataset.ans2label_file} lists {len(labels)}: set the answer '
            "head's num_answers to the vocabulary size"
        )
    return labels


@torch.no_grad()
def answer_questions(
    model,
    loader: DataLoader,
    video_feats: dict,
    fp16: bool = False,
    top_k: int = 5,
) -> List[dict]:
    """Answer every question of ``loader`` (a text-only view) about its
    video, whose features are row ``video_index`` of ``video_feats``.

    Args:
        model: Unwrapped model with ``encode_text`` and ``answer``.
        loader (DataLoader): Batches of questions.
        video_feats (dict): Features of all videos (CPU), from
            ``encode_video``.
        fp16 (bool): Autocast on CUDA. Defaults to False.
        top_k (int): Best answers kept per question. Defaults to 5.

    Returns:
        list[dict]: Per question ``text_index``, ``pred_answer`` (index, -1
        without logits), ``top_answers`` and ``top_scores`` (softmax), and
        ``generated`` (the answer text) for a model that generates.
    """
    device = next(model.parameters()).device
    records: List[dict] = []
    sampler = loader.batch_sampler
    total = sampler.num_owned() if hasattr(sampler, 'num_owned') else None
    progress = _progress('answer questions', total, 'question')
    for batch in loader:
        data = model.data_preprocessor(batch, False)
        inputs, samples = data['inputs'], data['data_samples']
        rows = torch.as_tensor([s.metainfo['video_index'] for s in samples])
        video = map_tensors(lambda t: t[rows].to(device), video_feats)
        with torch.autocast(
            device.type, enabled=fp16 and device.type == 'cuda'
        ):
            text = model.encode_text(
                inputs['input_ids'], inputs['attention_mask']
            )
            out = model.answer(text, video)
        logits = out.get('answer_logits')
        if logits is not None:
            k = min(top_k, logits.shape[-1])
            scores, indices = logits.float().softmax(-1).topk(k, dim=-1)
            scores, indices = scores.cpu().tolist(), indices.cpu().tolist()
        for i, sample in enumerate(samples):
            record = dict(text_index=int(sample.metainfo['text_index']))
            if logits is not None:
                record.update(
                    pred_answer=indices[i][0],
                    top_answers=indices[i],
                    top_scores=scores[i],
                )
            else:
                record['pred_answer'] = -1
            if 'answer_text' in out:
                record['generated'] = out['answer_text'][i]
            records.append(record)
        progress.update(len(samples))
    progress.close()
    return records


def gather_records(records: List[dict], num_texts: int) -> Optional[list]:
    """All ranks' records on rank 0, in question order (None elsewhere).

    Raises:
        RuntimeError: On rank 0, if the questions are not each answered
            exactly once.
    """
    parts = gather_object(records) if get_world_size() > 1 else [records]
    if parts is None:
        return None
    merged = sorted(
        (r for part in parts for r in part), key=lambda r: r['text_index']
    )
    indices = np.asarray([r['text_index'] for r in merged])
    if not np.array_equal(indices, np.arange(num_texts)):
        raise RuntimeError(
            f'QA evaluation answered questions {indices[:10]}... '
            f'({len(indices)}) instead of each of the {num_texts} once'
        )
    return merged


def question_results(
    records: List[dict], dataset, labels: List[str], answer_from: str = 'auto'
) -> List[dict]:
    """One result per question for the metric and the dump: the record
    with the question, its video, the true answer, the answer names of the
    top answers and ``predicted`` (the answer as text).

    ``answer_from`` chooses the prediction that is scored: ``'logits'``
    (the arg-max over the vocabulary), ``'text'`` (the generated answer,
    then ``pred_text``, compared as normalised text) or ``'auto'`` (logits
    when the model gives them).

    Raises:
        ValueError: If the chosen kind of answer is not given by the model.
    """
    results = []
    for record in records:
        source = answer_from
        if source == 'auto':
            source = 'logits' if 'top_answers' in record else 'text'
        needed = 'top_answers' if source == 'logits' else 'generated'
        if needed not in record:
            raise ValueError(
                f'answer_from={answer_from!r}: the model gives no '
                f'{"answer logits" if source == "logits" else "answer text"}'
            )
        text = dataset.texts[record['text_index']]
        result = dict(
            record,
            question=text['caption'],
            video_id=dataset.videos[text['video_index']]['video_id'],
            answer=text['answer'],
            gt_answer=text['gt_answer'],
            answer_type=text.get('answer_type') or None,
        )
        if 'top_answers' in record:
            result['top_answers'] = [labels[i] for i in record['top_answers']]
        if source == 'text':
            result['pred_text'] = result['predicted'] = record['generated']
        else:
            result['predicted'] = labels[record['pred_answer']]
        results.append(result)
    return results


def write_dump(results: List[dict], path: str) -> None:
    """One JSON line per question: question, video, true answer, predicted
    answer (and its top answers with scores)."""
    keys = (
        'text_index',
        'video_id',
        'question',
        'answer_type',
        'answer',
        'gt_answer',
        'predicted',
        'generated',
        'pred_answer',
        'top_answers',
        'top_scores',
    )
    folder = osp.dirname(path)
    if folder:
        os.makedirs(folder, exist_ok=True)
    with open(path, 'w', encoding='utf-8') as f:
        for result in results:
            line = {k: result[k] for k in keys if k in result}
            f.write(json.dumps(line, ensure_ascii=False) + '\n')


def run_qa_evaluation(loop, stage: str, dump: Optional[str] = None) -> dict:
    """Encode videos once, answer the questions block by block across
    ranks, evaluate on rank 0; calls the runner's ``before/after_{stage}``
    hooks."""
    runner = loop.runner
    runner.call_hook(f'before_{stage}')
    runner.call_hook(f'before_{stage}_epoch')
    model = (
        runner.model.module if is_model_wrapper(runner.model) else runner.model
    )
    model.eval()
    dataset = loop.dataloader.dataset
    labels = check_answer_vocabulary(model, dataset)
    video_ids, video_feats, _ = encode_items(
        model, _view_loader(loop.dataloader, 'video'), 'video', loop.fp16
    )
    _check_all(video_ids, 'videos')
    records = answer_questions(
        model,
        _view_loader(loop.dataloader, 'text', loop.text_block_size),
        video_feats,
        loop.fp16,
        loop.top_k,
    )
    del video_feats
    records = gather_records(records, len(dataset.texts))
    if is_main_process():
        results = question_results(records, dataset, labels, loop.answer_from)
        if dump:
            write_dump(results, dump)
            runner.logger.info(
                f'{len(results)} questions with predicted and true answers '
                f'written to {dump}'
            )
        loop.evaluator.process(data_samples=results, data_batch=None)
    metrics = loop.evaluator.evaluate(len(dataset.texts))
    runner.call_hook(f'after_{stage}_epoch', metrics=metrics)
    runner.call_hook(f'after_{stage}')
    return metrics


class _QALoopMixin:
    #: What ``tools/test.py`` reads: the task and the ``--dump`` file type.
    task = 'videoqa'
    dump_suffix = '.jsonl'

    def _setup(
        self,
        text_block_size: int,
        top_k: int,
        answer_from: str = 'auto',
        dump: Optional[str] = None,
    ) -> None:
        if answer_from not in ('auto', 'logits', 'text'):
            raise ValueError(
                f"{type(self).__name__}: answer_from must be 'auto', "
                f"'logits' or 'text', got {answer_from!r}"
            )
        self.answer_from = answer_from
        for name, value in (
            ('text_block_size', text_block_size),
            ('top_k', top_k),
        ):
            if not isinstance(value, int) or value < 1:
                raise ValueError(
                    f'{type(self).__name__}: `{name}` must be a positive '
                    f'int, got {value!r}'
                )
        if dump and not dump.endswith(self.dump_suffix):
            raise ValueError(
                f'{type(self).__name__}: dump must name a '
                f'{self.dump_suffix} file, got {dump!r}'
            )
        self.text_block_size, self.top_k, self.dump = (
            text_block_size,
            top_k,
            dump,
        )


_ARGS_DOC = """
    Args:
        runner, dataloader, evaluator, fp16: as
            :class:`mmengine.runner.{base}`; the dataloader's dataset is a
            :class:`VideoQADataset`.
        text_block_size (int): Questions per block; blocks are shared out
            among ranks (block ``b`` to rank ``b % world``). Defaults to
            1024.
        top_k (int): Best answers kept per question (for the dump).
            Defaults to 5.
        answer_from (str): The scored prediction: ``'logits'`` (arg-max
            over the vocabulary), ``'text'`` (generated, compared as
            normalised text) or ``'auto'`` (logits when the model gives
            them). Defaults to ``'auto'``.
"""


@LOOPS.register_module()
class VideoQAValLoop(_QALoopMixin, ValLoop):
    __doc__ = (
        'Validation for VideoQA: each video encoded once, questions '
        'answered in blocks across ranks.\n' + _ARGS_DOC.format(base='ValLoop')
    )

    def __init__(
        self,
        runner,
        dataloader,
        evaluator,
        fp16: bool = False,
        text_block_size: int = 1024,
        top_k: int = 5,
        answer_from: str = 'auto',
    ) -> None:
        super().__init__(runner, dataloader, evaluator, fp16)
        self._setup(text_block_size, top_k, answer_from)

    def run(self) -> Dict[str, float]:
        return run_qa_evaluation(self, 'val')


@LOOPS.register_module()
class VideoQATestLoop(_QALoopMixin, TestLoop):
    __doc__ = (
        'Test for VideoQA; like :class:`VideoQAValLoop`.\n'
        + _ARGS_DOC.format(base='TestLoop')
        + '        dump (str, optional): A ``.jsonl`` path receiving one '
        'line per\n            question (question, video, true and '
        'predicted answer, top\n            answers with scores). '
        'Defaults to None.\n'
    )

    def __init__(
        self,
        runner,
        dataloader,
        evaluator,
        fp16: bool = False,
        text_block_size: int = 1024,
        top_k: int = 5,
        answer_from: str = 'auto',
        dump: Optional[str] = None,
    ) -> None:
        super().__init__(runner, dataloader, evaluator, fp16)
        self._setup(text_block_size, top_k, answer_from, dump)

    def run(self) -> Dict[str, float]:
        return run_qa_evaluation(self, 'test', self.dump)
