"""The data behind the inspection views: gates folded by season, unit rankings, saturation.

Everything takes a `Trace` (values (Q, T, L, U), see traces.py) and returns a tidy DataFrame;
phase and cycle arrays (T,) come from `seasonality.phase_and_cycle`. Pure NumPy/pandas,
vectorised over steps and units, so 100k steps x 2 layers x 64 units stay fast.

A vanilla RNN has no gates: the gate views return empty frames with the right columns and the
caller shows `keep_gate_label("rnn")` instead.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .. import cells
from ..errors import UserError

if TYPE_CHECKING:
    from .traces import Trace

LAYER_MEAN = -1  # the `unit` of rows that average over all units of a layer
SIGMOID_GATES = cells.by_name("sigmoid_gates")  # the registry's, by cell name (live)
PHASE_COLUMNS = ["layer", "unit", "phase", "mean", "q25", "q75", "n_cycles"]
CYCLE_COLUMNS = ["layer", "unit", "phase", "cycle", "value"]
SCORE_COLUMNS = ["layer", "unit", "score", "amplitude"]
SATURATION_COLUMNS = ["layer", "unit", "gate", "frac_low", "frac_high"]
TRAJECTORY_COLUMNS = ["timestamp", "step", "layer", "unit", "quantity", "value"]


def keep_gate(cell: str) -> str | None:
    """The gate that decides how much of the past is kept: 'forget' (LSTMs), 'update' (GRU), None (RNN)."""
    return cells.get(cell).keep_gate


def keep_gate_label(cell: str) -> str:
    """Human name of the keep gate, or why there is none."""
    return cells.get(cell).keep_label


def fold_by_phase(
    trace: Trace,
    phase: np.ndarray,
    *,
    layer: int,
    quantity: str | None = None,
    cycle: np.ndarray | None = None,
) -> pd.DataFrame:
    """Each unit's `quantity` (default: the keep gate) per phase, across cycles.

    Columns layer, unit, phase, mean, q25, q75, n_cycles; unit LAYER_MEAN (-1) is the layer's
    average over its units. With `cycle` the steps are first averaged per (cycle, phase), so
    every cycle counts once; without it every step is one observation (the same thing on regular
    data, where a (cycle, phase) holds one step). Empty for an RNN with no quantity given.
    """
    data = _layer_values(trace, quantity, layer)
    if data is None:
        return empty_frame(PHASE_COLUMNS)
    data = _with_layer_mean(data)  # (T, U + 1)
    phase = _check_steps(phase, data, "phase")
    if cycle is not None:
        keys, data, _ = _mean_by_key(data, phase, _check_steps(cycle, data, "cycle"))
        phase = keys[0]
    phases, inverse = np.unique(phase, return_inverse=True)
    padded, counts = _pad_by_group(data, inverse, len(phases))  # (P, max count, U + 1)
    mean = np.nanmean(padded, axis=1)  # (P, U + 1)
    padded.sort(axis=1)  # NaN padding sorts last
    q25, q75 = (_sorted_quantile(padded, counts, q) for q in (0.25, 0.75))  # (P, U + 1) each
    return phase_fold_frame(layer, phases, mean, q25, q75, counts)


def phase_fold_frame(layer: int, phases: np.ndarray, mean: np.ndarray, q25: np.ndarray, q75: np.ndarray,
                     counts: np.ndarray) -> pd.DataFrame:
    """fold_by_phase's frame from per-phase statistics (P, U + 1) (units, then the layer mean) and counts (P,)."""
    units = _unit_ids(mean.shape[1])
    n_p, n_u = mean.shape
    return pd.DataFrame(
        {
            "layer": np.full(n_p * n_u, layer),
            "unit": np.repeat(units, n_p),
            "phase": np.tile(phases, n_u),
            "mean": mean.T.ravel(),
            "q25": q25.T.ravel(),
            "q75": q75.T.ravel(),
            "n_cycles": np.tile(counts, n_u),
        }
    )


