"""The streamed summary's seasonal fold, unit rankings and saturation on synthetic traces, each
against the full-trace reference (fold_reference.py) and the shape the trace was made with."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from lstm_forecast import cells
from lstm_forecast.errors import UserError
from lstm_forecast.inspect.season import CYCLE_COLUMNS, LAYER_MEAN, PHASE_COLUMNS
from lstm_forecast.inspect.traces import QUANTITIES, Trace
from lstm_forecast.inspect.unit_stats import SATURATION_COLUMNS, SCORE_COLUMNS

from . import fold_reference as R
from .fold_reference import assert_frames_close

PERIOD = 24
CYCLES = 40
SEASONAL_UNIT = 3
TRAJECTORY_COLUMNS = ["timestamp", "step", "layer", "unit", "quantity", "value"]


def make_trace(
    cell: str = "lstm", *, n_cycles: int = CYCLES, n_layers: int = 2, n_units: int = 8, seed: int = 0
) -> Trace:
    """Hourly trace: every quantity is 0.5 + small noise, except that the keep gate of unit 3 in
    every layer follows 0.5 + 0.4 sin(2 pi phase / 24), and the cell/hidden state of unit 5 has a
    larger spread than the others."""
    rng = np.random.default_rng(seed)
    quantities = QUANTITIES[cell]
    n_steps = n_cycles * PERIOD
    values = 0.5 + 0.05 * rng.standard_normal((len(quantities), n_steps, n_layers, n_units))
    gate = cells.get(cell).keep_gate
    if gate is not None:
        phase = np.arange(n_steps) % PERIOD
        values[quantities.index(gate), :, :, SEASONAL_UNIT] = (
            seasonal_shape(phase)[:, None] + 0.02 * rng.standard_normal((n_steps, n_layers))
        )
    for state in ("cell", "hidden"):
        if state in quantities:
            values[quantities.index(state), :, :, 5] *= 4
    index = pd.date_range("2024-01-01", periods=n_steps, freq="h")
    return Trace(cell, quantities, values.astype(np.float32), index, n_units, False)


def seasonal_shape(phase: np.ndarray) -> np.ndarray:
    return 0.5 + 0.4 * np.sin(2 * np.pi * phase / PERIOD)


def hourly_phase_cycle(trace: Trace) -> tuple[np.ndarray, np.ndarray]:
    steps = np.arange(trace.n_steps)
    return steps % PERIOD, steps // PERIOD


def hourly(cell: str = "lstm", **kwargs):
    """(trace, summary, phase, cycle) of make_trace on the hourly calendar."""
    trace = make_trace(cell, **kwargs)
    phase, cycle = hourly_phase_cycle(trace)
    return trace, R.summary_of(trace, phase, cycle), phase, cycle


@pytest.mark.parametrize(
    ("cell", "gate", "label"),
    [
        ("lstm", "forget", "forget gate f"),
        ("gru", "update", "update gate z (keep-the-past gate)"),
        ("rnn", None, "no gates: a vanilla RNN has only its hidden state"),
    ],
)
def test_keep_gate_and_label(cell, gate, label):
    assert cells.get(cell).keep_gate == gate
    assert cells.get(cell).keep_label == label
    assert hourly(cell, n_cycles=2)[1].shape.keep_gate == gate


def test_fold_by_phase_recovers_the_seasonal_gate():
    trace, summary, phase, cycle = hourly()
    folded = summary.season.fold_by_phase(layer=1)
    assert_frames_close(folded, R.fold_by_phase(trace, phase, cycle, layer=1))
    assert list(folded.columns) == PHASE_COLUMNS
    assert len(folded) == (trace.n_units + 1) * PERIOD  # every unit plus the layer mean (-1)
    assert set(folded["unit"]) == {LAYER_MEAN, *range(trace.n_units)}
    assert (folded["layer"] == 1).all() and (folded["n_cycles"] == CYCLES).all()
    seasonal = folded[folded["unit"] == SEASONAL_UNIT].sort_values("phase")
    np.testing.assert_allclose(seasonal["mean"], seasonal_shape(np.arange(PERIOD)), atol=0.01)
    iqr = seasonal["q75"] - seasonal["q25"]
    assert ((iqr > 0) & (iqr < 0.06)).all()  # noise of 0.02 has an IQR of about 0.027
    assert ((seasonal["q25"] <= seasonal["mean"]) & (seasonal["mean"] <= seasonal["q75"])).all()


def test_fold_by_phase_layer_mean_is_the_mean_over_units():
    _, summary, _, _ = hourly()
    folded = summary.season.fold_by_phase(layer=0)
    by_unit = folded[folded["unit"] >= 0].groupby("phase")["mean"].mean()
    layer_mean = folded[folded["unit"] == LAYER_MEAN].set_index("phase")["mean"]
    np.testing.assert_allclose(layer_mean, by_unit, atol=1e-5)


def test_fold_by_phase_counts_each_cycle_once():
    trace = make_trace(n_cycles=4)
    phase = np.arange(trace.n_steps) % 4  # 24 steps of each phase per "cycle" of 24 steps
    cycle = np.arange(trace.n_steps) // 24
    summary = R.summary_of(trace, phase, cycle)
    folded = summary.season.fold_by_phase(layer=0)
    assert_frames_close(folded, R.fold_by_phase(trace, phase, cycle, layer=0))
    assert (folded["n_cycles"] == 4).all()
    assert (summary.units.phase_count == 24).all()  # the scores count every step


def test_scores_of_another_quantity_and_bad_inputs():
    trace, summary, phase, _ = hourly()
    scores = summary.units.seasonality_scores(layer=0, quantity="input")
    assert_frames_close(scores, R.seasonality_scores(trace, phase, layer=0, quantity="input"))
    assert (scores["amplitude"] < 0.1).all() and (scores["score"] < 0.1).all()  # noise around 0.5
    with pytest.raises(UserError, match="has no 'update'"):
        summary.units.seasonality_scores(layer=0, quantity="update")
    with pytest.raises(UserError, match="layer 2 does not exist"):
        summary.season.fold_by_phase(layer=2)
    with pytest.raises(ValueError, match="one per step"):
        R.summary_of(trace, phase[:-1], np.arange(trace.n_steps))


def test_seasonality_scores_rank_the_seasonal_unit_first():
    trace, summary, phase, _ = hourly()
    scores = summary.units.seasonality_scores(layer=0)
    assert_frames_close(scores, R.seasonality_scores(trace, phase, layer=0))
    assert list(scores.columns) == SCORE_COLUMNS
    assert scores["unit"].iloc[0] == SEASONAL_UNIT
    assert scores["score"].iloc[0] > 0.8
    assert (scores["score"].iloc[1:] < 0.1).all()
    assert scores["amplitude"].iloc[0] == pytest.approx(0.8, abs=0.03)
    assert scores["score"].is_monotonic_decreasing


def test_fold_by_cycle_is_a_cycles_by_phases_grid():
    trace, summary, phase, cycle = hourly()
    grid = summary.season.fold_by_cycle(layer=0, unit=SEASONAL_UNIT)
    assert_frames_close(grid, R.fold_by_cycle(trace, phase, cycle, layer=0, unit=SEASONAL_UNIT))
    assert list(grid.columns) == CYCLE_COLUMNS
    assert len(grid) == CYCLES * PERIOD
    assert grid.pivot(index="cycle", columns="phase", values="value").shape == (CYCLES, PERIOD)
    expected = trace.get("forget", 0)[:, SEASONAL_UNIT]
    np.testing.assert_allclose(grid.sort_values(["cycle", "phase"])["value"], expected, rtol=1e-6)
    layer_mean = summary.season.fold_by_cycle(layer=0)
    assert (layer_mean["unit"] == LAYER_MEAN).all()
    np.testing.assert_allclose(layer_mean["value"], trace.get("forget", 0).mean(axis=1), rtol=1e-5)


def test_fold_by_cycle_averages_steps_within_a_cell():
    trace = make_trace(n_cycles=2)
    phase = (np.arange(trace.n_steps) // 2) % 3  # two steps per (cycle, phase) cell, ragged end
    cycle = np.arange(trace.n_steps) // 6
    grid = R.summary_of(trace, phase, cycle).season.fold_by_cycle(layer=0, unit=0)
    assert_frames_close(grid, R.fold_by_cycle(trace, phase, cycle, layer=0, unit=0))
    values = trace.get("forget", 0)[:, 0]
    assert len(grid) == trace.n_steps // 2
    assert grid["value"].iloc[0] == pytest.approx(values[:2].mean(), rel=1e-6)


@pytest.mark.parametrize(("cell", "column"), [("lstm", "forget_mean"), ("gru", "update_mean")])
def test_season_fold_table_covers_every_layer_and_unit(cell, column):
    trace, summary, phase, cycle = hourly(cell)
    table = summary.season.season_fold_table()
    assert_frames_close(table, R.season_fold_table(trace, phase, cycle))
    assert list(table.columns) == ["layer", "unit", "phase", "cycle", column]
    assert len(table) == trace.n_layers * trace.n_units * CYCLES * PERIOD
    one = table[(table["layer"] == 1) & (table["unit"] == SEASONAL_UNIT)]
    np.testing.assert_allclose(one[column], trace.get(cells.get(cell).keep_gate, 1)[:, SEASONAL_UNIT], rtol=1e-6)


def test_gru_folds_its_update_gate():
    _, summary, _, _ = hourly("gru")
    seasonal = summary.season.fold_by_phase(layer=0).query(f"unit == {SEASONAL_UNIT}")
    np.testing.assert_allclose(seasonal["mean"], seasonal_shape(np.arange(PERIOD)), atol=0.01)
    assert summary.units.seasonality_scores(layer=0)["unit"].iloc[0] == SEASONAL_UNIT


def test_rnn_gate_views_are_empty_with_the_right_columns():
    trace, summary, phase, _ = hourly("rnn")
    for frame, columns in [
        (summary.season.fold_by_phase(layer=0), PHASE_COLUMNS),
        (summary.season.fold_by_cycle(layer=0), CYCLE_COLUMNS),
        (summary.units.seasonality_scores(layer=0), SCORE_COLUMNS),
        (summary.units.saturation(), SATURATION_COLUMNS),
        (summary.season.season_fold_table(), ["layer", "unit", "phase", "cycle", "forget_mean"]),
    ]:
        assert frame.empty and list(frame.columns) == columns
    assert cells.get("rnn").keep_label.startswith("no gates")
    hidden = summary.units.seasonality_scores(layer=0, quantity="hidden")
    assert not hidden.empty
    assert_frames_close(hidden, R.seasonality_scores(trace, phase, layer=0, quantity="hidden"))


@pytest.mark.parametrize(
    ("cell", "by", "expected_first"),
    [("lstm", "variance", 5), ("gru", "variance", 5), ("rnn", "variance", 5), ("lstm", "seasonality", SEASONAL_UNIT)],
)
def test_top_units(cell, by, expected_first):
    trace, summary, phase, _ = hourly(cell)
    quantity = "forget" if by == "seasonality" else None
    top = summary.units.top_units(layer=0, k=3, by=by, quantity=quantity)
    assert len(top) == 3 and len(set(top)) == 3
    assert top[0] == expected_first
    if quantity is None:
        assert top == R.top_units(trace, layer=0, k=3, by=by, phase=phase)


def test_top_units_rank_by_variance_or_seasonality_only():
    with pytest.raises(ValueError, match="'variance' or 'seasonality'"):
        hourly(n_cycles=2)[1].units.top_units(layer=0, by="size")


@pytest.mark.parametrize(("cell", "quantities"), [("lstm", ["cell", "hidden"]), ("gru", ["hidden"])])
def test_unit_trajectories_are_tidy(cell, quantities):
    """The Cell state view's lines: every step of some units, while they fit unbinned."""
    trace = make_trace(cell, n_cycles=2)
    summary = R.summary_of(trace, *hourly_phase_cycle(trace))
    frame, note = summary.bins.binned(layer=1, quantities=quantities, units=[1, 5], max_rows=10**6)
    assert note == "" and list(frame.columns) == TRAJECTORY_COLUMNS
    assert set(frame["quantity"]) == set(quantities) and set(frame["unit"]) == {1, 5} and (frame["layer"] == 1).all()
    assert len(frame) == len(quantities) * 2 * trace.n_steps
    hidden5 = frame[(frame["quantity"] == "hidden") & (frame["unit"] == 5)]
    np.testing.assert_allclose(hidden5["value"], trace.get("hidden", 1)[:, 5], rtol=1e-6)
    np.testing.assert_array_equal(hidden5["timestamp"], trace.index)
    with pytest.raises(UserError, match="has no"):
        summary.bins.binned(layer=0, quantities=["forget"] if cell == "gru" else ["update"])


