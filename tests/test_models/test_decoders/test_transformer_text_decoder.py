"""TransformerTextDecoder: teacher forcing, tying, transformers' generate()."""

import pytest
import torch
from torch import nn

from hbi.models.decoders import TransformerTextDecoder
from hbi.registry import MODELS

START, END = 49406, 49407


def _decoder(embedding_dim=None, seed=0) -> TransformerTextDecoder:
    torch.manual_seed(seed)
    decoder = MODELS.build(
        dict(
            type='TransformerTextDecoder',
            memory_dim=24,
            width=32,
            num_layers=2,
            num_heads=4,
            embedding_dim=embedding_dim,
            max_positions=16,
            dropout=0.0,
        )
    )
    # Larger weights than BERT's init so that the memory and the prefix
    # change the output clearly (at std 0.02 every row decodes alike).
    with torch.no_grad():
        for name, param in decoder.named_parameters():
            if 'LayerNorm' not in name:
                param.normal_(0, 0.3)
    return decoder.eval()


def _memory(seed=1):
    g = torch.Generator().manual_seed(seed)
    memory = torch.randn(4, 6, 24, generator=g)
    mask = torch.ones(4, 6, dtype=torch.long)
    mask[1, 3:] = 0
    mask[3, 1:] = 0
    return memory, mask


def test_shapes_causality_and_memory_masking():
    decoder = _decoder()
    memory, mask = _memory()
    ids = torch.randint(0, 49406, (4, 7))
    ids[:, 0] = START
    ones = torch.ones_like(ids)
    out = decoder(ids, ones, memory, mask)
    assert out['hidden'].shape == (4, 7, 32)
    assert out['logits'].shape == (4, 7, 49408)
    changed = ids.clone()
    changed[:, 4] = 7
    other = decoder(changed, ones, memory, mask)['logits']
    torch.testing.assert_close(other[:, :4], out['logits'][:, :4])
    assert (other[:, 4:] - out['logits'][:, 4:]).abs().max() > 1e-2
    # Padded memory slots are never read; real ones are.
    garbage = memory.clone()
    garbage[1, 3:] = 1e3
    garbage[3, 1:] = -1e3
    torch.testing.assert_close(
        decoder(ids, ones, garbage, mask)['logits'], out['logits']
    )
    moved = memory.clone()
    moved[0, 0] += 1.0
    assert (
        decoder(ids, ones, moved, mask)['logits'][0] - out['logits'][0]
    ).abs().max() > 1e-2
    hidden_only = decoder(ids, ones, memory, mask, return_logits=False)
    assert set(hidden_only) == {'hidden'}
    torch.testing.assert_close(
        decoder.compute_logits(hidden_only['hidden']), out['logits']
    )


@pytest.mark.parametrize('embedding_dim', [None, 32, 48])
def test_tied_table_is_the_owners_parameter(embedding_dim):
    decoder = _decoder(embedding_dim)
    dim = embedding_dim or 32
    assert isinstance(decoder.lm.input_proj, nn.Linear) == (dim != 32)
    assert isinstance(decoder.lm.output_proj, nn.Linear) == (dim != 32)
    owner = nn.Module()
    owner.table = nn.Embedding(49408, dim)
    owner.decoder = decoder
    decoder.tie_token_embedding(owner.table)
    names = [n for n, _ in owner.named_parameters()]
    assert 'table.weight' in names
    assert not [n for n in names if 'token_embedding' in n]
    assert not [k for k in decoder.state_dict() if 'token_embedding' in k]
    assert decoder.lm.get_input_embeddings() is owner.table
    memory, mask = _memory()
    ids = torch.tensor([[START, 320, 1929, 7]] * 4)
    out = decoder(ids, torch.ones_like(ids), memory, mask)
    # Output scores are hidden (projected to the table width) x table.
    hidden = decoder.lm.output_proj(decoder.lm.output_transform(out['hidden']))
    expected = hidden @ owner.table.weight.t() + decoder.lm.output_bias
    torch.testing.assert_close(out['logits'], expected)
    out['logits'][:, :, 1929].sum().backward()
    grad = owner.table.weight.grad
    assert grad[320].abs().sum() > 0  # used as an input
    assert grad[1929].abs().sum() > 0  # used as an output
    assert grad[5].abs().sum() == 0
    with pytest.raises(ValueError, match=rf'\(49408, {dim}\)'):
        decoder.tie_token_embedding(nn.Embedding(49408, dim + 1))


