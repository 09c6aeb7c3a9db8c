"""The captioning stage: the HBI encoder-decoder and two baselines."""

import os.path as osp
from typing import List

from tools.demo_stages.common import (
    DemoContext,
    DemoRow,
    baseline_row,
    run_options,
    train_and_test_runner,
)

CAPTION = (
    'configs/captioning/hbi_v2/'
    'hbi-v2_vit-tiny-p8-hbi-pre_1xb64-u12-4e_synthetic.py'
)
CAPTION_FIGURES = ('BLEU-4', 'METEOR', 'ROUGE-L', 'CIDEr')


def captioning_stage(ctx: DemoContext) -> List[DemoRow]:
    """The HBI encoder-decoder, its retriever from the HBI stage (retrieval
    losses on), captions of the test videos (beam 3) scored with
    pycocoevalcap against all references; two baselines scored the same
    way, in the same Java session: the most frequent training caption for
    every video, and the caption of the training video nearest by the
    model's retrieval embedding."""
    from hbi.apis import most_frequent_caption, nearest_video_captions
    from hbi.evaluation.functional import caption_scores_of_sets

    work_dir = osp.join(ctx.work_dir, 'captioning')
    options = run_options(ctx.data_root, ctx.schedule('captioning'))
    options['test_cfg.dump'] = osp.join(work_dir, 'captions.json')
    # No validation pass (a decoding and a Java scoring run): the stage
    # tests its last checkpoint.
    options['train_cfg.val_interval'] = 10**6
    if ctx.artifacts.get('hbi_checkpoint'):
        options['model.retriever_checkpoint'] = ctx.artifacts['hbi_checkpoint']
    metrics, _, train_s, cpu_s, runner = train_and_test_runner(
        CAPTION, work_dir, options
    )
    test = runner.test_dataloader.dataset
    train = runner.train_dataloader.dataset.with_modality('video')
    references = {
        video['video_id']: [test.texts[t]['caption'] for t in refs]
        for video, refs in zip(test.videos, test.video_texts)
    }
    frequent = most_frequent_caption([t['caption'] for t in train.texts])
    nearest = nearest_video_captions(
        runner.model,
        train,
        test,
        batch_size=runner.test_dataloader.batch_size,
        num_workers=runner.test_dataloader.num_workers,
    )
    baselines = caption_scores_of_sets(
        {
            f'most frequent training caption ("{frequent}")': dict.fromkeys(
                references, frequent
            ),
            'caption of the nearest training video (retrieval embedding)': (
                nearest
            ),
        },
        references,
    )

    def figures(scores, prefix=''):
        return {k: scores[prefix + k] for k in CAPTION_FIGURES}

    note = (
        'captioning: the 500 test videos, each against its 5 references '
        '(pycocoevalcap: BLEU-4, METEOR, ROUGE-L, CIDEr-D, in %)',
    )
    rows = [
        DemoRow(
            task='captioning',
            model='HBI encoder-decoder (beam 3), from the HBI retriever',
            figures=figures(metrics, 'caption/'),
            train_seconds=train_s,
            cpu_seconds=cpu_s,
            metrics=metrics,
            notes=note,
        )
    ]
    rows += [
        baseline_row('captioning', name, figures(scores), note)
        for name, scores in baselines.items()
    ]
    return rows
