"""The look-inside summary of real networks: the same frames as the full-trace reference
(fold_reference.py) and as downsampling the full trace for short series, bounded memory for long
ones, and the stated storage rules for the keep-gate table."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from lstm_forecast import cells
from lstm_forecast.errors import UserError
from lstm_forecast.inspect import running
from lstm_forecast.inspect import summary as S
from lstm_forecast.inspect.summary import summarise, trace_threads
from lstm_forecast.inspect.time_bins import downsample
from lstm_forecast.inspect.traces import compute_trace, walkthrough

from . import fold_reference as R
from .fold_reference import assert_frames_close

ATOL = R.ATOL
PERIOD = 24
CHUNK = 64  # many chunks on short test series
SHAPES = [("lstm", 1, False), ("lstm", 2, True), ("gru", 1, False), ("gru", 2, True), ("rnn", 1, False),
          ("rnn", 2, True), ("lstm-peephole", 1, False), ("lstm-coupled", 2, True)]


def network(cell: str, layers: int, bidirectional: bool, *, seed: int = 0) -> torch.nn.Module:
    torch.manual_seed(seed)
    return cells.get(cell).build(3, 8, num_layers=layers, bidirectional=bidirectional).eval()


def inputs(n_steps: int = 600, seed: int = 1):
    """x (T, 3), hourly index from 05:00, phase = hour of day, cycle = day, and a series."""
    rng = np.random.default_rng(seed)
    t = np.arange(n_steps)
    x = torch.from_numpy(np.stack([np.sin(2 * np.pi * t / PERIOD), np.cos(2 * np.pi * t / PERIOD),
                                   rng.standard_normal(n_steps)], axis=1).astype(np.float32))
    index = pd.date_range("2024-03-04 05:00", periods=n_steps, freq="h")
    return x, index, (t + 5) % PERIOD, (t + 5) // PERIOD, 10 + np.sin(t / 3) + rng.standard_normal(n_steps)


@pytest.fixture(scope="module", params=SHAPES, ids=lambda s: f"{s[0]}-{s[1]}{'-bi' if s[2] else ''}")
def case(request):
    """(rnn, x, trace, summary, phase, cycle, series) for one cell and shape."""
    cell, layers, bidirectional = request.param
    rnn = network(cell, layers, bidirectional)
    x, index, phase, cycle, series = inputs()
    return rnn, x, compute_trace(rnn, x, index), summarise(rnn, x, index, phase, cycle, series=series, chunk=CHUNK), \
        phase, cycle, series


def test_rankings_and_scores_match_the_full_trace(case):
    rnn, x, trace, summary, phase, cycle, _ = case
    for layer in range(trace.n_layers):
        for quantity in {R.keep_gate(trace), summary.state_quantity} - {None}:
            assert_frames_close(summary.units.seasonality_scores(layer=layer, quantity=quantity),
                                R.seasonality_scores(trace, phase, layer=layer, quantity=quantity))
        for by in ("variance", "seasonality"):
            expected = R.top_units(trace, layer=layer, k=4, by=by, phase=phase)
            assert summary.units.top_units(layer=layer, k=4, by=by) == expected
    if R.keep_gate(trace) is None:
        assert summary.units.seasonality_scores(layer=0).empty


def test_season_folds_match_the_full_trace(case):
    rnn, x, trace, summary, phase, cycle, _ = case
    for layer in range(trace.n_layers):
        assert_frames_close(summary.season.fold_by_phase(layer=layer),
                            R.fold_by_phase(trace, phase, cycle, layer=layer))
        for unit in (None, 3):
            assert_frames_close(summary.season.fold_by_cycle(layer=layer, unit=unit),
                                R.fold_by_cycle(trace, phase, cycle, layer=layer, unit=unit))
    assert_frames_close(summary.season.season_fold_table(), R.season_fold_table(trace, phase, cycle))
    if R.keep_gate(trace) is not None:
        assert len(summary.season.fold_by_cycle(layer=0)) == trace.n_steps
        assert summary.season.keep.dtype == np.float32 and summary.season.keep_note == ""


def test_saturation_matches_the_full_trace(case):
    rnn, x, trace, summary, *_ = case
    assert_frames_close(summary.units.saturation(), R.saturation(trace))
    for layer in range(trace.n_layers):
        assert_frames_close(summary.units.saturation(layer=layer), R.saturation(trace, layer=layer))


def test_binned_frames_match_downsampling_the_full_trace(case):
    """The frames of the Gates over time and Cell state views, with the notes, as downsampling the
    full trace gives them."""
    rnn, x, trace, summary, phase, cycle, series = case
    keys = ["layer", "unit", "quantity", "step"]
    for layer in range(trace.n_layers):
        gates = list(cells.get(trace.cell).sigmoid_gates)
        for quantities in filter(None, [gates, [q for q in trace.quantities if q not in gates]]):
            frame, note = summary.bins.binned(layer=layer, quantities=quantities, max_rows=5000)
            expected, expected_note = downsample(trace.to_frame(layer=layer, quantities=quantities), max_rows=5000,
                                                   time_col="step")
            assert note == expected_note
            assert_frames_close(frame, expected, sort=keys)
        for k in (1, 8):  # 600 steps of 1 unit fit unbinned, of 8 units they do not
            units = summary.units.top_units(layer=layer, k=k)
            q = summary.state_quantity
            frame, note = summary.bins.binned(layer=layer, quantities=[q], units=units, max_rows=4000)
            expected, expected_note = downsample(trace.to_frame(layer=layer, quantities=[q], units=units),
                                                   max_rows=4000, time_col="step")
            assert note == expected_note and (k == 1) == (note == "")
            assert_frames_close(frame, expected, sort=keys)
    whole = pd.DataFrame({"timestamp": trace.index, "value": series, "step": np.arange(trace.n_steps)})
    assert_frames_close(summary.bins.series_binned(max_rows=1000), whole)
    assert_frames_close(summary.bins.series_binned(max_rows=100),
                        downsample(whole, max_rows=100, time_col="step", group_cols=[])[0])


def test_a_stretch_binned_matches_downsampling_that_stretch_of_the_full_trace(case):
    """The stretch of Gates over time that the slider moves: every stretch, at every resolution."""
    rnn, x, trace, summary, *_ = case
    keys = ["layer", "unit", "quantity", "step"]
    quantities = list(cells.get(trace.cell).sigmoid_gates) or ["hidden"]
    n_lines = len(quantities) * trace.n_units
    for start, stop, max_rows in ((0, 120, 5000), (240, 600, 5000), (7, 300, 20 * n_lines), (599, 600, 5000)):
        steps = slice(start, stop)
        frame, note = summary.bins.binned(layer=0, quantities=quantities, steps=steps, max_rows=max_rows)
        expected, expected_note = downsample(trace.to_frame(layer=0, quantities=quantities, steps=steps),
                                               max_rows=max_rows, time_col="step")
        assert note == expected_note and (note == "") == (n_lines * (stop - start) <= max_rows)
        assert_frames_close(frame, expected, sort=keys)
        assert frame["step"].min() >= start and frame["step"].max() <= stop - 1


@pytest.mark.parametrize("steps", [slice(5, 5), slice(0, 100, 2), slice(3, 2)])
def test_a_stretch_must_be_consecutive_steps(case, steps):
    with pytest.raises(ValueError, match="stretch of consecutive steps"):
        case[3].bins.binned(layer=0, quantities=[case[3].state_quantity], steps=steps)


def test_cycle_starts_name_the_cycles_of_the_season_fold(case):
    """Each cycle of the phase x cycle fold has its first time stamp in the full trace's index."""
    rnn, x, trace, summary, phase, cycle, _ = case
    cycles = np.unique(R.fold_by_cycle(trace, phase, cycle, layer=0)["cycle"]) if R.keep_gate(trace) \
        else np.unique(cycle)
    assert summary.season.cycle_starts.index.tolist() == cycles.tolist()
    for c in cycles:
        assert summary.season.cycle_starts[c] == trace.index[cycle == c].min()