def fold_by_cycle(
    trace: Trace,
    phase: np.ndarray,
    cycle: np.ndarray,
    *,
    layer: int,
    quantity: str | None = None,
    unit: int | None = None,
) -> pd.DataFrame:
    """Mean of `quantity` (default: the keep gate) per (cycle, phase) for one unit (None: layer mean).

    Columns layer, unit, phase, cycle, value; one row per (cycle, phase) present, ordered by
    cycle then phase. Empty for an RNN with no quantity given.
    """
    data = _layer_values(trace, quantity, layer)
    if data is None:
        return empty_frame(CYCLE_COLUMNS)
    if unit is None:
        series, unit_id = data.mean(axis=1, dtype=np.float64), LAYER_MEAN
    else:
        if not 0 <= unit < data.shape[1]:
            raise UserError(f"unit {unit} does not exist; choose one of 0..{data.shape[1] - 1}")
        series, unit_id = data[:, unit], unit
    (cycles, phases), means, _ = _mean_by_key(
        series[:, None], _check_steps(cycle, data, "cycle"), _check_steps(phase, data, "phase")
    )
    return pd.DataFrame(
        {"layer": layer, "unit": unit_id, "phase": phases, "cycle": cycles, "value": means[:, 0]},
        columns=CYCLE_COLUMNS,
    )


def season_fold_table(trace: Trace, phase: np.ndarray, cycle: np.ndarray) -> pd.DataFrame:
    """Keep-gate mean per (phase, cycle) for every layer and unit (the CLI's `inspect --season`).

    Columns layer, unit, phase, cycle, forget_mean (LSTM) or update_mean (GRU); an RNN gives an
    empty frame with a forget_mean column. Rows ordered by layer, unit, cycle, phase.
    """
    gate = keep_gate(trace.cell)
    column = f"{gate or 'forget'}_mean"
    if gate is None:
        return empty_frame(["layer", "unit", "phase", "cycle", column])
    values = trace.get(gate)  # (T, L, U)
    n_steps, n_layers, n_units = values.shape
    flat = values.reshape(n_steps, n_layers * n_units)  # (T, L*U)
    (cycles, phases), means, _ = _mean_by_key(
        flat, _check_steps(cycle, flat, "cycle"), _check_steps(phase, flat, "phase")
    )  # means (G, L*U)
    n_groups = len(cycles)
    ids = np.int32  # compact: this table has L * U * T rows (12.8M for 100k steps, 2 x 64 units)
    return pd.DataFrame(
        {
            "layer": np.repeat(np.arange(n_layers, dtype=ids), n_units * n_groups),
            "unit": np.tile(np.repeat(np.arange(n_units, dtype=ids), n_groups), n_layers),
            "phase": np.tile(phases.astype(ids), n_layers * n_units),
            "cycle": np.tile(cycles.astype(ids), n_layers * n_units),
            column: means.T.astype(np.float32).ravel(),
        }
    )


def seasonality_scores(
    trace: Trace, phase: np.ndarray, *, layer: int, quantity: str | None = None
) -> pd.DataFrame:
    """How seasonal each unit is: columns layer, unit, score, amplitude, best first.

    score: share of the unit's variance over steps explained by the phase (eta squared, between-
    phase over total sum of squares, 0 for a constant unit); amplitude: max - min of its phase
    means. `quantity` defaults to the keep gate; empty for an RNN with no quantity given.
    """
    data = _layer_values(trace, quantity, layer)
    if data is None:
        return empty_frame(SCORE_COLUMNS)
    _, phase_means, counts = _mean_by_key(data, _check_steps(phase, data, "phase"))  # (P, U), (P,)
    grand = data.mean(axis=0, dtype=np.float64)  # (U,)
    centred = data - grand
    total = np.einsum("tu,tu->u", centred, centred)  # (U,)
    return scores_frame(layer, phase_means, counts, grand, total)


def scores_frame(layer: int, phase_means: np.ndarray, counts: np.ndarray, grand: np.ndarray,
                 total: np.ndarray) -> pd.DataFrame:
    """seasonality_scores' frame from phase means (P, U), steps per phase (P,), the grand mean (U,)
    and the total sum of squared deviations (U,)."""
    between = counts @ (phase_means - grand) ** 2  # (U,)
    score = np.divide(between, total, out=np.zeros_like(total), where=total > 0)
    frame = pd.DataFrame(
        {
            "layer": layer,
            "unit": np.arange(phase_means.shape[1]),
            "score": np.clip(score, 0.0, 1.0),
            "amplitude": phase_means.max(axis=0) - phase_means.min(axis=0),
        },
        columns=SCORE_COLUMNS,
    )
    return frame.sort_values(["score", "unit"], ascending=[False, True], ignore_index=True)


