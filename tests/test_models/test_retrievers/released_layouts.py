"""Random checkpoints in the released layouts, and an independent plain-torch
computation of HBI's A2-A6 on their raw tensors (for tests only).

Nothing here imports ``hbi``: the CLIP / seqTransf parts come from
``tests/test_models/test_backbones/openai_clip_reference.py`` (OpenAI's
``model.py`` re-written in plain torch), the head parts (WTI, CTM with
DPC-KNN, TCBlock) are written below from ``docs/en/methods/hbi.md`` A4-A6, with
loops over pairs and tokens instead of the package's batched tensor code.

Full ViT-B/32 tensors are ~600 MB, so numerics run at a reduced width whose
names are the released ones (fewer blocks) and whose shapes are the released
shapes with every size scaled consistently (:func:`scaled_head_shape`); the
tests check the full-size names and shapes separately on the meta device.
"""

import json
import math
import re
from typing import Dict, List, Optional

import torch
import torch.nn.functional as F
from torch import Tensor

from tests.shared_data import LAYOUTS  # noqa: E402
from tests.test_models.test_backbones.openai_clip_reference import (
    ResidualAttentionBlock,
    build_reference_clip,
    randomize_,
    reference_seq_transf,
)

FULL_WIDTH = 512

#: The reduced architecture: an ``hbi`` arch dict, matching the synthetic
#: world's image size (32) and patch (8).
SMALL_ARCH = dict(
    embed_dim=32,
    vision=dict(image_size=32, patch_size=8, width=32, layers=1, heads=2),
    text=dict(
        vocab_size=49408, context_length=77, width=32, layers=2, heads=2
    ),
)
TEMPORAL_LAYERS = 2
TEMPORAL_HEADS = 2
HEAD_HEADS = 8


def load_layouts() -> dict:
    return json.loads(LAYOUTS.read_text())


def scaled_head_shape(shape: List[int], width: int) -> List[int]:
    """A released head/temporal shape with every multiple m * 512 (m = 1, 2,
    4, 8, 16: the widths of the retrieval and QA heads) -> m * width
    (estimator sizes, 64, and the 1,500 answers are kept)."""
    return [
        s // FULL_WIDTH * width
        if s % FULL_WIDTH == 0 and s // FULL_WIDTH in (1, 2, 4, 8, 16)
        else s
        for s in shape
    ]


def expected_small_names(layout: Dict[str, list]) -> Dict[str, int]:
    """Released names kept at the reduced depth, with their ranks."""
    depth = {
        'clip.visual.transformer.resblocks.': SMALL_ARCH['vision']['layers'],
        'clip.transformer.resblocks.': SMALL_ARCH['text']['layers'],
        'transformerClip.resblocks.': TEMPORAL_LAYERS,
    }
    out = {}
    for key, shape in layout.items():
        match = re.match(r'^(.*resblocks\.)(\d+)\.', key)
        if match and int(match.group(2)) >= depth[match.group(1)]:
            continue
        out[key] = len(shape)
    return out


def make_released_state_dict(
    seed: int = 0, layout: str = 'hbi_retrieval_vit_b32'
) -> Dict[str, Tensor]:
    """A released-layout HBI state dict (``layout``: the retrieval or the
    QA checkpoint) at :data:`SMALL_ARCH` with random values (LayerNorm
    weights around 1)."""
    gen = torch.Generator().manual_seed(seed)
    clip = randomize_(build_reference_clip(SMALL_ARCH), std=0.2)
    state = {f'clip.{k}': v.clone() for k, v in clip.state_dict().items()}
    width = SMALL_ARCH['embed_dim']
    blocks = [
        randomize_(ResidualAttentionBlock(width, TEMPORAL_HEADS))
        for _ in range(TEMPORAL_LAYERS)
    ]
    for i, block in enumerate(blocks):
        for k, v in block.state_dict().items():
            state[f'transformerClip.resblocks.{i}.{k}'] = v.clone()
    state['frame_position_embeddings.weight'] = (
        torch.randn(77, width, generator=gen) * 0.2
    )
    for key, shape in load_layouts()[layout].items():
        if key.startswith(
            ('clip.', 'transformerClip.', 'frame_position_embeddings')
        ):
            continue
        shape = scaled_head_shape(shape, width)
        if key.endswith('num_batches_tracked'):
            state[key] = torch.tensor(3, dtype=torch.long)
        elif key.endswith('running_var'):
            state[key] = torch.rand(shape, generator=gen) + 0.5
        elif re.search(r'norm1?\.weight$', key):
            state[key] = 1 + 0.1 * torch.randn(shape, generator=gen)
        else:
            state[key] = 0.3 * torch.randn(shape, generator=gen)
    return state


