"""VideoQA end to end on a small synthetic world: ``tools/test.py`` reads
the released QA layout directly, the QA test loop (each video encoded once)
answers exactly like a per-question loop, ``--dump`` writes every question,
``tools/train.py`` keeps the best validation checkpoint, and
``tools/analysis/ask.py`` answers questions about a video file."""

import json

import pytest
import torch
from mmengine.dataset import pseudo_collate

from hbi.models.retrievers import load_model_checkpoint
from hbi.registry import DATASETS, MODELS
from hbi.utils import load_config
from tests.test_models.test_answerers.qa_reference import QA_LAYOUT
from tests.test_models.test_retrievers.released_layouts import (
    HEAD_HEADS,
    SMALL_ARCH,
    TEMPORAL_HEADS,
    TEMPORAL_LAYERS,
    make_released_state_dict,
)
from tests.test_tools.fast_config import ROOT, load_tool

QA_SYNTHETIC = ROOT / (
    'configs/videoqa/hbi/hbi_vit-tiny-p8-scratch_1xb64-u12-8e_synthetic-qa.py'
)
test_tool, train_tool = load_tool('test'), load_tool('train')


def num_answers(world) -> int:
    return len(
        json.loads((world / 'annotations/qa_ans2label.json').read_text())
    )


def write_config(path, world):
    width = SMALL_ARCH['embed_dim']
    loader = 'batch_size=8, num_workers=0, dataset=dict(data_root=data_root)'
    path.write_text(
        '\n'.join(
            [
                f'_base_ = [{str(QA_SYNTHETIC)!r}]',
                f'arch = dict(_delete_=True, **{SMALL_ARCH!r})',
                'model = dict(text_encoder=dict(arch=arch), '
                'video_encoder=dict(arch=arch), '
                f'temporal=dict(width={width}, num_layers={TEMPORAL_LAYERS}, '
                f'num_heads={TEMPORAL_HEADS}), '
                f'head=dict(embed_dim={width}, num_heads={HEAD_HEADS}), '
                f'answer_head=dict(embed_dim={width}, '
                f'num_answers={num_answers(world)}))',
                f'data_root = {str(world)!r}',
                f'train_dataloader = dict({loader})',
                f'val_dataloader = dict({loader})',
                f'test_dataloader = dict({loader})',
                'max_epochs = 1',
                'train_cfg = dict(max_epochs=1, val_interval=1)',
                "param_scheduler = [dict(type='WarmupCosineLR', warmup=0.1, "
                'by_epoch=True, begin=0, end=1, convert_to_iter_based=True)]',
                'default_hooks = dict(logger=dict(interval=1))',
            ]
        )
        + '\n'
    )
    return path


def released_file(path, world, seed=6):
    """A random released-layout QA checkpoint with the world's answers."""
    state = make_released_state_dict(seed=seed, layout=QA_LAYOUT)
    n = num_answers(world)
    for suffix in ('', '0', '1'):
        for name in ('weight', 'bias'):
            key = f'classifier{suffix}.2.{name}'
            state[key] = state[key][:n].clone()
    torch.save(state, path)
    return path


@pytest.fixture(scope='module')
def evaluated(small_world, tmp_path_factory):
    """tools/test.py on the released file and on its conversion."""
    tmp = tmp_path_factory.mktemp('qa_eval')
    config = write_config(tmp / 'cfg.py', small_world)
    src = released_file(tmp / 'pytorch_model.bin', small_world)
    converted = tmp / 'converted.pth'
    load_tool('model_converters/hbi_official_to_hbi').convert_file(
        str(src), str(converted)
    )
    dump = tmp / 'a' / 'answers.jsonl'
    direct = test_tool.main(
        [
            str(config),
            str(src),
            '--work-dir',
            str(tmp / 'a'),
            '--dump',
            str(dump),
        ]
    )
    via_tool = test_tool.main(
        [str(config), str(converted), '--work-dir', str(tmp / 'b')]
    )
    return dict(
        config=config, src=src, direct=direct, via_tool=via_tool, dump=dump
    )


def test_released_file_evaluates_like_its_conversion(evaluated):
    direct, via_tool = evaluated['direct'], evaluated['via_tool']
    assert {'qa/acc', 'qa/acc_excl_oov', 'qa/oov_rate'} <= set(direct)
    assert direct == via_tool


