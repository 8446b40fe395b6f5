"""Traces stay exact on every device: TF32 off while tracing, long sequences in chunks."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from lstm_forecast import cells
from lstm_forecast.inspect import traces
from lstm_forecast.inspect.reference import reference_trace
from lstm_forecast.inspect.traces import compute_trace, exact_float32

MODULES = {
    "lstm": lambda: nn.LSTM(3, 5, num_layers=2, bidirectional=True),
    "gru": lambda: nn.GRU(3, 5, num_layers=2, bidirectional=True),
    "rnn": lambda: nn.RNN(3, 5, num_layers=2, bidirectional=True),
    "rnn_relu": lambda: nn.RNN(3, 5, num_layers=2, bidirectional=True, nonlinearity="relu"),
    "lstm-peephole": lambda: cells.get("lstm-peephole").build(3, 5, num_layers=2, bidirectional=True),
    "lstm-coupled": lambda: cells.get("lstm-coupled").build(3, 5, num_layers=2, bidirectional=True),
    "mgu": lambda: cells.get("mgu").build(3, 5, num_layers=2, bidirectional=True),
}


def tf32_flags() -> tuple[bool, bool]:
    return torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32


@pytest.fixture
def tf32_on():
    """Both TF32 flags on, as a user (or cuDNN's default) may have them; the old settings back after."""
    saved = tf32_flags(), torch.get_float32_matmul_precision()
    torch.backends.cuda.matmul.allow_tf32 = True
    torch.backends.cudnn.allow_tf32 = True
    yield
    torch.set_float32_matmul_precision(saved[1])
    torch.backends.cudnn.allow_tf32 = saved[0][1]


def sequence(steps: int, seed: int = 0) -> torch.Tensor:
    return 2 * torch.randn(steps, 3, generator=torch.Generator().manual_seed(seed))


@pytest.mark.parametrize("cell", ["lstm", "lstm-peephole"])
def test_tracing_turns_tf32_off_and_restores_it(cell, tf32_on, monkeypatch):
    seen = []
    run_layer = traces._run_layer

    def recording(*args, **kwargs):
        seen.append(tf32_flags())
        return run_layer(*args, **kwargs)

    monkeypatch.setattr(traces, "_run_layer", recording)
    torch.manual_seed(0)
    compute_trace(MODULES[cell](), sequence(20))
    assert seen == [(False, False)] * 2  # every layer ran with both flags off
    assert tf32_flags() == (True, True)


def test_tf32_is_restored_when_tracing_raises(tf32_on, monkeypatch):
    def failing(*args, **kwargs):
        assert tf32_flags() == (False, False)
        raise RuntimeError("CUDNN_STATUS_NOT_SUPPORTED")

    monkeypatch.setattr(traces, "_run_layer", failing)
    with pytest.raises(RuntimeError, match="NOT_SUPPORTED"):
        compute_trace(MODULES["gru"](), sequence(20))
    assert tf32_flags() == (True, True)


@pytest.mark.skipif(not hasattr(torch.backends.cudnn, "rnn"), reason="this torch has no per-op fp32_precision")
def test_exact_float32_overrides_and_restores_the_newer_precision_settings():
    """torch >= 2.9 also has fp32_precision per backend and op; a coarse "tf32" there wins over the
    legacy flags unless the op's own setting says otherwise."""
    backends = torch.backends
    saved = backends.fp32_precision, backends.cudnn.rnn.fp32_precision, backends.cuda.matmul.fp32_precision
    backends.fp32_precision = "tf32"  # sets every backend and op below it
    try:
        before = {path: traces._backend(path).fp32_precision for path in traces._PRECISION_PATHS}
        with exact_float32():
            assert backends.cudnn.rnn.fp32_precision == "ieee"
            assert backends.cuda.matmul.fp32_precision == "ieee"
        assert {path: traces._backend(path).fp32_precision for path in traces._PRECISION_PATHS} == before
    finally:
        backends.fp32_precision = saved[0]
        backends.cudnn.rnn.fp32_precision, backends.cuda.matmul.fp32_precision = saved[1:]


@pytest.mark.parametrize("cell", list(MODULES))
@pytest.mark.parametrize("chunk_steps", [1, 7, 50])  # one step per call, uneven chunks, one exact fit
def test_chunked_trace_equals_unchunked(cell, chunk_steps, monkeypatch):
    torch.manual_seed(1)
    rnn, x = MODULES[cell](), sequence(50, seed=2)
    whole = compute_trace(rnn, x)
    lengths = []  # steps of every fused call
    for name in ("lstm", "gru", "rnn_tanh", "rnn_relu"):
        op = getattr(torch, name)
        monkeypatch.setattr(torch, name, lambda inp, *a, op=op: lengths.append(len(inp)) or op(inp, *a))
    chunked = compute_trace(rnn, x, chunk_steps=chunk_steps)
    np.testing.assert_allclose(chunked.values, whole.values, rtol=0, atol=1e-6)
    if cells.of_module(rnn).fused:  # 2 layers x 2 directions, each cut into chunks of at most chunk_steps
        chunks = [min(chunk_steps, 50 - start) for start in range(0, 50, chunk_steps)]
        assert sorted(lengths) == sorted(chunks * 4)
    else:  # a custom module steps one by one: nothing to cut
        assert lengths == []


def test_chunked_long_trace_matches_the_reference():
    """A sequence many chunks long (the state carried across 13 calls per direction) stays exact."""
    torch.manual_seed(3)
    rnn, x = MODULES["lstm"](), sequence(1_000, seed=4)
    chunked = compute_trace(rnn, x, chunk_steps=77)
    expected = reference_trace(rnn, x)
    for name in chunked.quantities:
        np.testing.assert_allclose(chunked.get(name), expected[name], rtol=0, atol=1e-5, err_msg=name)


def test_overlapping_uses_restore_what_the_first_found(tf32_on):
    """Nested (or concurrent, from several dashboard sessions) uses: the flags stay off until the
    last one leaves, then come back as the first one found them."""
    outer = exact_float32()
    outer.__enter__()
    with exact_float32():
        assert tf32_flags() == (False, False)
    assert tf32_flags() == (False, False)  # the outer use is still tracing
    outer.__exit__(None, None, None)
    assert tf32_flags() == (True, True)