def _greedy_by_hand(decoder, memory, mask, max_length):
    """Greedy decoding written from its definition: re-run the whole prefix
    and append the arg-max token until the end token or max_length."""
    rows = []
    for b in range(memory.shape[0]):
        ids = [START]
        while len(ids) < max_length:
            x = torch.tensor([ids])
            logits = decoder(
                x, torch.ones_like(x), memory[b : b + 1], mask[b : b + 1]
            )['logits']
            ids.append(int(logits[0, -1].argmax()))
            if ids[-1] == END:
                break
        rows.append(ids)
    return rows


def _rows(ids: torch.Tensor) -> list:
    """Rows of generate() output, cut after the end token."""
    out = []
    for row in ids.tolist():
        out.append(row[: row.index(END) + 1] if END in row else row)
    return out


def test_greedy_generation_equals_the_definition():
    decoder = _decoder()
    memory, mask = _memory()
    generated = decoder.generate(memory, mask, max_length=9)
    assert generated.shape[0] == 4 and generated.shape[1] <= 9
    expected = _greedy_by_hand(decoder, memory, mask, 9)
    assert _rows(generated) == expected
    assert len({tuple(r) for r in expected}) > 1  # the memory matters


@pytest.mark.parametrize('num_beams', [1, 3])
def test_batched_decoding_equals_one_video_at_a_time(num_beams):
    decoder = _decoder()
    memory, mask = _memory()
    kwargs = dict(max_length=10, num_beams=num_beams, no_repeat_ngram_size=2)
    batched = _rows(decoder.generate(memory, mask, **kwargs))
    for b in range(4):
        real = int(mask[b].sum())  # each alone, without padded slots
        alone = decoder.generate(
            memory[b : b + 1, :real], mask[b : b + 1, :real], **kwargs
        )
        assert _rows(alone)[0] == batched[b]


def test_beam_search_cache_and_length_penalty():
    decoder = _decoder()
    memory, mask = _memory()
    kwargs = dict(max_length=10, num_beams=3, length_penalty=0.6)
    cached = decoder.generate(
        memory,
        mask,
        return_dict_in_generate=True,
        output_scores=True,
        **kwargs,
    )
    uncached = decoder.lm.generate(
        input_ids=torch.full((4, 1), START),
        encoder_hidden_states=decoder.memory_proj(memory),
        encoder_attention_mask=mask,
        use_cache=False,
        do_sample=False,
        eos_token_id=END,
        pad_token_id=0,
        **kwargs,
    )
    assert _rows(cached.sequences) == _rows(uncached)
    # The returned score is the sequence's log-probability (recomputed by
    # teacher forcing) over its generated length ** length_penalty.
    for b, row in enumerate(_rows(cached.sequences)):
        x = torch.tensor([row])
        with torch.no_grad():
            logp = decoder(
                x, torch.ones_like(x), memory[b : b + 1], mask[b : b + 1]
            )['logits'].log_softmax(-1)
        total = sum(float(logp[0, t, row[t + 1]]) for t in range(len(row) - 1))
        expected = total / (len(row) - 1) ** 0.6
        assert cached.sequences_scores[b].item() == pytest.approx(
            expected, abs=1e-4
        )


def test_no_repeat_ngram_size():
    decoder = _decoder()
    memory, mask = _memory()
    plain = _rows(decoder.generate(memory, mask, max_length=16))

    def bigrams(row):
        return [tuple(row[i : i + 2]) for i in range(len(row) - 1)]

    assert any(len(set(bigrams(r))) < len(bigrams(r)) for r in plain)
    for num_beams in (1, 3):
        rows = _rows(
            decoder.generate(
                memory,
                mask,
                max_length=16,
                num_beams=num_beams,
                no_repeat_ngram_size=2,
            )
        )
        assert all(len(set(bigrams(r))) == len(bigrams(r)) for r in rows)


def test_bad_generation_arguments():
    decoder = _decoder()
    memory, mask = _memory()
    with pytest.raises(ValueError, match='max_length .* >= 2, got 1'):
        decoder.generate(memory, mask, max_length=1)
    with pytest.raises(ValueError, match='num_beams .* >= 1 .*got 0'):
        decoder.generate(memory, mask, num_beams=0)
    with pytest.raises(ValueError, match='max_positions=16'):
        decoder.generate(memory, mask, max_length=17)
    with pytest.raises(ValueError, match=r'memory must be \[B, M, 24\]'):
        decoder.generate(memory[..., :8], mask, max_length=8)
    with pytest.raises(ValueError, match='every row needs a real token'):
        decoder.generate(memory, torch.zeros_like(mask), max_length=8)
    with pytest.raises(ValueError, match='not divisible'):
        TransformerTextDecoder(width=30, num_heads=4)