# ------------------------------------------------------------ A2 / A3
def reference_text_tokens(
    state: Dict[str, Tensor], input_ids: Tensor, attention_mask: Tensor
) -> Tensor:
    """A2: every token through ``ln_final`` and ``text_projection``; causal
    attention that also hides padded keys."""
    clip = build_reference_clip(SMALL_ARCH)
    clip.load_state_dict(
        {k[5:]: v for k, v in state.items() if k.startswith('clip.')}
    )
    length = input_ids.shape[1]
    heads = SMALL_ARCH['text']['heads']
    causal = torch.full((length, length), float('-inf')).triu(1)
    mask = causal[None].repeat(input_ids.shape[0], 1, 1)
    mask = mask.masked_fill(attention_mask[:, None, :] == 0, float('-inf'))
    # A query row with every key hidden would be NaN; padded rows see their
    # real prefix, so none is fully hidden (the first token is real).
    mask = mask.repeat_interleave(heads, dim=0)
    with torch.no_grad():
        x = (
            clip.token_embedding(input_ids)
            + clip.positional_embedding[:length]
        )
        x = x.permute(1, 0, 2)
        for block in clip.transformer.resblocks:
            x = block(x, mask)
        x = x.permute(1, 0, 2)
        return clip.ln_final(x) @ clip.text_projection


def reference_video_tokens(
    state: Dict[str, Tensor], frames: Tensor, frame_mask: Tensor
) -> Tensor:
    """The release's video pipeline: A2 on EVERY frame slot, then A3
    seqTransf. A padded slot holds all-zero pixels (the release's loader
    leaves it at 0 in the normalised space), so it goes through the vision
    tower and the temporal module like a real frame, whatever ``frames``
    holds there."""
    clip = build_reference_clip(SMALL_ARCH)
    clip.load_state_dict(
        {k[5:]: v for k, v in state.items() if k.startswith('clip.')}
    )
    width = SMALL_ARCH['embed_dim']
    blocks = []
    for i in range(TEMPORAL_LAYERS):
        block = ResidualAttentionBlock(width, TEMPORAL_HEADS)
        prefix = f'transformerClip.resblocks.{i}.'
        block.load_state_dict(
            {
                k[len(prefix) :]: v
                for k, v in state.items()
                if k.startswith(prefix)
            }
        )
        blocks.append(block)
    with torch.no_grad():
        batch, num_frames = frame_mask.shape
        feats = torch.zeros(batch, num_frames, width)
        for b in range(batch):
            for t in range(num_frames):
                pixels = frames[b, t : t + 1]
                if not frame_mask[b, t]:
                    pixels = torch.zeros_like(pixels)
                feats[b, t] = clip.encode_image(pixels)[0]
        return reference_seq_transf(
            feats,
            frame_mask,
            state['frame_position_embeddings.weight'],
            blocks,
        )