def test_dump_has_every_question_and_matches_the_metric(
    evaluated, small_world
):
    records = [
        json.loads(line)
        for line in (small_world / 'annotations/qa_test.jsonl')
        .read_text()
        .splitlines()
    ]
    lines = [
        json.loads(line) for line in evaluated['dump'].read_text().splitlines()
    ]
    assert len(lines) == len(records)
    # every question once, with its true answer and video
    assert sorted(
        (r['question'], r['video_id'], r['answer']) for r in records
    ) == sorted((d['question'], d['video_id'], d['answer']) for d in lines)
    for d in lines:
        assert d['predicted'] == d['top_answers'][0]
        assert len(d['top_answers']) == 5
        assert d['top_scores'] == sorted(d['top_scores'], reverse=True)
    correct = [d['predicted'] == d['answer'] for d in lines]
    assert evaluated['direct']['qa/acc'] == pytest.approx(
        100 * sum(correct) / len(lines)
    )


def test_encoding_each_video_once_answers_like_a_pair_loop(
    evaluated, small_world
):
    """The standard loop (one item per question, its video decoded and
    encoded with it) gives the same answer to every question."""
    cfg = load_config(str(evaluated['config']))
    model = MODELS.build(cfg.model)
    load_model_checkpoint(model, str(evaluated['src']))
    model.eval()
    dataset = DATASETS.build(cfg.test_dataloader.dataset)
    predicted = {}
    with torch.no_grad():
        for start in range(0, len(dataset), 8):
            batch = pseudo_collate(
                [
                    dataset[i]
                    for i in range(start, min(start + 8, len(dataset)))
                ]
            )
            for sample in model.test_step(batch):
                predicted[sample.text_index] = sample.pred_answer
    lines = [
        json.loads(line) for line in evaluated['dump'].read_text().splitlines()
    ]
    assert {d['text_index']: d['pred_answer'] for d in lines} == predicted


def test_training_keeps_the_best_validation_checkpoint(small_world, tmp_path):
    config = write_config(tmp_path / 'cfg.py', small_world)
    cfg = load_config(str(config))
    assert cfg.val_dataloader.dataset.ann_file.endswith('qa_val.jsonl')
    work = tmp_path / 'work'
    train_tool.main([str(config), '--work-dir', str(work)])
    assert list(work.glob('best_qa_acc_epoch_1.pth'))
    scalars = next(work.rglob('vis_data/scalars.json')).read_text()
    assert 'loss_answer_entity' in scalars and 'qa/acc' in scalars


def test_ask_tool_answers_like_the_test_loop(evaluated, small_world, capsys):
    lines = [
        json.loads(line) for line in evaluated['dump'].read_text().splitlines()
    ]
    video_id = lines[0]['video_id']
    asked = [d for d in lines if d['video_id'] == video_id]
    video = small_world / 'videos' / f'{video_id}.mp4'
    ask = load_tool('analysis/ask')
    answers = ask.main(
        [str(evaluated['config']), str(evaluated['src']), str(video)]
        + [d['question'] for d in asked]
    )
    out = capsys.readouterr().out
    assert f'Q: {asked[0]["question"]}' in out
    for d, top in zip(asked, answers):
        assert [a for a, _ in top] == d['top_answers']
        assert [s for _, s in top] == pytest.approx(d['top_scores'], abs=1e-5)
    with pytest.raises(FileNotFoundError, match='video not found'):
        ask.main(
            [
                str(evaluated['config']),
                str(evaluated['src']),
                str(small_world / 'nope.mp4'),
                'what?',
            ]
        )


def test_demo_baselines_never_look_at_the_video(small_world):
    """The demo's QA baselines: the majority training answer, and the most
    frequent training answer of the same question."""
    ann = small_world / 'annotations'
    train = [
        json.loads(x)
        for x in (ann / 'qa_train.jsonl').read_text().splitlines()
    ]
    test = [
        json.loads(x) for x in (ann / 'qa_test.jsonl').read_text().splitlines()
    ]
    answers = [r['answer'] for r in train]
    majority = max(
        answers, key=lambda a: (answers.count(a), -answers.index(a))
    )
    expected = 100 * sum(r['answer'] == majority for r in test) / len(test)
    out = load_tool('demo').qa_baselines(str(small_world))
    assert out['majority answer (no video)']['acc'] == pytest.approx(expected)
    assert 0 <= out['question only (no video)']['acc'] <= 100