def top_units(
    trace: Trace,
    *,
    layer: int,
    k: int = 5,
    by: str = "variance",
    quantity: str | None = None,
    phase: np.ndarray | None = None,
) -> list[int]:
    """The k most telling units of a layer: by variance over steps, or by seasonality score.

    `quantity` defaults to the cell state for an LSTM and the hidden state otherwise; ranking by
    "seasonality" needs `phase`.
    """
    if quantity is None:
        quantity = "cell" if "cell" in trace.quantities else "hidden"
    if by == "seasonality":
        if phase is None:
            raise ValueError("ranking units by seasonality needs the phase array")
        return seasonality_scores(trace, phase, layer=layer, quantity=quantity)["unit"].head(k).tolist()
    if by != "variance":
        raise ValueError(f"by must be 'variance' or 'seasonality', got {by!r}")
    return largest(trace.get(quantity, layer).var(axis=0, dtype=np.float64), k)


def largest(variance: np.ndarray, k: int) -> list[int]:
    """Positions of the k largest of variance (U,), largest first, ties by position."""
    return np.argsort(-variance, kind="stable")[:k].tolist()


def trajectories(
    trace: Trace,
    units: Sequence[int],
    *,
    layer: int,
    quantities: Sequence[str] = ("cell", "hidden"),
) -> pd.DataFrame:
    """Tidy rows timestamp, step, layer, unit, quantity, value for some units over all steps.

    Quantities this cell does not trace are skipped (a GRU has no "cell"); `timestamp` is the
    trace's index value (a datetime, or the integer step when the series has no dates).
    """
    kept = [q for q in quantities if q in trace.quantities]
    if not kept:
        raise UserError(f"a {trace.cell} traces none of {list(quantities)}; choose from {list(trace.quantities)}")
    return trace.to_frame(layer=layer, quantities=kept, units=list(units)).sort_values(
        ["quantity", "unit", "step"], ignore_index=True
    )[TRAJECTORY_COLUMNS]


def saturation(trace: Trace, *, layer: int | None = None, low: float = 0.1, high: float = 0.9) -> pd.DataFrame:
    """Share of steps each sigmoid gate spends saturated (Karpathy, Johnson & Fei-Fei 2015).

    Columns layer, unit, gate, frac_low (activation < low: left-saturated), frac_high (> high:
    right-saturated); the cell's sigmoid gates (LSTM input/forget/output, GRU reset/update); empty
    for an RNN.
    """
    gates = cells.get(trace.cell).sigmoid_gates
    if not gates:
        return empty_frame(SATURATION_COLUMNS)
    if layer is not None and not 0 <= layer < trace.n_layers:
        raise UserError(f"layer {layer} does not exist; choose one of 0..{trace.n_layers - 1}")
    layers = np.arange(trace.n_layers) if layer is None else np.array([layer])
    fractions = {}
    for gate in gates:
        values = trace.get(gate)[:, layers]  # (T, L', U)
        fractions[gate] = (values < low).mean(axis=0), (values > high).mean(axis=0)  # (L', U) each
    return saturation_frame(layers, fractions)


def saturation_frame(layers: np.ndarray, fractions: dict[str, tuple[np.ndarray, np.ndarray]]) -> pd.DataFrame:
    """saturation's frame from each gate's (frac_low, frac_high), each (L', U) over `layers` (L',)."""
    parts = []
    for gate, (frac_low, frac_high) in fractions.items():
        n_l, n_u = frac_low.shape
        parts.append(
            pd.DataFrame(
                {
                    "layer": np.repeat(layers, n_u),
                    "unit": np.tile(np.arange(n_u), n_l),
                    "gate": gate,
                    "frac_low": frac_low.ravel(),
                    "frac_high": frac_high.ravel(),
                }
            )
        )
    return pd.concat(parts, ignore_index=True).sort_values(["layer", "unit"], kind="stable", ignore_index=True)


