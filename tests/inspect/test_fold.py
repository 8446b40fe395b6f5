"""Folding gates by season, ranking units, saturation and downsampling, on synthetic traces."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from lstm_forecast.errors import UserError
from lstm_forecast.inspect.fold import (
    CYCLE_COLUMNS,
    PHASE_COLUMNS,
    SATURATION_COLUMNS,
    SCORE_COLUMNS,
    TRAJECTORY_COLUMNS,
    downsample,
    fold_by_cycle,
    fold_by_phase,
    keep_gate,
    keep_gate_label,
    saturation,
    season_fold_table,
    seasonality_scores,
    top_units,
    trajectories,
)
from lstm_forecast.inspect.traces import QUANTITIES, Trace

PERIOD = 24
CYCLES = 40
SEASONAL_UNIT = 3


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
    gate = keep_gate(cell)
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


@pytest.mark.parametrize(
    ("cell", "gate", "label"),
    [
        ("lstm", "forget", "forget gate f"),
        ("gru", "update", "update gate z (keep-the-past gate)"),
        ("rnn", None, "no gates: a vanilla RNN has only its hidden state"),
    ],
)
def test_keep_gate_and_label(cell, gate, label):
    assert keep_gate(cell) == gate
    assert keep_gate_label(cell) == label


def test_fold_by_phase_recovers_the_seasonal_gate():
    trace = make_trace()
    phase, cycle = hourly_phase_cycle(trace)
    folded = fold_by_phase(trace, phase, layer=1)
    assert list(folded.columns) == PHASE_COLUMNS
    assert len(folded) == (trace.n_units + 1) * PERIOD  # every unit plus the layer mean (-1)
    assert set(folded["unit"]) == {-1, *range(trace.n_units)}
    assert (folded["layer"] == 1).all() and (folded["n_cycles"] == CYCLES).all()
    seasonal = folded[folded["unit"] == SEASONAL_UNIT].sort_values("phase")
    np.testing.assert_allclose(seasonal["mean"], seasonal_shape(np.arange(PERIOD)), atol=0.01)
    iqr = seasonal["q75"] - seasonal["q25"]
    assert ((iqr > 0) & (iqr < 0.06)).all()  # noise of 0.02 has an IQR of about 0.027
    assert ((seasonal["q25"] <= seasonal["mean"]) & (seasonal["mean"] <= seasonal["q75"])).all()


def test_fold_by_phase_layer_mean_is_the_mean_over_units():
    trace = make_trace()
    phase, _ = hourly_phase_cycle(trace)
    folded = fold_by_phase(trace, phase, layer=0)
    by_unit = folded[folded["unit"] >= 0].groupby("phase")["mean"].mean()
    layer_mean = folded[folded["unit"] == -1].set_index("phase")["mean"]
    np.testing.assert_allclose(layer_mean, by_unit, atol=1e-5)


def test_fold_by_phase_with_cycles_counts_each_cycle_once():
    trace = make_trace(n_cycles=4)
    phase = np.arange(trace.n_steps) % 4  # 24 steps of each phase per "cycle" of 24 steps
    cycle = np.arange(trace.n_steps) // 24
    folded = fold_by_phase(trace, phase, layer=0, cycle=cycle, quantity="output")
    assert (folded["n_cycles"] == 4).all()
    assert (fold_by_phase(trace, phase, layer=0, quantity="output")["n_cycles"] == 24).all()


def test_fold_by_phase_other_quantity_and_bad_inputs():
    trace = make_trace()
    phase, _ = hourly_phase_cycle(trace)
    cell = fold_by_phase(trace, phase, layer=0, quantity="input")
    assert cell["mean"].between(0.45, 0.55).all()
    with pytest.raises(UserError, match="has no 'update'"):
        fold_by_phase(trace, phase, layer=0, quantity="update")
    with pytest.raises(UserError, match="layer 2 does not exist"):
        fold_by_phase(trace, phase, layer=2)
    with pytest.raises(ValueError, match="one entry per step"):
        fold_by_phase(trace, phase[:-1], layer=0)


def test_seasonality_scores_rank_the_seasonal_unit_first():
    trace = make_trace()
    phase, _ = hourly_phase_cycle(trace)
    scores = seasonality_scores(trace, phase, layer=0)
    assert list(scores.columns) == SCORE_COLUMNS
    assert scores["unit"].iloc[0] == SEASONAL_UNIT
    assert scores["score"].iloc[0] > 0.8
    assert (scores["score"].iloc[1:] < 0.1).all()
    assert scores["amplitude"].iloc[0] == pytest.approx(0.8, abs=0.03)
    assert scores["score"].is_monotonic_decreasing


def test_fold_by_cycle_is_a_cycles_by_phases_grid():
    trace = make_trace()
    phase, cycle = hourly_phase_cycle(trace)
    grid = fold_by_cycle(trace, phase, cycle, layer=0, unit=SEASONAL_UNIT)
    assert list(grid.columns) == CYCLE_COLUMNS
    assert len(grid) == CYCLES * PERIOD
    assert grid.pivot(index="cycle", columns="phase", values="value").shape == (CYCLES, PERIOD)
    expected = trace.get("forget", 0)[:, SEASONAL_UNIT]
    np.testing.assert_allclose(grid.sort_values(["cycle", "phase"])["value"], expected, rtol=1e-6)
    layer_mean = fold_by_cycle(trace, phase, cycle, layer=0)
    assert (layer_mean["unit"] == -1).all()
    np.testing.assert_allclose(layer_mean["value"], trace.get("forget", 0).mean(axis=1), rtol=1e-5)


def test_fold_by_cycle_averages_steps_within_a_cell():
    trace = make_trace(n_cycles=2)
    phase = (np.arange(trace.n_steps) // 2) % 3  # two steps per (cycle, phase) cell, ragged end
    cycle = np.arange(trace.n_steps) // 6
    grid = fold_by_cycle(trace, phase, cycle, layer=0, unit=0)
    values = trace.get("forget", 0)[:, 0]
    assert len(grid) == trace.n_steps // 2
    assert grid["value"].iloc[0] == pytest.approx(values[:2].mean(), rel=1e-6)


@pytest.mark.parametrize(("cell", "column"), [("lstm", "forget_mean"), ("gru", "update_mean")])
def test_season_fold_table_covers_every_layer_and_unit(cell, column):
    trace = make_trace(cell)
    phase, cycle = hourly_phase_cycle(trace)
    table = season_fold_table(trace, phase, cycle)
    assert list(table.columns) == ["layer", "unit", "phase", "cycle", column]
    assert len(table) == trace.n_layers * trace.n_units * CYCLES * PERIOD
    one = table[(table["layer"] == 1) & (table["unit"] == SEASONAL_UNIT)]
    np.testing.assert_allclose(one[column], trace.get(keep_gate(cell), 1)[:, SEASONAL_UNIT], rtol=1e-6)


def test_gru_folds_its_update_gate():
    trace = make_trace("gru")
    phase, _ = hourly_phase_cycle(trace)
    seasonal = fold_by_phase(trace, phase, layer=0).query(f"unit == {SEASONAL_UNIT}")
    np.testing.assert_allclose(seasonal["mean"], seasonal_shape(np.arange(PERIOD)), atol=0.01)
    assert seasonality_scores(trace, phase, layer=0)["unit"].iloc[0] == SEASONAL_UNIT


def test_rnn_gate_views_are_empty_with_the_right_columns():
    trace = make_trace("rnn")
    phase, cycle = hourly_phase_cycle(trace)
    for frame, columns in [
        (fold_by_phase(trace, phase, layer=0), PHASE_COLUMNS),
        (fold_by_cycle(trace, phase, cycle, layer=0), CYCLE_COLUMNS),
        (seasonality_scores(trace, phase, layer=0), SCORE_COLUMNS),
        (saturation(trace), SATURATION_COLUMNS),
        (season_fold_table(trace, phase, cycle), ["layer", "unit", "phase", "cycle", "forget_mean"]),
    ]:
        assert frame.empty and list(frame.columns) == columns
    assert keep_gate_label("rnn").startswith("no gates")
    assert not fold_by_phase(trace, phase, layer=0, quantity="hidden").empty


@pytest.mark.parametrize(
    ("cell", "by", "expected_first"),
    [("lstm", "variance", 5), ("gru", "variance", 5), ("rnn", "variance", 5), ("lstm", "seasonality", SEASONAL_UNIT)],
)
def test_top_units(cell, by, expected_first):
    trace = make_trace(cell)
    phase, _ = hourly_phase_cycle(trace)
    quantity = "forget" if by == "seasonality" else None
    top = top_units(trace, layer=0, k=3, by=by, quantity=quantity, phase=phase)
    assert len(top) == 3 and len(set(top)) == 3
    assert top[0] == expected_first


def test_top_units_by_seasonality_needs_phase():
    with pytest.raises(ValueError, match="phase"):
        top_units(make_trace(), layer=0, by="seasonality")


@pytest.mark.parametrize(("cell", "quantities"), [("lstm", {"cell", "hidden"}), ("gru", {"hidden"})])
def test_trajectories_are_tidy(cell, quantities):
    trace = make_trace(cell, n_cycles=2)
    frame = trajectories(trace, [1, 5], layer=1)
    assert list(frame.columns) == TRAJECTORY_COLUMNS
    assert set(frame["quantity"]) == quantities and set(frame["unit"]) == {1, 5} and (frame["layer"] == 1).all()
    assert len(frame) == len(quantities) * 2 * trace.n_steps
    hidden5 = frame[(frame["quantity"] == "hidden") & (frame["unit"] == 5)]
    np.testing.assert_array_equal(hidden5["value"], trace.get("hidden", 1)[:, 5])
    np.testing.assert_array_equal(hidden5["timestamp"], trace.index)
    with pytest.raises(UserError, match="traces none of"):
        trajectories(trace, [0], layer=0, quantities=("forget",) if cell == "gru" else ("update",))


def test_saturation_fractions_are_exact():
    values = np.full((6, 10, 1, 2), 0.5, dtype=np.float32)  # lstm quantities x 10 steps x 1 layer x 2 units
    values[1, :3, 0, 0] = 0.05  # forget gate, unit 0: 3 of 10 steps left-saturated
    values[1, 3:4, 0, 0] = 0.95  # ... and 1 right-saturated
    values[0, :, 0, 1] = 0.99  # input gate, unit 1: always right-saturated
    values[3, :5, 0, 1] = 0.1  # output gate, unit 1: exactly 0.1 is not below 0.1
    trace = Trace("lstm", QUANTITIES["lstm"], values, pd.RangeIndex(10), 2, False)
    table = saturation(trace).set_index(["layer", "unit", "gate"])
    assert list(saturation(trace).columns) == SATURATION_COLUMNS
    assert len(table) == 2 * 3  # units x sigmoid gates; candidate, cell and hidden are not gates
    assert tuple(table.loc[(0, 0, "forget")]) == (0.3, 0.1)
    assert tuple(table.loc[(0, 1, "input")]) == (0.0, 1.0)
    assert tuple(table.loc[(0, 1, "output")]) == (0.0, 0.0)
    assert tuple(table.loc[(0, 0, "output")]) == (0.0, 0.0)


def test_saturation_gru_gates_and_one_layer():
    table = saturation(make_trace("gru"), layer=1)
    assert set(table["gate"]) == {"reset", "update"} and (table["layer"] == 1).all()


def tidy_lines(n_steps: int, n_groups: int) -> pd.DataFrame:
    steps = np.arange(n_steps)
    return pd.DataFrame(
        {
            "timestamp": np.tile(pd.date_range("2024-01-01", periods=n_steps, freq="h"), n_groups),
            "step": np.tile(steps, n_groups),
            "layer": 0,
            "unit": np.repeat(np.arange(n_groups), n_steps),
            "quantity": "cell",
            "value": np.tile(steps.astype(float), n_groups),
        }
    )


@pytest.mark.parametrize("n_groups", [1, 3, 70])
def test_downsample_respects_max_rows(n_groups):
    frame = tidy_lines(100_000 // n_groups if n_groups > 3 else 100_000, n_groups)
    out, note = downsample(frame, max_rows=5000)
    assert len(out) <= 5000
    assert list(out.columns) == list(frame.columns)
    assert set(out["unit"]) == set(range(n_groups))
    assert note.startswith("mean over ") and "bins" in note and "→" in note
    one = out[out["unit"] == 0]
    assert one["step"].is_monotonic_increasing
    np.testing.assert_allclose(one["value"], one["step"])  # value == step, so bin means agree
    assert frame["value"].mean() == pytest.approx(out["value"].mean(), rel=0.01)


def test_downsample_note_for_one_line():
    out, note = downsample(tidy_lines(100_000, 1), max_rows=5000)
    assert len(out) == 5000
    assert note == "mean over 20-step bins: 100,000 steps → 5,000 points"


def test_downsample_leaves_small_frames_alone():
    frame = tidy_lines(100, 3)
    out, note = downsample(frame, max_rows=5000)
    assert out is frame and note == ""


def test_downsample_with_range_and_custom_columns():
    frame = pd.DataFrame({"cycle": np.repeat(np.arange(1000), 24), "phase": np.tile(np.arange(24), 1000)})
    frame["value"] = frame["cycle"] * 1.0
    out, note = downsample(frame, max_rows=2400, time_col="cycle", group_cols=["phase"], with_range=True)
    assert len(out) <= 2400 and set(out.columns) == {"phase", "cycle", "value", "value_min", "value_max"}
    assert (out["value_min"] <= out["value"]).all() and (out["value"] <= out["value_max"]).all()
    assert "10-cycle bins" in note


def test_downsample_more_groups_than_rows_keeps_the_first():
    out, note = downsample(tidy_lines(3, 50), max_rows=20)
    assert len(out) == 20 and "only the first 20 of 50 lines" in note


def test_fold_by_phase_quantiles_match_pandas_on_ragged_phases():
    trace = make_trace(n_cycles=3)
    phase = np.random.default_rng(1).integers(0, 5, trace.n_steps)  # uneven counts per phase
    folded = fold_by_phase(trace, phase, layer=0, quantity="cell").query("unit == 2").set_index("phase")
    grouped = pd.Series(trace.get("cell", 0)[:, 2].astype(np.float64)).groupby(phase)
    np.testing.assert_allclose(folded["q25"], grouped.quantile(0.25), rtol=1e-6)
    np.testing.assert_allclose(folded["q75"], grouped.quantile(0.75), rtol=1e-6)
    np.testing.assert_allclose(folded["mean"], grouped.mean(), rtol=1e-6)
    np.testing.assert_array_equal(folded["n_cycles"], grouped.size())


def test_seasonality_score_is_eta_squared():
    values = np.zeros((6, 8, 1, 1), dtype=np.float32)
    values[1, :, 0, 0] = [0, 2, 0, 2, 1, 3, 1, 3]  # forget gate; phase means 0.5 and 2.5
    trace = Trace("lstm", QUANTITIES["lstm"], values, pd.RangeIndex(8), 1, False)
    scores = seasonality_scores(trace, np.arange(8) % 2, layer=0)
    # between = 8 * 1^2 = 8, total = sum((x - 1.5)^2) = 10
    assert scores["score"].iloc[0] == pytest.approx(0.8)
    assert scores["amplitude"].iloc[0] == pytest.approx(2.0)
