"""The captioning baselines: most frequent caption, nearest training video."""

import pytest
import torch

from hbi.apis import (
    first_stage_vectors,
    most_frequent_caption,
    nearest_video_captions,
)
from hbi.registry import DATASETS
from tests.test_apis.search_helpers import build_model


def test_most_frequent_caption_counts_normalised_text():
    captions = ['A dog runs', 'a cat', 'a  dog RUNS', 'a cat', 'a bird']
    # 'a dog runs' and 'a cat' both occur twice: the first seen wins.
    assert most_frequent_caption(captions) == 'a dog runs'
    assert most_frequent_caption(['x', 'y', 'y']) == 'y'
    with pytest.raises(ValueError, match='no captions'):
        most_frequent_caption([])


@pytest.mark.parametrize('name', ['meanp', 'hbi'])
def test_nearest_video_captions(configs, name):
    cfg = configs[name]
    model = build_model(cfg)
    data = dict(cfg.test_dataloader.dataset, modality='video')
    videos = DATASETS.build(data)
    # Against itself, every video's nearest training video is itself.
    own = nearest_video_captions(model, videos, videos, batch_size=4)
    assert own == {
        v['video_id']: videos.texts[refs[0]]['caption']
        for v, refs in zip(videos.videos, videos.video_texts)
    }
    # Against the first 4 videos: the arg-max of the cosine of the
    # first-stage vectors, recomputed here from encode_video.
    train = DATASETS.build(dict(data, indices=list(range(4))))
    got = nearest_video_captions(model, train, videos, batch_size=3)
    with torch.no_grad():

        def vectors(dataset):
            items = [dataset[i] for i in range(len(dataset))]
            inputs = model.data_preprocessor(
                dict(
                    inputs={
                        k: [x['inputs'][k] for x in items]
                        for k in ('frames', 'frame_mask')
                    }
                ),
                False,
            )['inputs']
            feats = model.encode_video(inputs['frames'], inputs['frame_mask'])
            return first_stage_vectors(feats, 'video')

        nearest = (vectors(videos) @ vectors(train).t()).argmax(1).tolist()
    assert got == {
        v['video_id']: train.texts[train.video_texts[j][0]]['caption']
        for v, j in zip(videos.videos, nearest)
    }
    with pytest.raises(ValueError, match="'video' view"):
        nearest_video_captions(model, videos.with_modality('pair'), videos)