def make_padded_batch(
    text_lengths=(32, 14, 9, 20, 5), video_lengths=(12, 4, 9, 12, 1), seed=1
):
    """Texts of ``text_lengths`` real tokens (of 32) and videos of
    ``video_lengths`` real frames (of 12), random values at
    :data:`SMALL_ARCH`'s image size; padded frame slots hold random pixels
    too (the release's pipeline must not read them)."""
    gen = torch.Generator().manual_seed(seed)
    num = len(text_lengths)
    ids = torch.zeros(num, 32, dtype=torch.long)
    mask = torch.zeros(num, 32, dtype=torch.long)
    for b, n in enumerate(text_lengths):
        ids[b, :n] = torch.randint(1, 49000, (n,), generator=gen)
        ids[b, 0], ids[b, n - 1] = 49406, 49407
        mask[b, :n] = 1
    size = SMALL_ARCH['vision']['image_size']
    frames = torch.randn(len(video_lengths), 12, 3, size, size, generator=gen)
    frame_mask = torch.zeros(len(video_lengths), 12, dtype=torch.long)
    for b, n in enumerate(video_lengths):
        frame_mask[b, :n] = 1
    return ids, mask, frames, frame_mask


# ------------------------------------------------------------ A4 / A6
def weight_logits(
    tokens: Tensor, state: Dict[str, Tensor], name: str
) -> Tensor:
    hidden = torch.relu(
        tokens @ state[f'{name}.0.weight'].T + state[f'{name}.0.bias']
    )
    return (
        hidden @ state[f'{name}.2.weight'].T + state[f'{name}.2.bias']
    ).squeeze(-1)


def wti_pair(
    t: Tensor,
    t_mask: Optional[Tensor],
    t_logits: Tensor,
    v: Tensor,
    v_mask: Optional[Tensor],
    v_logits: Tensor,
) -> Tensor:
    """A4 for one text and one video."""
    t_mask = torch.ones(len(t)) if t_mask is None else t_mask
    v_mask = torch.ones(len(v)) if v_mask is None else v_mask
    w_t = torch.softmax(t_logits.masked_fill(t_mask == 0, -9e15), dim=0)
    w_v = torch.softmax(v_logits.masked_fill(v_mask == 0, -9e15), dim=0)
    a = F.normalize(t, dim=-1) @ F.normalize(v, dim=-1).T
    a = a * t_mask[:, None] * v_mask[None, :]
    return 0.5 * (
        (w_t * a.max(dim=1).values).sum() + (w_v * a.max(dim=0).values).sum()
    )


def wti_matrix(text: dict, video: dict) -> Tensor:
    rows = []
    for a in range(len(text['tokens'])):
        rows.append(
            torch.stack(
                [
                    wti_pair(
                        text['tokens'][a],
                        text['mask'][a] if text['mask'] is not None else None,
                        text['logits'][a],
                        video['tokens'][b],
                        video['mask'][b]
                        if video['mask'] is not None
                        else None,
                        video['logits'][b],
                    )
                    for b in range(len(video['tokens']))
                ]
            )
        )
    return torch.stack(rows)


# ------------------------------------------------------------ A5
def layer_norm(x: Tensor, weight: Tensor, bias: Tensor) -> Tensor:
    mean = x.mean(-1, keepdim=True)
    var = ((x - mean) ** 2).mean(-1, keepdim=True)
    return (x - mean) / torch.sqrt(var + 1e-5) * weight + bias


def dpc_knn_sample(
    x: Tensor,
    mask: Optional[Tensor],
    batch_max: float,
    num_clusters: int,
    k: int = 3,
) -> List[int]:
    """A5 step 2 for one sample: the cluster (in centre order) of every
    token. ``batch_max`` = largest distance of the whole batch."""
    n, dim = x.shape
    real = [True] * n if mask is None else [bool(m) for m in mask]
    d = torch.cdist(x[None], x[None])[0] / math.sqrt(dim)
    for j in range(n):
        if not real[j]:
            d[:, j] = batch_max + 1
    rho = []
    for i in range(n):
        nearest = sorted(d[i].tolist())[: min(k, n)]
        value = math.exp(-sum(v * v for v in nearest) / len(nearest))
        rho.append(value if real[i] else 0.0)
    d_max = d.max().item()
    delta = []
    for i in range(n):
        higher = [d[i, j].item() for j in range(n) if rho[j] > rho[i]]
        delta.append(min(higher) if higher else d_max)
    score = [rho[i] * delta[i] for i in range(n)]
    centres = sorted(range(n), key=lambda i: (-score[i], i))[:num_clusters]
    assignment = []
    for j in range(n):
        dists = [d[c, j].item() for c in centres]
        assignment.append(dists.index(min(dists)))
    for c_index, c in enumerate(centres):
        assignment[c] = c_index
    return assignment