def downsample(
    df: pd.DataFrame,
    *,
    max_rows: int = 5000,
    time_col: str = "step",
    group_cols: Sequence[str] | None = None,
    value_cols: Sequence[str] = ("value",),
    with_range: bool = False,
) -> tuple[pd.DataFrame, str]:
    """Keep a chart's frame under `max_rows` by averaging equal bins of `time_col` per group.

    group_cols: the columns that name one line (default: those of layer, unit, quantity present).
    Numeric and datetime columns are averaged per bin (so `time_col` becomes the bin's mean
    position), other columns keep their first value; with_range adds `<col>_min`/`<col>_max` for
    `value_cols`. Returns the frame and a one-line note of what was done, "" when nothing was.
    With more groups than max_rows, only the first max_rows groups are kept (and the note says so).
    """
    if len(df) <= max_rows:
        return df, ""
    if group_cols is None:
        group_cols = [c for c in ("layer", "unit", "quantity") if c in df.columns]
    group_cols = list(group_cols)
    groups = df.groupby(group_cols, sort=True, dropna=False).ngroup() if group_cols else pd.Series(0, index=df.index)
    n_groups = int(groups.max()) + 1
    dropped = ""
    if n_groups > max_rows:
        df, groups = df[groups < max_rows], groups[groups < max_rows]
        dropped = f"; only the first {max_rows:,} of {n_groups:,} lines are shown"
        n_groups = max_rows
    n_bins = max_rows // n_groups
    bins, width = _time_bins(df[time_col], n_bins)
    aggregations = {}
    for col in df.columns:
        if col in group_cols:
            continue
        numeric = pd.api.types.is_numeric_dtype(df[col]) or pd.api.types.is_datetime64_any_dtype(df[col])
        aggregations[col] = (col, "mean" if numeric and not isinstance(df[col].dtype, pd.CategoricalDtype) else "first")
        if with_range and col in value_cols:
            aggregations[f"{col}_min"], aggregations[f"{col}_max"] = (col, "min"), (col, "max")
    keys = [df[c] for c in group_cols] + [bins.rename("_bin")]
    out = df.groupby(keys, sort=True, dropna=False, observed=True).agg(**aggregations)
    ranges = [c for c in aggregations if c not in df.columns]
    out = out.reset_index(level="_bin", drop=True).reset_index()[[*df.columns, *ranges]]
    n_times = df[time_col].nunique()
    integer = pd.api.types.is_integer_dtype(df[time_col])
    bin_text = f"{width}-{time_col} bins" if integer else f"{time_col} bins of {width}"
    lines = out.groupby(group_cols, sort=False, dropna=False, observed=True) if n_groups > 1 else None
    per_line = 0 if lines is None else int(lines.size().max())
    return out, bin_note(bin_text, time_col, n_times, n_groups, per_line, len(out), dropped)


def bin_note(bin_text: str, time_col: str, n_times: int, n_groups: int, per_line: int, n_rows: int,
             dropped: str = "") -> str:
    """downsample's one-line note of what the binning did."""
    if n_groups == 1:
        return f"mean over {bin_text}: {n_times:,} {time_col}s → {n_rows:,} points{dropped}"
    return (f"mean over {bin_text}: {n_times:,} {time_col}s → at most {per_line:,} points per line "
            f"({n_groups:,} lines, {n_rows:,} rows){dropped}")


# --- helpers -------------------------------------------------------------------------------


def _layer_values(trace: Trace, quantity: str | None, layer: int) -> np.ndarray | None:
    """(T, U) values of `quantity` (default: the keep gate) in `layer`; None for an RNN's gate."""
    quantity = quantity or keep_gate(trace.cell)
    if quantity is None:
        return None
    if quantity not in trace.quantities:
        raise UserError(f"a {trace.cell} has no {quantity!r}; choose one of {list(trace.quantities)}")
    if not 0 <= layer < trace.n_layers:
        raise UserError(f"layer {layer} does not exist; choose one of 0..{trace.n_layers - 1}")
    return trace.get(quantity, layer)


