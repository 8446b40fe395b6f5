"""The cleaned, typed series every source (CSV, Yahoo, sample) hands to the rest of the package."""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..errors import UserError
from .calendar import candidate_periods
from .frequency import stamp

if TYPE_CHECKING:
    from .source import Source

WARN_TARGET_FILLED = 0.05  # filling more than this share of the target is a warning: the model learns invented values
UNKNOWN_SEASON_SHARE = 0.02  # without a calendar season, a gap longer than this share of the series is long


@dataclass
class LoadedSeries:
    """A regular, gap-free series plus what was done to get it.

    frame: every numeric column, indexed by a DatetimeIndex (regular frequency `freq`) or, when
        the file had no dates, by a RangeIndex of integer steps (`freq` is None).
    value_col: the target column in `frame`; the other columns are candidate covariates.
    report: one short human sentence per repair (rows dropped, gaps filled, duplicates merged...).
    defaults: what the loader chose by itself, with its reason, for the UI to show:
        {"date_col": "...", "value_col": "Adj Close: the adjusted close of a stock export", "freq": "..."}.
    warnings: repairs big enough that the user should look (most rows merged, a constant target...).
    """

    frame: pd.DataFrame
    value_col: str
    date_col: str | None = None
    freq: str | None = None
    source: str = ""
    report: list[str] = field(default_factory=list)
    observed: pd.DataFrame | None = field(default=None, repr=False)  # bool: True where read, not filled
    defaults: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    origin: "Source | None" = field(default=None, repr=False)  # where it came from (data/source.py), when known

    @property
    def series(self) -> pd.Series:
        return self.frame[self.value_col]

    @property
    def covariate_cols(self) -> list[str]:
        return [c for c in self.frame.columns if c != self.value_col]

    def observed_mask(self, column: str | None = None) -> np.ndarray:
        """(len(frame),) True where `column` (the target by default) was read, False where filled in."""
        column = column or self.value_col
        if self.observed is not None and column in self.observed.columns:
            return self.observed[column].to_numpy(dtype=bool)
        return np.ones(len(self.frame), dtype=bool)

    def with_value(self, value_col: str) -> "LoadedSeries":
        """The same data with another column as the target."""
        if value_col not in self.frame.columns:
            raise UserError(
                f"column {value_col!r} is not a numeric column of this data; "
                f"choose one of {list(self.frame.columns)}"
            )
        defaults = {k: v for k, v in self.defaults.items() if k != "value_col" or value_col == self.value_col}
        old_fill = self.fill_warning()  # about the old target: replaced by the new target's
        warnings = [w for w in self.warnings if w != old_fill]
        moved = LoadedSeries(self.frame, value_col, self.date_col, self.freq, self.source, list(self.report),
                             self.observed, defaults, warnings,
                             self.origin.with_value(value_col) if self.origin is not None else None).trimmed()
        new_fill = moved.fill_warning()
        if new_fill:
            moved.warnings.append(new_fill)
        return moved

    def head(self, n: int) -> "LoadedSeries":
        """The first `n` rows, with everything the loader said about them (for backtests' past-only parts)."""
        return replace(self, frame=self.frame.iloc[:n],
                       observed=None if self.observed is None else self.observed.iloc[:n])

    def trimmed(self) -> "LoadedSeries":
        """Drop the rows before the target's first and after its last real value.

        Filled-in values at the end would otherwise become the holdout, and every method would be
        scored on copies of the last real value.
        """
        if self.observed is None or self.value_col not in self.observed.columns:
            return self
        seen = self.observed[self.value_col].to_numpy()
        if seen.sum() < 3:
            others = [c for c in self.observed.columns if c != self.value_col and self.observed[c].sum() >= 3]
            raise UserError(f"column {self.value_col!r} has values at only {int(seen.sum())} timestamps after cleaning; "
                            "supply at least 3" + (f" or choose another column with value_col (one of {others})"
                                                   if others else ""))
        if seen.all():
            return self
        first, last = int(seen.argmax()), len(seen) - 1 - int(seen[::-1].argmax())
        if first == 0 and last == len(seen) - 1:
            return self
        parts = [f"{n:,} rows at the {where}" for n, where in ((len(seen) - 1 - last, "end"), (first, "start")) if n]
        note = (f"dropped {' and '.join(parts)} where {self.value_col!r} has no value: "
                "forecasts are scored on real values only")
        keep = slice(first, last + 1)
        return LoadedSeries(self.frame.iloc[keep], self.value_col, self.date_col, self.freq, self.source,
                            [*self.report, note], self.observed.iloc[keep], dict(self.defaults), list(self.warnings),
                            self.origin)

    def fill_warning(self) -> str | None:
        """A warning when the target was filled a lot: over WARN_TARGET_FILLED of its values, or any gap
        longer than one season (the frequency's shortest calendar cycle: a day for hourly data)."""
        if self.observed is None or self.value_col not in self.observed.columns:
            return None
        filled = ~self.observed[self.value_col].to_numpy()
        n, total = int(filled.sum()), len(filled)
        if not n:
            return None
        edges = np.diff(np.concatenate(([0], filled.astype(np.int8), [0])))
        starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)  # gap i is steps starts[i]..ends[i]-1
        sizes = ends - starts
        periods = [p for p in candidate_periods(self.freq) if p >= 2]
        if periods:
            season, season_words = periods[0], f"one season ({periods[0]:,} steps)"
        else:  # no calendar cycle to measure against: a fixed share of the series stands in
            season = max(10, int(UNKNOWN_SEASON_SHARE * total))
            season_words = f"{season:,} steps ({UNKNOWN_SEASON_SHARE:.0%} of the series, as no season is known)"
        long_gaps = int((sizes > season).sum())
        if n <= WARN_TARGET_FILLED * total and not long_gaps:
            return None
        at = int(sizes.argmax())
        first, last = self.frame.index[starts[at]], self.frame.index[ends[at] - 1]
        where = (f"{stamp(first)} to {stamp(last)}" if isinstance(self.frame.index, pd.DatetimeIndex)
                 else f"steps {first:,} to {last:,}")
        gaps = f"{long_gaps:,} gaps are" if long_gaps != 1 else "1 gap is"
        return (f"filled {n:,} of {total:,} {self.value_col!r} values ({n / total:.1%}) by interpolation; the largest "
                f"gap is {sizes[at]:,} step{'s' if sizes[at] > 1 else ''} ({where}) and {gaps} longer than "
                f"{season_words}: the model learns from invented values there; load a stretch without long gaps, "
                "or fill them at the source")
