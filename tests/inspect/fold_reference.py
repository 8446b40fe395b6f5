"""The look-inside statistics computed the obvious way, over a full Trace held in memory.

Plain pandas group-bys, one statistic at a time, written for reading rather than speed: the tests
compare the streamed summary (inspect/summary.py) with these. `summary_of` streams a Trace's values
through the summary's own fold (summarise_chunks) in small chunks, for synthetic traces that no
network made. The time-binned frames are compared with `time_bins.downsample` of the full trace,
the package's function for any tidy frame (tests/inspect/test_time_bins.py checks it on its own).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from lstm_forecast import cells
from lstm_forecast.inspect.summary import LookInside, summarise_chunks
from lstm_forecast.inspect.traces import Trace

ATOL = 1e-5  # float32 traces against float64 statistics
LAYER_MEAN = -1
PHASE_COLUMNS = ["layer", "unit", "phase", "mean", "q25", "q75", "n_cycles"]
CYCLE_COLUMNS = ["layer", "unit", "phase", "cycle", "value"]
SCORE_COLUMNS = ["layer", "unit", "score", "amplitude"]
SATURATION_COLUMNS = ["layer", "unit", "gate", "frac_low", "frac_high"]


def summary_of(trace: Trace, phase: np.ndarray, cycle: np.ndarray, *, chunk: int = 64,
               series: np.ndarray | None = None) -> LookInside:
    """The streamed summary of a trace's values, fed to it `chunk` steps at a time."""
    chunks = ((start, trace.values[:, start: start + chunk]) for start in range(0, trace.n_steps, chunk))
    return summarise_chunks(chunks, cells.get(trace.cell), trace.index, phase, cycle, n_layers=trace.n_layers,
                            n_units=trace.n_units, series=series)


def assert_frames_close(got: pd.DataFrame, expected: pd.DataFrame, *, sort: list[str] | None = None,
                        atol: float = ATOL) -> None:
    """Same columns in the same order, same rows (after sorting by `sort`), numbers within atol."""
    if sort:
        got, expected = got.sort_values(sort), expected.sort_values(sort)
    got, expected = got.reset_index(drop=True), expected.reset_index(drop=True)
    assert list(got.columns) == list(expected.columns)
    assert len(got) == len(expected)
    for column in got.columns:
        a, b = got[column], expected[column]
        if pd.api.types.is_numeric_dtype(a) and not isinstance(a.dtype, pd.CategoricalDtype):
            np.testing.assert_allclose(a.to_numpy(float), b.to_numpy(float), rtol=0, atol=atol, err_msg=column)
        else:
            assert a.astype(str).tolist() == b.astype(str).tolist(), column


def keep_gate(trace: Trace) -> str | None:
    return cells.get(trace.cell).keep_gate


def units_of(trace: Trace, quantity: str, layer: int) -> pd.DataFrame:
    """(T, U) float64: one column per unit."""
    return pd.DataFrame(trace.get(quantity, layer).astype(np.float64))