def test_the_walkthrough_matches_the_full_trace_at_chunk_edges(case):
    rnn, x, trace, summary, *_ = case
    for layer in range(trace.n_layers):
        for direction in range(2 if trace.bidirectional else 1):
            for step in (0, CHUNK - 1, CHUNK, CHUNK + 1, 333, trace.n_steps - 1):
                got = summary.one_step.walkthrough(step, layer=layer, direction=direction)
                expected = walkthrough(rnn, x, step, layer=layer, direction=direction, trace=trace)
                assert list(got) == list(expected)
                for row in got:
                    np.testing.assert_allclose(got[row], expected[row], rtol=0, atol=ATOL, err_msg=row)


def test_the_series_profile_is_the_seasonal_profile(case):
    from lstm_forecast.seasonality import seasonal_profile

    *_, phase, cycle, series = case
    pd.testing.assert_frame_equal(case[3].series_profile, seasonal_profile(series, phase))


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_groups_of_several_steps_and_irregular_phases(cell):
    """Phase and cycle arrays that are not one step per group, and phases that do not cycle step by step."""
    rnn = network(cell, 2, False)
    x, index, *_ = inputs(500)
    t = np.arange(500)
    phase, cycle = (t // 2) % 5, t // 10  # two steps per (cycle, phase)
    rng = np.random.default_rng(3)
    odd_phase = rng.integers(0, 7, 500)  # not periodic, every step its own group
    trace = compute_trace(rnn, x, index)
    for ph, cy in ((phase, cycle), (odd_phase, t)):
        summary = summarise(rnn, x, index, ph, cy, chunk=CHUNK)
        assert_frames_close(summary.season.fold_by_phase(layer=1), R.fold_by_phase(trace, ph, cy, layer=1))
        assert_frames_close(summary.season.fold_by_cycle(layer=0, unit=2),
                            R.fold_by_cycle(trace, ph, cy, layer=0, unit=2))
        assert_frames_close(summary.units.seasonality_scores(layer=1), R.seasonality_scores(trace, ph, layer=1))
        assert_frames_close(summary.season.season_fold_table(), R.season_fold_table(trace, ph, cy))
    assert len(summarise(rnn, x, index, phase, cycle).season.fold_by_cycle(layer=0)) == 250


def test_long_series_bin_in_whole_fine_bins(monkeypatch):
    """Past TIME_BINS steps each chart bin is a whole number of fine bins, and its value is the
    mean of exactly the steps it covers."""
    monkeypatch.setattr(S, "TIME_BINS", 64)
    rnn = network("lstm", 1, False)
    x, index, phase, cycle, series = inputs(1000)
    summary = summarise(rnn, x, index, phase, cycle, series=series, chunk=CHUNK)
    trace = compute_trace(rnn, x, index)
    assert summary.bins.bin_width == 16  # ceil(1000 / 64)
    frame, note = summary.bins.binned(layer=0, quantities=["forget", "output"], max_rows=1000)
    width = 32  # 16 lines: downsample would take ceil(1000 / (1000 // 16)) = 17 steps; here 2 whole fine bins
    assert note == f"mean over {width}-step bins: 1,000 steps → at most 32 points per line (16 lines, 512 rows)"
    assert len(frame) <= 1000
    bins = np.arange(1000) // width
    for quantity in ("forget", "output"):
        expected = pd.DataFrame(trace.get(quantity, 0)).groupby(bins).mean().to_numpy()  # (bins, U)
        got = frame[frame["quantity"] == quantity].pivot(index="step", columns="unit", values="value").to_numpy()
        np.testing.assert_allclose(got, expected, rtol=0, atol=ATOL)
    times = frame.drop_duplicates("step")["timestamp"]
    assert times.tolist() == pd.Series(index).groupby(bins).mean().tolist()
    _, note = summary.bins.binned(layer=0, quantities=["forget"], units=[0], max_rows=10**6)  # room for every step
    assert note == "mean over 16-step bins: 1,000 steps → 63 points"  # the fine bins are the finest there is
    np.testing.assert_allclose(summary.bins.series_binned(max_rows=100)["value"],
                               pd.Series(series).groupby(np.arange(1000) // 16).mean(), atol=1e-9)
    frame, note = summary.bins.binned(layer=0, quantities=["forget"], steps=slice(320, 640), max_rows=10**6)
    assert note == "mean over 16-step bins: 320 steps → at most 20 points per line (8 lines, 160 rows)"
    expected = pd.DataFrame(trace.get("forget", 0)[320:640]).groupby(np.arange(320) // 16).mean().to_numpy()
    np.testing.assert_allclose(frame.pivot(index="step", columns="unit", values="value").to_numpy(), expected,
                               rtol=0, atol=ATOL)
    assert summary.bins.binned(layer=0, quantities=["forget"], steps=slice(992, 1000))[0]["step"].tolist() == \
        [995.5] * 8  # the last, partial fine bin
    with pytest.raises(ValueError, match="multiple of 16"):
        summary.bins.binned(layer=0, quantities=["forget"], steps=slice(8, 640))


def test_memory_held_does_not_grow_with_the_series_beyond_what_a_view_needs_per_step(monkeypatch):
    """Everything but the per-step tables (time stamps, inputs, the keep gate by cycle and phase)
    is the same size for 1,000 and 4,000 steps."""
    monkeypatch.setattr(S, "TIME_BINS", 256)
    rnn = network("lstm", 2, True)
    per_step = {"index", "sequence", "keep", "keep_layer_mean", "group_cycle", "group_phase"}
    sizes = []
    for n_steps in (1000, 4000):
        x, index, phase, cycle, series = inputs(n_steps)
        summary = summarise(rnn, x, index, phase, cycle, series=series)
        parts = (summary, summary.units, summary.season, summary.bins, summary.one_step)
        fixed = {name: value.nbytes for part in parts for name, value in vars(part).items()
                 if isinstance(value, np.ndarray) and name not in per_step}
        assert {"mean", "m2", "phase_sum", "bin_sum", "series_bin_sum"} <= set(fixed)
        sizes.append(fixed)
        assert summary.season.keep.nbytes == n_steps * 2 * 16 * 4  # T x layers x units, float32
    assert sizes[0] == sizes[1]
    assert sizes[0]["bin_sum"] <= 6 * 256 * 2 * 16 * 8  # quantities x at most TIME_BINS x layers x units, float64


def test_a_large_keep_table_is_stored_in_float16(monkeypatch):
    monkeypatch.setattr(running, "KEEP_FLOAT32_MAX", 1000)
    rnn = network("lstm", 1, False)
    x, index, phase, cycle, _ = inputs(600)
    summary, trace = summarise(rnn, x, index, phase, cycle), compute_trace(rnn, x, index)
    assert summary.season.keep.dtype == np.float16
    assert_frames_close(summary.season.fold_by_cycle(layer=0, unit=1),
                        R.fold_by_cycle(trace, phase, cycle, layer=0, unit=1),
                        atol=2.5e-4)  # float16's step near 1 is 2^-11
    assert_frames_close(summary.season.fold_by_phase(layer=0), R.fold_by_phase(trace, phase, cycle, layer=0),
                        atol=2.5e-4)


def test_past_the_cap_only_the_latest_whole_cycles_are_kept(monkeypatch):
    monkeypatch.setattr(running, "KEEP_MAX", 8 * 100)  # 8 units: room for 100 groups
    rnn = network("gru", 1, False)
    x, index, phase, cycle, _ = inputs(600)  # 05:00 to 04:00 after 25 days: 26 cycles
    summary, trace = summarise(rnn, x, index, phase, cycle), compute_trace(rnn, x, index)
    kept = np.unique(summary.season.group_cycle)
    assert kept.tolist() == list(range(22, 26))  # the last 4 whole days fit in 100 groups (the 26th is 5 hours)
    assert summary.season.keep_note == "the last 4 of 26 cycles: the table of every cycle would pass 800 values"
    expected = R.fold_by_cycle(trace, phase, cycle, layer=0, unit=4)
    assert_frames_close(summary.season.fold_by_cycle(layer=0, unit=4), expected[expected["cycle"] >= 22])
    assert_frames_close(summary.units.seasonality_scores(layer=0),
                        R.seasonality_scores(trace, phase, layer=0))  # all steps


def test_write_season_csv_is_the_season_table(tmp_path, case):
    rnn, x, trace, summary, phase, cycle, _ = case
    out = tmp_path / "season.csv"
    rows = summary.season.write_season_csv(out, layer=trace.n_layers - 1)
    expected = R.season_fold_table(trace, phase, cycle)
    expected = expected[expected["layer"] == trace.n_layers - 1]
    assert rows == len(expected)
    assert_frames_close(pd.read_csv(out), expected)


@pytest.mark.parametrize("call, message", [
    (lambda s: s.units.seasonality_scores(layer=5), "layer 5 does not exist"),
    (lambda s: s.season.fold_by_cycle(layer=0, unit=99), "unit 99 does not exist"),
    (lambda s: s.bins.binned(layer=0, quantities=["update"]), "has no 'update'"),
    (lambda s: s.bins.binned(layer=0, quantities=["forget"], units=[-1]), r"units \[-1\] do not exist"),
])
def test_bad_choices_are_user_errors(call, message):
    rnn = network("lstm", 1, False)
    x, index, phase, cycle, _ = inputs(100)
    with pytest.raises(UserError, match=message):
        call(summarise(rnn, x, index, phase, cycle))


def test_tracing_runs_on_one_thread_unless_told():
    assert trace_threads(network("lstm", 2, True)) == 1
    assert trace_threads(network("lstm", 1, False), 2) == 2