def _check_steps(array: np.ndarray, data: np.ndarray, name: str) -> np.ndarray:
    array = np.asarray(array)
    if array.shape != (data.shape[0],):
        raise ValueError(f"{name} must have one entry per step ({data.shape[0]}), got shape {array.shape}")
    return array


def _with_layer_mean(data: np.ndarray) -> np.ndarray:
    """(T, U) -> (T, U + 1): the last column is the mean over units."""
    return np.concatenate([data, data.mean(axis=1, keepdims=True, dtype=np.float64).astype(data.dtype)], axis=1)


def _unit_ids(n_columns: int) -> np.ndarray:
    """Unit ids of _with_layer_mean's columns: 0..U-1 then LAYER_MEAN."""
    return np.append(np.arange(n_columns - 1), LAYER_MEAN)


def _mean_by_key(data: np.ndarray, *keys: np.ndarray) -> tuple[tuple[np.ndarray, ...], np.ndarray, np.ndarray]:
    """Mean of data (T, K) per distinct tuple of keys (each (T,)), groups sorted by the keys.

    Returns (the keys of each group, each (G,)), means (G, K) float64, counts (G,).
    """
    stacked = np.stack([np.asarray(k) for k in keys])  # (n_keys, T)
    unique, inverse = np.unique(stacked, axis=1, return_inverse=True)  # (n_keys, G), (T,)
    inverse = inverse.ravel()
    order = np.argsort(inverse, kind="stable")
    counts = np.bincount(inverse, minlength=unique.shape[1])
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    sums = np.add.reduceat(data[order], starts, axis=0, dtype=np.float64)  # (G, K)
    return tuple(unique), sums / counts[:, None], counts


def _pad_by_group(data: np.ndarray, group: np.ndarray, n_groups: int) -> tuple[np.ndarray, np.ndarray]:
    """Rows of data (T, K) stacked per group into (G, max count, K), NaN-padded; and counts (G,)."""
    order = np.argsort(group, kind="stable")
    counts = np.bincount(group, minlength=n_groups)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    position = np.arange(len(group)) - starts[group[order]]  # rank of each sorted row in its group
    padded = np.full((n_groups, counts.max(), data.shape[1]), np.nan)
    padded[group[order], position] = data[order]
    return padded, counts


def _sorted_quantile(ordered: np.ndarray, counts: np.ndarray, q: float) -> np.ndarray:
    """Quantile q (linear, as np.quantile) of each group of ordered (G, max count, K), sorted
    along axis 1 with the first counts[g] entries valid; returns (G, K)."""
    position = (counts - 1) * q  # (G,)
    below = np.floor(position).astype(np.int64)
    above = np.minimum(below + 1, counts - 1)
    share = (position - below)[:, None]  # (G, 1)
    groups = np.arange(len(counts))
    return ordered[groups, below] * (1 - share) + ordered[groups, above] * share


def _time_bins(time: pd.Series, n_bins: int) -> tuple[pd.Series, str]:
    """Equal-width bin number of each row (at most n_bins bins) and the bin width as text."""
    if pd.api.types.is_integer_dtype(time):
        start, span = int(time.min()), int(time.max()) - int(time.min()) + 1
        width = -(-span // n_bins)  # ceil: at most n_bins bins
        return (time - start) // width, f"{width:,}"
    numbers = time.astype("int64") if pd.api.types.is_datetime64_any_dtype(time) else time.astype(np.float64)
    start, span = numbers.min(), numbers.max() - numbers.min()
    width = span / n_bins if span > 0 else 1.0
    bins = ((numbers - start) // width).clip(upper=n_bins - 1).astype(np.int64)
    text = str(pd.Timedelta(int(width), unit="ns")) if pd.api.types.is_datetime64_any_dtype(time) else f"{width:.3g}"
    return bins, text


def empty_frame(columns: list[str]) -> pd.DataFrame:
    """An empty frame with these columns (what a view of a cell without gates gets)."""
    return pd.DataFrame({c: pd.Series(dtype="str" if c == "gate" else np.float64) for c in columns})