def empty(columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame(columns=columns)


def seasonality_scores(trace: Trace, phase: np.ndarray, *, layer: int, quantity: str | None = None) -> pd.DataFrame:
    """Eta squared per unit (between-phase over total sum of squares) and the range of its phase means."""
    quantity = quantity or keep_gate(trace)
    if quantity is None:
        return empty(SCORE_COLUMNS)
    data = units_of(trace, quantity, layer)
    grand = data.mean()
    by_phase = data.groupby(phase)
    means, counts = by_phase.mean(), by_phase.size()
    between = ((means - grand) ** 2).mul(counts, axis=0).sum()
    total = ((data - grand) ** 2).sum()
    score = (between / total).where(total > 0, 0.0).clip(0, 1)
    frame = pd.DataFrame({"layer": layer, "unit": data.columns, "score": score.to_numpy(),
                          "amplitude": (means.max() - means.min()).to_numpy()})
    return frame.sort_values(["score", "unit"], ascending=[False, True], ignore_index=True)


def top_units(trace: Trace, *, layer: int, k: int, by: str, phase: np.ndarray) -> list[int]:
    """The k units of the state quantity with the largest variance (or score), ties by unit."""
    quantity = "cell" if "cell" in trace.quantities else "hidden"
    if by == "seasonality":
        return seasonality_scores(trace, phase, layer=layer, quantity=quantity)["unit"].head(k).tolist()
    variance = units_of(trace, quantity, layer).var(ddof=0)
    return variance.sort_values(ascending=False, kind="stable").index[:k].tolist()


def with_layer_mean(trace: Trace, layer: int) -> pd.DataFrame:
    """The keep gate (T, U) of a layer, and its mean over units as column LAYER_MEAN."""
    data = units_of(trace, keep_gate(trace), layer)
    data[LAYER_MEAN] = data.mean(axis=1)
    return data


def fold_by_cycle(trace: Trace, phase: np.ndarray, cycle: np.ndarray, *, layer: int,
                  unit: int | None = None) -> pd.DataFrame:
    """The keep gate's mean per (cycle, phase) of one unit (None: the layer mean), by cycle then phase."""
    if keep_gate(trace) is None:
        return empty(CYCLE_COLUMNS)
    unit = LAYER_MEAN if unit is None else unit
    means = with_layer_mean(trace, layer)[unit].groupby([cycle, phase]).mean()
    return pd.DataFrame({"layer": layer, "unit": unit, "phase": means.index.get_level_values(1),
                         "cycle": means.index.get_level_values(0), "value": means.to_numpy()})


def fold_by_phase(trace: Trace, phase: np.ndarray, cycle: np.ndarray, *, layer: int) -> pd.DataFrame:
    """Per phase and unit (and the layer mean): mean, q25, q75 over cycles of the (cycle, phase) means."""
    if keep_gate(trace) is None:
        return empty(PHASE_COLUMNS)
    by_cell = with_layer_mean(trace, layer).groupby([cycle, phase]).mean()  # one row per (cycle, phase)
    by_phase = by_cell.groupby(level=1)
    stats = {"mean": by_phase.mean(), "q25": by_phase.quantile(0.25), "q75": by_phase.quantile(0.75)}
    rows = [pd.DataFrame({"layer": layer, "unit": unit, "phase": stats["mean"].index,
                          **{name: frame[unit].to_numpy() for name, frame in stats.items()},
                          "n_cycles": by_phase.size().to_numpy()})
            for unit in by_cell.columns]
    return pd.concat(rows, ignore_index=True)


def season_fold_table(trace: Trace, phase: np.ndarray, cycle: np.ndarray) -> pd.DataFrame:
    """The keep gate's mean per (cycle, phase) for every layer and unit, by layer, unit, cycle, phase."""
    gate = keep_gate(trace)
    column = f"{gate or 'forget'}_mean"
    if gate is None:
        return empty(["layer", "unit", "phase", "cycle", column])
    rows = []
    for layer in range(trace.n_layers):
        for unit in range(trace.n_units):
            one = fold_by_cycle(trace, phase, cycle, layer=layer, unit=unit)
            rows.append(one.rename(columns={"value": column})[["layer", "unit", "phase", "cycle", column]])
    return pd.concat(rows, ignore_index=True)


def saturation(trace: Trace, *, layer: int | None = None, low: float = 0.1, high: float = 0.9) -> pd.DataFrame:
    """Share of steps each sigmoid gate of each unit spends below `low` and above `high`."""
    gates = cells.get(trace.cell).sigmoid_gates
    if not gates:
        return empty(SATURATION_COLUMNS)
    rows = []
    for lay in range(trace.n_layers) if layer is None else [layer]:
        for unit in range(trace.n_units):
            for gate in gates:
                values = trace.get(gate, lay)[:, unit]
                rows.append({"layer": lay, "unit": unit, "gate": gate, "frac_low": np.mean(values < low),
                             "frac_high": np.mean(values > high)})
    return pd.DataFrame(rows)