def test_saturation_fractions_are_exact():
    values = np.full((6, 10, 1, 2), 0.5, dtype=np.float32)  # lstm quantities x 10 steps x 1 layer x 2 units
    values[1, :3, 0, 0] = 0.05  # forget gate, unit 0: 3 of 10 steps left-saturated
    values[1, 3:4, 0, 0] = 0.95  # ... and 1 right-saturated
    values[0, :, 0, 1] = 0.99  # input gate, unit 1: always right-saturated
    values[3, :5, 0, 1] = 0.1  # output gate, unit 1: exactly 0.1 is not below 0.1
    trace = Trace("lstm", QUANTITIES["lstm"], values, pd.RangeIndex(10), 2, False)
    saturation = R.summary_of(trace, np.zeros(10, int), np.arange(10), chunk=4).units.saturation()
    assert_frames_close(saturation, R.saturation(trace))
    table = saturation.set_index(["layer", "unit", "gate"])
    assert list(saturation.columns) == SATURATION_COLUMNS
    assert len(table) == 2 * 3  # units x sigmoid gates; candidate, cell and hidden are not gates
    assert tuple(table.loc[(0, 0, "forget")]) == (0.3, 0.1)
    assert tuple(table.loc[(0, 1, "input")]) == (0.0, 1.0)
    assert tuple(table.loc[(0, 1, "output")]) == (0.0, 0.0)
    assert tuple(table.loc[(0, 0, "output")]) == (0.0, 0.0)


