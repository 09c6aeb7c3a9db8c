"""CUDA paths against the CPU (skipped without a GPU; run on a lent one).

The CPU suite covers the numerics; these check that the same code gives the
same results on a GPU (its larger interaction tiles included) and that a
mixed-precision training step of the whole model runs.
"""

import pytest
import torch

from hbi.models.layers import BanzhafEstimator, dpc_knn_cluster
from hbi.registry import MODELS

cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason='no CUDA')


@pytest.fixture
def no_tf32():
    """Full fp32 convolutions and matmuls (cuDNN's TF32 default rounds the
    merge convolution enough to move DPC-KNN cluster boundaries)."""
    flags = (
        torch.backends.cudnn.allow_tf32,
        torch.backends.cuda.matmul.allow_tf32,
    )
    torch.backends.cudnn.allow_tf32 = False
    torch.backends.cuda.matmul.allow_tf32 = False
    yield
    (
        torch.backends.cudnn.allow_tf32,
        torch.backends.cuda.matmul.allow_tf32,
    ) = flags


def _masked_tokens(num, length, dim, seed):
    gen = torch.Generator().manual_seed(seed)
    tokens = torch.randn(num, length, dim, generator=gen)
    lengths = torch.randint(1, length + 1, (num,), generator=gen)
    mask = (torch.arange(length)[None] < lengths[:, None]).float()
    return tokens, mask


@cuda
def test_hbi_head_similarity_cuda_matches_cpu(no_tf32):
    """Every level in float64, where CPU/GPU rounding cannot move a DPC-KNN
    cluster boundary; the entity level (no clustering) in float32 too."""
    torch.manual_seed(0)
    head = MODELS.build(
        dict(
            type='HierarchicalBanzhafHead',
            embed_dim=64,
            num_heads=4,
            rate=(1.0, 0.5, 0.25),
        )
    ).eval()
    text = _masked_tokens(300, 32, 64, 1)
    video = _masked_tokens(700, 12, 64, 2)

    def run(device, dtype):
        head.to(device, dtype)
        with torch.no_grad():
            return head.similarity(
                head.encode_text(*(x.to(device, dtype) for x in text)),
                head.encode_video(*(x.to(device, dtype) for x in video)),
            )

    ref, out = run('cpu', torch.float64), run('cuda', torch.float64)
    for key, value in ref.items():
        torch.testing.assert_close(out[key].cpu(), value, atol=1e-9, rtol=0)
    ref = run('cpu', torch.float32)['entity']
    out = run('cuda', torch.float32)['entity']
    torch.testing.assert_close(out.cpu(), ref, atol=1e-5, rtol=0)


@cuda
def test_dpc_knn_cluster_cuda_matches_cpu():
    tokens, mask = _masked_tokens(64, 32, 64, 3)
    ref = dpc_knn_cluster(tokens, 8, 3, mask)
    out = dpc_knn_cluster(tokens.cuda(), 8, 3, mask.cuda())
    for a, b in zip(out, ref):
        assert torch.equal(a.cpu(), b)


@cuda
@pytest.mark.parametrize('dtype', [torch.float16, torch.bfloat16])
def test_hbi_training_step_under_autocast(tmp_path, dtype):
    torch.manual_seed(0)
    teacher = tmp_path / 'teacher.pth'
    torch.save(BanzhafEstimator(8).state_dict(), teacher)
    model = (
        MODELS.build(
            dict(
                type='VideoTextRetriever',
                text_encoder=dict(type='CLIPTextTower', arch='tiny'),
                video_encoder=dict(type='CLIPVisionTower', arch='tiny'),
                temporal=dict(
                    type='TemporalTransformer', width=64, num_layers=1
                ),
                head=dict(
                    type='HierarchicalBanzhafHead',
                    embed_dim=64,
                    num_heads=2,
                    estimator_channels=8,
                    teacher_checkpoint=str(teacher),
                ),
            )
        )
        .cuda()
        .train()
    )
    ids = torch.randint(1, 400, (4, 16), device='cuda')
    mask = torch.ones_like(ids)
    mask[0, 9:] = 0
    frame_mask = torch.ones(4, 6, dtype=torch.long, device='cuda')
    frame_mask[1, 3:] = 0
    batch = dict(
        input_ids=ids,
        attention_mask=mask,
        frames=torch.randn(4, 6, 3, 32, 32, device='cuda'),
        frame_mask=frame_mask,
    )
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4)
    scaler = torch.amp.GradScaler('cuda', enabled=dtype == torch.float16)
    for _ in range(4):  # fp16: the scaler may skip steps until it fits
        optimizer.zero_grad()
        with torch.autocast('cuda', dtype=dtype):
            losses = model.loss(batch)
        assert any(key.startswith('loss_banzhaf') for key in losses)
        for key, value in losses.items():
            assert value.dtype == torch.float32, key
            assert torch.isfinite(value), key
        scaler.scale(sum(losses.values())).backward()
        scaler.step(optimizer)
        scaler.update()
    grads = [p.grad for p in model.parameters() if p.grad is not None]
    assert grads and all(torch.isfinite(g).all() for g in grads)
    assert all(torch.isfinite(p).all() for p in model.parameters())
