"""The registry covers any cell: a cell defined here, in the test, with no cell state and a keep gate that keeps
at 1, is registered for the duration and flows through training, saving, exact traces, the streamed summary, the
drivers, the one-step walkthrough, every Look-inside view of the dashboard and the memory race, without a line of
the package naming it.

The scratch cell is a leaky unit: k = sigmoid(W_k x + U_k h + b_k), n = tanh(W_n x + U_n h + b_n),
h' = k * h + (1 - k) * n. Its module is a `model.CustomCell` whose recurrence is a plain autograd step loop."""
from __future__ import annotations

import copy
from types import MappingProxyType

import numpy as np
import pytest
import torch

from lstm_forecast import cells
from lstm_forecast.cells import Cell
from lstm_forecast.config import Config
from lstm_forecast.model import CustomCell

NAME = "scratch-leaky"


class _LeakyRecurrence:
    """x (T, B, D), weights of rows k, n -> hidden states (T, B, H), autograd through a step loop."""

    @staticmethod
    def apply(x, w_ih, b_ih, b_hh, w_hh, extra=None, h0=None, c0=None):
        size = w_hh.shape[1]
        bias = (b_ih + b_hh) if b_ih is not None else 0
        projected = x @ w_ih.T + bias  # (T, B, 2H)
        h = x.new_zeros(x.shape[1], size) if h0 is None else h0.expand(x.shape[1], size)
        out = []
        for t in range(x.shape[0]):
            k = torch.sigmoid(projected[t, :, :size] + h @ w_hh[:size].T)
            n = torch.tanh(projected[t, :, size:] + h @ w_hh[size:].T)
            h = k * h + (1 - k) * n
            out.append(h)
        return torch.stack(out)


class LeakyUnit(CustomCell):
    cell = NAME

    @property
    def _recurrence(self):
        return _LeakyRecurrence


def _gates(w, at, out):
    size = w.w_hh.shape[1]
    pre = torch.addmm(w.b_ih + w.b_hh, at.x, w.w_ih.T).addmm_(at.h_prev, w.w_hh.T)
    torch.sigmoid(pre[:, :size], out=out["keep"])
    torch.tanh(pre[:, size:], out=out["candidate"])


def _step(w, x, h, c):
    size = w.w_hh.shape[1]
    pre = w.w_ih @ x + w.b_ih + w.w_hh @ h + w.b_hh
    k, n = torch.sigmoid(pre[:size]), torch.tanh(pre[size:])
    return {"k": k, "n": n, "k*h_prev": k * h, "(1-k)*n": (1 - k) * n, "h": k * h + (1 - k) * n}


ENTRY = Cell(
    name=NAME, label="Leaky unit", module=f"{__name__}:LeakyUnit", gate_rows=("k", "n"),
    quantities=("keep", "candidate", "hidden"),
    symbols=MappingProxyType({"keep": "k", "candidate": "n", "hidden": "h"}),
    sigmoid_gates=("keep",), keep_gate="keep", keeps_at=1, keep_label="keep gate k",
    equations=r"$k_t = \sigma(W_{ik}x_t + b_{ik} + W_{hk}h_{t-1} + b_{hk})$ · "
              r"$n_t = \tanh(W_{in}x_t + b_{in} + W_{hn}h_{t-1} + b_{hn})$ · $h_t = k_t h_{t-1} + (1 - k_t) n_t$",
    summary="h = k*h_prev + (1 - k)*n", walkthrough=("x_t", "h_prev", "k", "n", "k*h_prev", "(1-k)*n", "h"),
    gates=_gates, step=_step, help="a test's leaky unit", colour="#332288", light_colour="#8877CC",
    row_words=MappingProxyType({"k*h_prev": "memory kept", "(1-k)*n": "new content"}),
    driver_notes=MappingProxyType({"keep": "a scratch caption for the keep gate's drivers"}),
)


