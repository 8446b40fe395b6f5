"""Tracing chunk by chunk: the same numbers as one pass, for every cell and shape, with TF32 off
and at most one chunk per fused call (so a 1M-step series never reaches cuDNN as one sequence)."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from lstm_forecast import cells
from lstm_forecast.inspect import stream
from lstm_forecast.inspect.stream import plan, replay, steps_per_chunk, sweep
from lstm_forecast.inspect.traces import States, compute_trace, trace_chunk

ATOL = 1e-5
SHAPES = [(cell, layers, bidirectional) for cell in cells.CELLS
          for layers, bidirectional in [(1, False), (2, True), (3, False)]]


def network(cell: str, layers: int, bidirectional: bool, *, hidden: int = 8, seed: int = 0) -> torch.nn.Module:
    torch.manual_seed(seed)
    return cells.get(cell).build(3, hidden, num_layers=layers, bidirectional=bidirectional).eval()


def swept(rnn: torch.nn.Module, x: torch.Tensor, chunk: int) -> tuple[stream.ChunkedSequence, np.ndarray]:
    seq = plan(rnn, x, chunk)
    values = np.concatenate([v for _, v in sweep(seq)], axis=1)  # (Q, T, L, U)
    return seq, values


@pytest.mark.parametrize("cell, layers, bidirectional", SHAPES)
def test_chunks_give_the_one_pass_trace(cell, layers, bidirectional):
    rnn, x = network(cell, layers, bidirectional), torch.randn(500, 3)
    full = compute_trace(rnn, x).values
    seq, values = swept(rnn, x, 37)  # uneven: the last chunk is short
    assert seq.n_chunks == 14 and len(seq.entries) == 14
    np.testing.assert_allclose(values, full, rtol=0, atol=ATOL)
    assert np.abs(full).max() > 0.1  # the trace is not trivially small


@pytest.mark.parametrize("cell, layers, bidirectional",
                         [("lstm", 2, True), ("gru", 1, False), ("lstm-peephole", 2, True)])
def test_replay_retraces_one_chunk_exactly(cell, layers, bidirectional):
    rnn, x = network(cell, layers, bidirectional), torch.randn(300, 3)
    seq, values = swept(rnn, x, 50)
    for k in (0, 3, seq.n_chunks - 1):
        start, stop = seq.starts[k], seq.starts[k + 1]
        np.testing.assert_array_equal(replay(seq, k), values[:, start:stop])


def test_replay_before_a_sweep_is_refused():
    rnn = network("lstm", 1, False)
    seq = plan(rnn, torch.randn(100, 3), 40)
    seq.entries = [None] * seq.n_chunks
    with pytest.raises(ValueError, match="sweep the sequence first"):
        replay(seq, 1)


@pytest.mark.parametrize("cell", ["lstm", "gru", "lstm-coupled"])
def test_a_stretch_from_its_entry_states_is_the_middle_of_the_one_pass_trace(cell):
    """trace_chunk from the states after step 99 (forward) and before step 199 (reverse) gives steps 100..199."""
    rnn, x = network(cell, 2, True), torch.randn(300, 3)
    full = compute_trace(rnn, x)
    size, q = rnn.hidden_size, full.quantities

    def states(quantity: str) -> torch.Tensor:
        values = torch.from_numpy(full.get(quantity))  # (T, L, U)
        return torch.stack([values[99, :, :size], values[200, :, size:]], dim=1)  # (L, 2, H)

    entry = States(states("hidden"), states("cell") if "cell" in q else None)
    values, exit_states = trace_chunk(rnn, x[100:200], entry)
    np.testing.assert_allclose(values.numpy(), full.values[:, 100:200], rtol=0, atol=ATOL)
    np.testing.assert_allclose(exit_states.h[:, 0].numpy(), full.get("hidden")[199, :, :size], atol=ATOL)
    np.testing.assert_allclose(exit_states.h[:, 1].numpy(), full.get("hidden")[100, :, size:], atol=ATOL)


def test_wide_networks_get_shorter_chunks():
    narrow, wide = network("lstm", 1, False, hidden=8), network("lstm", 2, True, hidden=256)
    assert steps_per_chunk(narrow) == stream.CHUNK
    width = 6 * 2 * 2 * 256  # quantities x layers x directions x units
    assert steps_per_chunk(wide) == stream.CHUNK_VALUES // width < stream.CHUNK


@pytest.mark.parametrize("bad", [0, 40_000])
def test_a_chunk_outside_the_limits_is_refused(bad):
    with pytest.raises(ValueError, match="chunk must be"):
        plan(network("gru", 1, False), torch.randn(10, 3), bad)


@pytest.mark.parametrize("bidirectional", [False, True])
def test_every_fused_call_holds_at_most_one_chunk_and_runs_with_tf32_off(monkeypatch, bidirectional):
    """What keeps a 1M-step series off cuDNN's single-sequence limit and exact on a GPU: each fused
    call sees at most one chunk, and the TF32 switches are off during every call, back on after."""
    rnn, x = network("lstm", 2, bidirectional), torch.randn(1000, 3)
    lengths, tf32 = [], []
    real = torch.lstm

    def spy(inp, *args):
        lengths.append(inp.shape[0])
        tf32.append((torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32))
        return real(inp, *args)

    # set by hand, not by monkeypatch: pytest 9.2's monkeypatch looks attributes up statically, and the cuBLAS
    # switch is served by the module's __getattr__, so its undo would try to delete it
    before = (torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32)
    torch.backends.cudnn.allow_tf32 = torch.backends.cuda.matmul.allow_tf32 = True
    try:
        monkeypatch.setattr(torch, "lstm", spy)
        seq, _ = swept(rnn, x, 128)
        assert lengths and max(lengths) <= 128 and sum(lengths) >= 2 * 1000
        assert set(tf32) == {(False, False)}
        assert torch.backends.cudnn.allow_tf32 and torch.backends.cuda.matmul.allow_tf32  # restored after
    finally:
        torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32 = before
