"""Time-binned frames: a chart's rows kept bounded by averaging equal bins of time.

`downsample` bins any tidy frame (the Data and Compare steps' series, or a trace's rows); `TimeBins`
gives the same frames from the look-inside summary's fine time bins (sums over at most
summary.TIME_BINS equal bins of every quantity and of the series), merged into coarser bins for each
chart. Up to TIME_BINS steps a fine bin is one step and both give the same numbers.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import UserError
from .views import Shape


@dataclass
class TimeBins:
    """Sums over fine time bins of every quantity (running.RunningStats') and of the series."""

    shape: Shape
    index: pd.Index  # (T,) timestamps or steps
    bin_width: int  # steps per fine time bin
    bin_sum: np.ndarray  # (Q, B, L, U) float64
    series_bin_sum: np.ndarray  # (B,) float64

    def binned(self, *, layer: int, quantities: list[str] | tuple[str, ...], units: list[int] | None = None,
               steps: slice | None = None, max_rows: int = 5000) -> tuple[pd.DataFrame, str]:
        """downsample(trace.to_frame(layer=, quantities=, units=, steps=), max_rows=, time_col="step"):
        time-binned means of some quantities and units of a layer, and the note of the binning.

        steps: a stretch [start, stop) (default: every step); it starts on a fine bin (a multiple of
        `bin_width`) and ends on one or at the last step, so each chart bin is whole fine bins.
        """
        layer = self.shape.layer(layer)
        first, stop = self._stretch(steps)
        n_steps = stop - first
        q_pos = [self.shape.quantity(q) for q in quantities]
        unit_ids = np.arange(self.shape.n_units) if units is None else np.unique(np.asarray(units, dtype=np.int64))
        bad = unit_ids[(unit_ids < 0) | (unit_ids >= self.shape.n_units)]
        if bad.size:
            raise UserError(f"units {bad.tolist()} do not exist; choose from 0..{self.shape.n_units - 1}")
        lines = [(u, q) for u in unit_ids for q in q_pos]  # in downsample's order: by unit, then quantity
        dropped = ""
        if len(lines) > max_rows:
            dropped = f"; only the first {max_rows:,} of {len(lines):,} lines are shown"
            lines = lines[:max_rows]
        fits = len(lines) * n_steps <= max_rows  # every step fits: downsample leaves the frame as it is
        width = self._bin_width(n_steps if fits else max_rows // len(lines), n_steps)
        sums, counts, times, step_ids = self._coarse(width, first, stop)  # sums (Q, B', L, U)
        n_bins = len(counts)
        frame = pd.DataFrame({
            "timestamp": np.tile(times, len(lines)),
            "step": np.tile(step_ids, len(lines)),
            "layer": layer,
            "unit": np.repeat([u for u, _ in lines], n_bins),
            "quantity": pd.Categorical.from_codes(np.repeat([q_pos.index(q) for _, q in lines], n_bins),
                                                  categories=list(quantities)),
            "value": np.concatenate([sums[q, :, layer, u] / counts for u, q in lines]),
        })
        if width == 1 and not dropped:
            frame["step"] = frame["step"].astype(np.int64)
            return frame, ""
        note = bin_note(f"{width:,}-step bins", "step", n_steps, len(lines), n_bins, len(frame), dropped)
        return frame, note

    def series_binned(self, *, max_rows: int = 1000) -> pd.DataFrame:
        """The series as downsample(frame[timestamp, value, step], max_rows=, group_cols=[]) gives it."""
        width = self._bin_width(min(self.shape.n_steps, max_rows), self.shape.n_steps)
        _, counts, times, steps = self._coarse(width, 0, self.shape.n_steps, sums=False)
        values = np.add.reduceat(self.series_bin_sum, self._fine_groups(width, 0, self.shape.n_steps)) / counts
        frame = pd.DataFrame({"timestamp": times, "value": values, "step": steps})
        if width == 1:
            frame["step"] = frame["step"].astype(np.int64)
        return frame

    def _stretch(self, steps: slice | None) -> tuple[int, int]:
        """(start, stop) of a stretch of whole fine bins; a ValueError names the allowed starts and ends."""
        start, stop, stride = (steps or slice(None)).indices(self.shape.n_steps)
        if stride != 1 or stop <= start:
            raise ValueError(f"steps must be a non-empty stretch of consecutive steps, got {steps!r}")
        if start % self.bin_width or (stop % self.bin_width and stop != self.shape.n_steps):
            raise ValueError(f"steps {start}..{stop} must start and end on a multiple of {self.bin_width} "
                             f"(the fine bins) or end at the last step ({self.shape.n_steps})")
        return start, stop

    def _bin_width(self, n_bins: int, n_steps: int) -> int:
        """Steps per coarse bin for at most n_bins bins over n_steps: downsample's ceil(n_steps / n_bins),
        in whole fine bins."""
        width = -(-n_steps // max(1, n_bins))
        return -(-width // self.bin_width) * self.bin_width

    def _fine_counts(self) -> np.ndarray:
        n_fine = self.bin_sum.shape[1]
        return np.minimum(self.bin_width, self.shape.n_steps - np.arange(n_fine) * self.bin_width)

    def _fine_groups(self, width: int, start: int, stop: int) -> np.ndarray:
        """First fine bin of each coarse bin of `width` steps (a multiple of bin_width) over [start, stop)."""
        return np.arange(start // self.bin_width, -(-stop // self.bin_width), width // self.bin_width)

    def _coarse(self, width: int, start: int, stop: int, sums: bool = True):
        """Over the steps [start, stop) (whole fine bins): sums (Q, B', L, U) (or None), counts (B',),
        mean time stamps and mean steps of bins of `width` steps."""
        groups = self._fine_groups(width, start, stop)
        fine = slice(groups[0], -(-stop // self.bin_width))
        counts = np.add.reduceat(self._fine_counts()[fine], groups - groups[0])
        total = np.add.reduceat(self.bin_sum[:, fine], groups - groups[0], axis=1) if sums else None
        index = self.index[start:stop]
        if width == 1:
            times = index.to_numpy()
        else:
            times = pd.Series(index).groupby(np.arange(stop - start) // width, sort=True).mean().to_numpy()
        steps = groups * self.bin_width + (counts - 1) / 2  # the mean of consecutive steps
        return total, counts, times, steps


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