@pytest.fixture(scope="module")
def scratch():
    cells.register(ENTRY)
    try:
        yield ENTRY
    finally:
        cells.unregister(NAME)


@pytest.fixture(scope="module")
def run(scratch):
    from lstm_forecast.pipeline import train_run
    from tests.factories import sine_series

    return train_run(sine_series(n=300), Config(cell=NAME, hidden=5, epochs=3, threads=1))


def test_register_refuses_a_taken_name_and_keeps_the_built_in_cells(scratch):
    with pytest.raises(ValueError, match="registered already"):
        cells.register(ENTRY)
    with pytest.raises(ValueError, match="built-in"):
        cells.unregister("lstm")
    assert cells.get(NAME) is ENTRY and cells.by_name("colour")[NAME] == "#332288"


def test_a_scratch_cell_trains_saves_and_reloads(run, tmp_path):
    from lstm_forecast.runs import load_run, save_run

    assert run.config.cell == NAME and np.isfinite(run.metrics["model"]["mase"])
    back = load_run(save_run(copy.deepcopy(run), tmp_path / "r"))
    assert isinstance(back.model.rnn, LeakyUnit)
    for key, value in run.model.state_dict().items():
        assert torch.equal(back.model.state_dict()[key], value)


def test_its_trace_is_exact_against_the_reference_and_its_walkthrough_matches(scratch):
    from lstm_forecast.inspect.reference import reference_trace
    from lstm_forecast.inspect.traces import compute_trace, walkthrough

    torch.manual_seed(0)
    rnn = ENTRY.build(3, 4, num_layers=2, bidirectional=True).eval()
    x = torch.randn(40, 3)
    trace = compute_trace(rnn, x)
    reference = reference_trace(rnn, x)
    for quantity in ENTRY.quantities:
        np.testing.assert_allclose(trace.get(quantity), reference[quantity], atol=1e-5)
    parts = walkthrough(rnn, x, 17, layer=1, direction=1, trace=trace)
    assert tuple(parts) == ENTRY.walkthrough
    np.testing.assert_allclose(parts["h"], trace.get("hidden", 1)[17, 4:], atol=1e-5)


def test_the_streamed_summary_and_the_drivers_take_it(run):
    from lstm_forecast.inspect.run_traces import run_drivers
    from lstm_forecast.inspect.summary import look_inside
    from tests.factories import sine_series

    loaded = sine_series(n=300)
    summary = look_inside(run, loaded)
    table = summary.season.season_fold_table(layer=0)
    assert "keep_mean" in table.columns and table["keep_mean"].between(0, 1).all()
    found = run_drivers(run, loaded)
    assert set(found.parts) == {"keep", "candidate"}


def test_every_look_inside_view_draws_it(run, tmp_path, monkeypatch):
    from lstm_forecast.ui.inside_step import VIEWS
    from tests.factories import app_over_saved_run, inside_over_sine

    at = app_over_saved_run(run, tmp_path, monkeypatch, inside_over_sine)
    for view in VIEWS:
        at.session_state["inside_view"] = view
        at.run()
        assert not at.exception, (view, [e.value for e in at.exception])
        assert len(at.get("vega_lite_chart")) + len(at.get("arrow_vega_lite_chart")) >= 1, view
        if view == "Gates by season":
            text = " ".join(m.value for m in at.markdown) + " ".join(c.value for c in at.caption)
            assert "near 1 the unit keeps its memory, near 0 it replaces it" in text.replace("\\", "")
        if view == "Gate drivers":
            assert any("scratch caption" in c.value for c in at.caption)


def test_the_memory_race_runs_it(scratch):
    from lstm_forecast.learn.memory import Training
    from lstm_forecast.learn.race import RaceSettings, run_race

    result = run_race(RaceSettings(lags=(3,), cells=(NAME, "mgu"), training=Training(steps=20)), workers=1)
    assert set(result.results["cell"]) == {NAME, "mgu"}