def merge_step(
    x: Tensor,
    mask: Optional[Tensor],
    state: Dict[str, Tensor],
    ctm: str,
    block: str,
    rate: float,
    heads: int,
) -> Tensor:
    """A5 steps 1-4 (CTM then TCBlock) on a batch, sample by sample."""
    batch, n, dim = x.shape
    conv = state[f'{ctm}.conv.conv.weight']  # (D_out, D_in, 3)
    padded = F.pad(x, (0, 0, 1, 1))
    conv_out = sum(padded[:, s : s + n] @ conv[:, :, s].T for s in range(3))
    x = layer_norm(
        x + conv_out, state[f'{ctm}.norm.weight'], state[f'{ctm}.norm.bias']
    )
    score = (
        x @ state[f'{ctm}.score.weight'].T + state[f'{ctm}.score.bias']
    ).squeeze(-1)
    if mask is not None:
        score = score.masked_fill(mask == 0, float('-inf'))
    weight = score.exp()
    num_clusters = math.ceil(n * rate)
    batch_max = (torch.cdist(x, x) / math.sqrt(dim)).max().item()
    merged = torch.zeros(batch, num_clusters, dim)
    for b in range(batch):
        assignment = dpc_knn_sample(
            x[b], None if mask is None else mask[b], batch_max, num_clusters
        )
        for c in range(num_clusters):
            members = [j for j in range(n) if assignment[j] == c]
            w = weight[b, members]
            # + 1e-6 as released: a cluster of padded tokens only (weight
            # 0, e.g. in a 1-frame video) gives a zero feature
            merged[b, c] = (w[:, None] * x[b, members]).sum(0) / (
                w.sum() + 1e-6
            )
    # TCBlock
    norm = (state[f'{block}.norm1.weight'], state[f'{block}.norm1.bias'])
    q = (
        layer_norm(merged, *norm) @ state[f'{block}.attn.q.weight'].T
        + state[f'{block}.attn.q.bias']
    )
    kv = (
        layer_norm(x, *norm) @ state[f'{block}.attn.kv.weight'].T
        + state[f'{block}.attn.kv.bias']
    )
    k_all, v_all = kv[..., :dim], kv[..., dim:]
    head_dim = dim // heads
    out = torch.zeros_like(merged)
    for h in range(heads):
        part = slice(h * head_dim, (h + 1) * head_dim)
        logits = q[..., part] @ k_all[..., part].transpose(1, 2)
        logits = logits * head_dim**-0.5 + score[:, None, :]
        out[..., part] = torch.softmax(logits, dim=-1) @ v_all[..., part]
    out = (
        out @ state[f'{block}.attn.proj.weight'].T
        + state[f'{block}.attn.proj.bias']
    )
    return merged + out


def reference_levels(
    tokens: Tensor,
    mask: Tensor,
    state: Dict[str, Tensor],
    modality: str,
    rates: tuple = (0.25, 0.5),
) -> List[dict]:
    """Entity/action/event tokens, masks and weight logits of one modality
    (``modality`` 'text' or 'video'; ``rates`` of the two merge steps)."""
    short = modality[0]
    suffixes = ('', '0', '1')
    levels = [
        dict(
            tokens=tokens,
            mask=mask,
            logits=weight_logits(tokens, state, f'{modality}_weight_fc'),
        )
    ]
    x, step_mask = tokens, mask
    for step, rate in enumerate(rates):
        x = merge_step(
            x,
            step_mask,
            state,
            f'{short}_ctm{step}',
            f'{short}_block{step}',
            rate,
            HEAD_HEADS,
        )
        step_mask = None
        levels.append(
            dict(
                tokens=x,
                mask=None,
                logits=weight_logits(
                    x, state, f'{modality}_weight_fc{suffixes[step + 1]}'
                ),
            )
        )
    return levels
