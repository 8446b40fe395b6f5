"""Fast traces against the step-by-step reference, the fused module, and the LSTM equations."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch
from torch import nn

from lstm_forecast import cells
from lstm_forecast.inspect.reference import reference_trace
from lstm_forecast.inspect.traces import (
    FRAME_COLUMNS,
    QUANTITIES,
    Trace,
    cell_kind,
    compute_trace,
    linear_scan,
    walkthrough,
)

ATOL = 1e-5
CELLS = {
    "lstm": lambda d, h, **kw: nn.LSTM(d, h, batch_first=True, **kw),
    "gru": lambda d, h, **kw: nn.GRU(d, h, batch_first=True, **kw),
    "rnn_tanh": lambda d, h, **kw: nn.RNN(d, h, batch_first=True, nonlinearity="tanh", **kw),
    "rnn_relu": lambda d, h, **kw: nn.RNN(d, h, batch_first=True, nonlinearity="relu", **kw),
    "lstm-peephole": lambda d, h, **kw: cells.get("lstm-peephole").build(d, h, batch_first=True, **kw),
    "lstm-coupled": lambda d, h, **kw: cells.get("lstm-coupled").build(d, h, batch_first=True, **kw),
    "mgu": lambda d, h, **kw: cells.get("mgu").build(d, h, batch_first=True, **kw),
}
LSTM_LIKE = ("lstm", "lstm-peephole", "lstm-coupled")  # cells with a cell state c and h = o * tanh(c)




def make_rnn(cell: str, *, layers: int = 1, bidirectional: bool = False, features: int = 2, hidden: int = 6,
             seed: int = 0) -> nn.Module:
    torch.manual_seed(seed)
    return CELLS[cell](features, hidden, num_layers=layers, bidirectional=bidirectional).eval()


def make_input(steps: int, features: int, *, seed: int = 1) -> torch.Tensor:
    """(1, T, D) Gaussian input with std 2, large enough to push gates towards saturation."""
    generator = torch.Generator().manual_seed(seed)
    return 2 * torch.randn(1, steps, features, generator=generator)


def assert_matches_reference(rnn: nn.Module, x: torch.Tensor, rtol: float = 0.0) -> Trace:
    trace = compute_trace(rnn, x)
    expected = reference_trace(rnn, x)
    assert set(expected) == set(trace.quantities)
    for name in trace.quantities:
        np.testing.assert_allclose(trace.get(name), expected[name], rtol=rtol, atol=ATOL, err_msg=name)
    with torch.no_grad():
        fused = rnn(x)[0][0].numpy()  # (T, U): last layer's output
    np.testing.assert_allclose(trace.get("hidden", rnn.num_layers - 1), fused, rtol=0, atol=ATOL)
    if trace.cell in LSTM_LIKE:  # the scanned (or returned) cell state reproduces the hidden state
        recomputed = trace.get("output") * np.tanh(trace.get("cell"))
        np.testing.assert_allclose(recomputed, trace.get("hidden"), rtol=0, atol=ATOL)
    return trace


@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("layers", [1, 2, 3])
@pytest.mark.parametrize("cell", list(CELLS))
def test_fast_trace_matches_reference(cell, layers, bidirectional):
    steps, features = 50 + 37 * layers, 1 + layers % 3  # T in 87..161, D in 1..3
    rnn = make_rnn(cell, layers=layers, bidirectional=bidirectional, features=features, seed=layers)
    trace = assert_matches_reference(rnn, make_input(steps, features))
    n_units = 6 * (2 if bidirectional else 1)
    assert trace.values.shape == (len(trace.quantities), steps, layers, n_units)
    assert trace.values.dtype == np.float32


@pytest.mark.parametrize("cell", list(CELLS))
def test_without_biases_and_in_float64(cell):
    rnn = CELLS[cell](2, 5, num_layers=2, bidirectional=True, bias=False)
    assert_matches_reference(rnn, make_input(40, 2))
    assert_matches_reference(rnn.double(), make_input(40, 2).double())


@pytest.mark.parametrize("steps", [1, 2, 3, 97, 100, 101])  # chunk edges: tiny, prime, perfect square, square + 1
@pytest.mark.parametrize("bidirectional", [False, True])
def test_awkward_lengths_match_reference(steps, bidirectional):
    rnn = make_rnn("lstm", layers=2, bidirectional=bidirectional)
    assert_matches_reference(rnn, make_input(steps, 2))


@pytest.mark.parametrize("steps", [1, 2, 5, 97, 100, 101, 1000])
def test_linear_scan_matches_sequential_loop(steps):
    generator = torch.Generator().manual_seed(steps)
    a = torch.rand(steps, 3, 4, dtype=torch.float64, generator=generator) * 1.1  # some |a| > 1
    b = torch.randn(steps, 3, 4, dtype=torch.float64, generator=generator)
    expected, state = torch.empty_like(b), torch.zeros(3, 4, dtype=torch.float64)
    for t in range(steps):
        state = a[t] * state + b[t]
        expected[t] = state
    torch.testing.assert_close(linear_scan(a, b), expected, rtol=1e-12, atol=1e-12)


def train_sine(cell: str = "lstm", steps: int = 30) -> tuple[nn.Module, torch.Tensor]:
    """A small 2-layer `cell` + Linear head trained on a sine for ``steps`` Adam steps (seeded)."""
    torch.manual_seed(0)
    rnn, head = CELLS[cell](1, 12, num_layers=2), nn.Linear(12, 1)
    series = torch.sin(torch.arange(400, dtype=torch.float32) * 2 * torch.pi / 24)
    windows = series.unfold(0, 49, 7)  # (N, 49)
    x, y = windows[:, :48, None], windows[:, 48:]  # (N, 48, 1), (N, 1)
    optimiser = torch.optim.Adam([*rnn.parameters(), *head.parameters()], lr=0.02)
    first_loss = None
    for _ in range(steps):
        loss = nn.functional.mse_loss(head(rnn(x)[0][:, -1]), y)
        first_loss = loss.item() if first_loss is None else first_loss
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
    assert loss.item() < first_loss  # it did learn something
    return rnn.eval(), series[None, :200, None]  # (1, T, 1)


@pytest.mark.parametrize("cell", [*LSTM_LIKE, "gru"])
def test_trained_cell_matches_reference(cell):
    rnn, x = train_sine(cell)
    # The trained peephole cell counts up to |c| ~ 170, where float32 keeps ~1e-5 absolute at best
    # (7 significant digits): there the bound is 1e-6 relative (about 16 float32 ulps).
    assert_matches_reference(rnn, x, rtol=1e-6)


@pytest.mark.parametrize("cell", LSTM_LIKE)
def test_lstm_equations_hold_on_frame(cell):
    rnn, x = train_sine(cell)
    frame = compute_trace(rnn, x).to_frame()
    wide = frame.pivot_table(index=["layer", "unit", "step"], columns="quantity", values="value", observed=True)
    wide = wide.sort_index()
    prev_cell = wide.groupby(level=["layer", "unit"])["cell"].shift(1, fill_value=0.0)
    np.testing.assert_allclose(wide["cell"], wide["forget"] * prev_cell + wide["input"] * wide["candidate"], atol=1e-4)
    np.testing.assert_allclose(wide["hidden"], wide["output"] * np.tanh(wide["cell"]), atol=1e-4)
    if cell == "lstm-coupled":
        np.testing.assert_allclose(wide["input"], 1 - wide["forget"], atol=1e-7)


@pytest.mark.parametrize("cell", list(CELLS))
def test_frame_has_required_columns_and_quantities(cell):
    rnn = make_rnn(cell, layers=2, bidirectional=True)
    index = pd.date_range("2024-01-01", periods=30, freq="h")
    trace = compute_trace(rnn, make_input(30, 2), index=index)
    frame = trace.to_frame()
    assert tuple(frame.columns) == FRAME_COLUMNS
    assert set(frame["quantity"].unique()) == set(QUANTITIES[cell_kind(rnn)])
    assert len(frame) == len(trace.quantities) * 30 * 2 * 12
    assert (frame["timestamp"] == index[frame["step"]]).all()
    # every row's value is the array's value at (quantity, step, layer, unit)
    q_pos = frame["quantity"].map(trace.quantities.index).to_numpy()
    expected = trace.values[q_pos, frame["step"], frame["layer"], frame["unit"]]
    np.testing.assert_array_equal(frame["value"].to_numpy(), expected)


def test_frame_selection_narrows_rows():
    trace = compute_trace(make_rnn("gru", layers=3), make_input(40, 2))
    frame = trace.to_frame(layer=1, quantities=["update", "hidden"], units=[0, 4], steps=slice(10, 20))
    assert set(frame["layer"]) == {1}
    assert list(frame["quantity"].unique()) == ["update", "hidden"]
    assert set(frame["unit"]) == {0, 4}
    assert frame["step"].min() == 10 and frame["step"].max() == 19
    assert len(frame) == 2 * 10 * 2
    assert (frame["timestamp"] == frame["step"]).all()  # integer steps when no index is given
    hidden = frame[frame["quantity"] == "hidden"]
    np.testing.assert_array_equal(hidden["value"].to_numpy().reshape(10, 2), trace.get("hidden", 1)[10:20][:, [0, 4]])


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda tr: tr.get("forget"), "choose one of"),
        (lambda tr: tr.get("hidden", layer=2), "out of range"),
        (lambda tr: tr.to_frame(units=[12]), "out of range"),
    ],
)
def test_bad_selection_is_named(call, message):
    trace = compute_trace(make_rnn("gru", layers=2, bidirectional=True), make_input(10, 2))
    with pytest.raises(ValueError, match=message):
        call(trace)


def test_input_shapes_and_index_length_are_checked():
    rnn = make_rnn("lstm")
    x = make_input(10, 2)
    np.testing.assert_array_equal(compute_trace(rnn, x[0]).values, compute_trace(rnn, x).values)
    with pytest.raises(ValueError, match=r"\(T, 2\)"):
        compute_trace(rnn, make_input(10, 3))
    with pytest.raises(ValueError, match="T >= 1"):
        compute_trace(rnn, make_input(0, 2))
    with pytest.raises(ValueError, match="one label per step"):
        compute_trace(rnn, x, index=pd.RangeIndex(9))
    with pytest.raises(TypeError, match="nn.LSTM"):
        cell_kind(nn.Linear(2, 2))


@pytest.mark.parametrize("cell", LSTM_LIKE)
def test_trace_leaves_module_mode_alone_and_ignores_dropout(cell):
    torch.manual_seed(0)
    rnn = CELLS[cell](2, 6, num_layers=2, dropout=0.5).train()
    x = make_input(30, 2)
    trace = compute_trace(rnn, x)
    assert rnn.training
    np.testing.assert_allclose(trace.get("hidden"), reference_trace(rnn, x)["hidden"], atol=ATOL)


@pytest.mark.parametrize(
    ("cell", "layer", "direction", "step"),
    [("lstm", 0, 0, 0), ("lstm", 1, 1, 17), ("lstm", 1, 1, 39), ("gru", 1, 0, 12), ("gru", 0, 1, 39),
     ("rnn_tanh", 1, 1, 5), ("rnn_relu", 0, 0, 20), ("lstm-peephole", 1, 1, 17), ("lstm-peephole", 0, 0, 0),
     ("lstm-coupled", 1, 0, 39), ("mgu", 1, 1, 17), ("mgu", 0, 0, 0)],
)
def test_walkthrough_matches_trace(cell, layer, direction, step):
    rnn = make_rnn(cell, layers=2, bidirectional=True)
    x = make_input(40, 2)
    trace = compute_trace(rnn, x)
    parts = walkthrough(rnn, x, step, layer=layer, direction=direction, trace=trace)
    units = slice(6 * direction, 6 * (direction + 1))
    at_step = {q: trace.get(q, layer)[step, units] for q in trace.quantities}
    assert tuple(parts) == cells.get(cell_kind(rnn)).walkthrough  # the rows the chart draws, in order
    for quantity, key in cells.get(cell_kind(rnn)).symbols.items():
        np.testing.assert_allclose(parts[key], at_step[quantity], atol=ATOL, err_msg=key)
    expected_x = x[0, step].numpy() if layer == 0 else trace.get("hidden", layer - 1)[step]
    np.testing.assert_allclose(parts["x_t"], expected_x, atol=1e-7)
    prev = step - 1 if direction == 0 else step + 1
    expected_h_prev = trace.get("hidden", layer)[prev, units] if 0 <= prev < 40 else np.zeros(6)
    np.testing.assert_allclose(parts["h_prev"], expected_h_prev, atol=1e-7)
    if cell in LSTM_LIKE:
        np.testing.assert_allclose(parts["c"], parts["f*c_prev"] + parts["i*g"], atol=1e-12)
        np.testing.assert_allclose(parts["h"], parts["o"] * parts["tanh(c)"], atol=1e-12)


def test_walkthrough_computes_its_own_trace():
    rnn, x = make_rnn("lstm", layers=2), make_input(25, 2)
    parts = walkthrough(rnn, x, 24, layer=1)
    np.testing.assert_allclose(parts["c"], reference_trace(rnn, x)["cell"][24, 1], atol=ATOL)
    with pytest.raises(ValueError, match="step 25 out of range"):
        walkthrough(rnn, x, 25)
