"""The keep gate folded by season: its mean per (cycle, phase) for every unit, and the views of it.

On regular data a (cycle, phase) holds one step, so the table holds every step's keep gate; see
summary.py for how it is stored. A vanilla RNN has no keep gate: its views are empty frames with the
right columns, and the caller shows the registry's `keep_label` instead.
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import UserError
from .views import Shape, empty_frame

LAYER_MEAN = -1  # the `unit` of rows that average over all units of a layer
PHASE_COLUMNS = ["layer", "unit", "phase", "mean", "q25", "q75", "n_cycles"]
CYCLE_COLUMNS = ["layer", "unit", "phase", "cycle", "value"]


@dataclass
class SeasonFold:
    """The keep-gate table of a streamed trace (running.RunningStats'), with each cycle's first time stamp."""

    shape: Shape
    group_cycle: np.ndarray  # (G,) cycle of each kept (cycle, phase) group, sorted by cycle then phase
    group_phase: np.ndarray  # (G,)
    keep: np.ndarray | None  # (G, L, U) float32 or float16: keep-gate mean per group; None without a keep gate
    keep_layer_mean: np.ndarray | None  # (G, L) float32: the same for the mean over the layer's units
    keep_note: str  # "" when every cycle is kept
    cycle_starts: pd.Series  # (C,) cycle -> its first time stamp (or step), for naming cycles

    def fold_by_cycle(self, *, layer: int, unit: int | None = None) -> pd.DataFrame:
        """The keep gate's mean per (cycle, phase) for one unit (None: the layer mean).

        Columns layer, unit, phase, cycle, value; one row per kept (cycle, phase), by cycle then phase.
        """
        if self.keep is None:
            return empty_frame(CYCLE_COLUMNS)
        layer, n_units = self.shape.layer(layer), self.shape.n_units
        if unit is None:
            values, unit_id = self.keep_layer_mean[:, layer], LAYER_MEAN
        else:
            if not 0 <= unit < n_units:
                raise UserError(f"unit {unit} does not exist; choose one of 0..{n_units - 1}")
            values, unit_id = self.keep[:, layer, unit], unit
        return pd.DataFrame({"layer": layer, "unit": unit_id, "phase": self.group_phase, "cycle": self.group_cycle,
                             "value": values.astype(np.float64)}, columns=CYCLE_COLUMNS)

    def fold_by_phase(self, *, layer: int) -> pd.DataFrame:
        """Per phase, the mean, q25 and q75 over cycles of each unit's (and the layer mean's) per-(cycle,
        phase) keep gate: columns layer, unit, phase, mean, q25, q75, n_cycles (unit LAYER_MEAN: the layer's mean)."""
        if self.keep is None:
            return empty_frame(PHASE_COLUMNS)
        layer = self.shape.layer(layer)
        order = np.argsort(self.group_phase, kind="stable")
        phases, starts, counts = np.unique(self.group_phase[order], return_index=True, return_counts=True)
        shape = (len(phases), self.shape.n_units + 1)
        mean, q25, q75 = np.empty(shape), np.empty(shape), np.empty(shape)
        for p, (start, count) in enumerate(zip(starts, counts)):
            rows = order[start: start + count]
            block = np.concatenate([self.keep[rows, layer], self.keep_layer_mean[rows, layer][:, None]], axis=1,
                                   dtype=np.float64)  # (cycles, U + 1)
            mean[p] = block.mean(axis=0)
            q25[p], q75[p] = np.quantile(block, [0.25, 0.75], axis=0)
        return phase_fold_frame(layer, phases, mean, q25, q75, counts)

    def season_fold_table(self, *, layer: int | None = None) -> pd.DataFrame:
        """The keep gate per (phase, cycle) for every unit of one layer or all (the CLI's `inspect --season`).

        Columns layer, unit, phase, cycle, forget_mean (LSTM) or update_mean (GRU); an RNN gives an
        empty frame with a forget_mean column. Rows by layer, unit, cycle, phase.
        """
        blocks = list(self._blocks(layer))
        return pd.concat(blocks, ignore_index=True) if blocks else self._block(0, 0)

    def write_season_csv(self, path: str | Path, *, layer: int | None = None) -> int:
        """season_fold_table written to a CSV one unit at a time (never the whole table in memory); its rows."""
        rows = 0
        with open(path, "w", newline="") as out:
            for block in self._blocks(layer):
                block.to_csv(out, index=False, header=rows == 0)
                rows += len(block)
            if rows == 0:  # no keep gate: the header alone
                self._block(0, 0).to_csv(out, index=False)
        return rows

    def _blocks(self, layer: int | None) -> Iterator[pd.DataFrame]:
        if self.keep is None:
            return
        layers = range(self.shape.n_layers) if layer is None else [self.shape.layer(layer)]
        for lay in layers:
            for unit in range(self.shape.n_units):
                yield self._block(lay, unit)

    def _block(self, layer: int, unit: int) -> pd.DataFrame:
        ids = np.int32  # compact: the table has L * U * T rows on regular data
        column = f"{self.shape.keep_gate or 'forget'}_mean"
        values = self.keep[:, layer, unit] if self.keep is not None else np.empty(0, np.float32)
        n = len(values)
        return pd.DataFrame({"layer": np.full(n, layer, ids), "unit": np.full(n, unit, ids),
                             "phase": self.group_phase[:n].astype(ids), "cycle": self.group_cycle[:n].astype(ids),
                             column: values.astype(np.float32)})


def phase_fold_frame(layer: int, phases: np.ndarray, mean: np.ndarray, q25: np.ndarray, q75: np.ndarray,
                     counts: np.ndarray) -> pd.DataFrame:
    """fold_by_phase's frame from per-phase statistics (P, U + 1) (units, then the layer mean) and counts (P,)."""
    units = np.append(np.arange(mean.shape[1] - 1), LAYER_MEAN)
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