def test_saturation_gru_gates_and_one_layer():
    trace, summary, _, _ = hourly("gru")
    table = summary.units.saturation(layer=1)
    assert set(table["gate"]) == {"reset", "update"} and (table["layer"] == 1).all()
    assert_frames_close(table, R.saturation(trace, layer=1))


def test_fold_by_phase_quantiles_match_pandas_on_ragged_phases():
    trace = make_trace(n_cycles=3)
    phase = np.random.default_rng(1).integers(0, 5, trace.n_steps)  # uneven counts per phase
    cycle = np.arange(trace.n_steps)  # every step its own cycle: the quantiles are over steps
    folded = R.summary_of(trace, phase, cycle).season.fold_by_phase(layer=0)
    assert_frames_close(folded, R.fold_by_phase(trace, phase, cycle, layer=0))
    folded = folded.query("unit == 2").set_index("phase")
    grouped = pd.Series(trace.get("forget", 0)[:, 2].astype(np.float64)).groupby(phase)
    np.testing.assert_allclose(folded["q25"], grouped.quantile(0.25), rtol=1e-6)
    np.testing.assert_allclose(folded["q75"], grouped.quantile(0.75), rtol=1e-6)
    np.testing.assert_allclose(folded["mean"], grouped.mean(), rtol=1e-6)
    np.testing.assert_array_equal(folded["n_cycles"], grouped.size())


def test_seasonality_score_is_eta_squared():
    values = np.zeros((6, 8, 1, 1), dtype=np.float32)
    values[1, :, 0, 0] = [0, 2, 0, 2, 1, 3, 1, 3]  # forget gate; phase means 0.5 and 2.5
    trace = Trace("lstm", QUANTITIES["lstm"], values, pd.RangeIndex(8), 1, False)
    phase = np.arange(8) % 2
    scores = R.summary_of(trace, phase, np.arange(8) // 2, chunk=3).units.seasonality_scores(layer=0)
    # between = 8 * 1^2 = 8, total = sum((x - 1.5)^2) = 10
    assert scores["score"].iloc[0] == pytest.approx(0.8)
    assert scores["amplitude"].iloc[0] == pytest.approx(2.0)
    assert R.seasonality_scores(trace, phase, layer=0)["score"].iloc[0] == pytest.approx(0.8)  # the reference too
