"""What the dashboard's look-inside views need of a series of any length, from one streamed pass.

`look_inside(run, loaded)` traces the series chunk by chunk (stream.py: exact, the state carried
across chunks) and keeps, of every quantity of every step, only:
- moments per (quantity, layer, unit): mean and sum of squared deviations, merged across chunks
  (Chan, Golub & LeVeque), for ranking units by variance;
- sums per phase, for seasonality scores and phase means;
- the keep gate's mean per (cycle, phase) for every unit, for the phase x cycle heatmap, the
  profile's interquartile range across cycles and the CLI's season table. That is about T values
  per unit: float32 up to running.KEEP_FLOAT32_MAX values (2^26, 256 MB), float16 beyond (a gate
  lies in [0, 1], so float16 is within 2.4e-4), and at most running.KEEP_MAX values (2^28, 512 MB):
  beyond that, only the latest whole cycles that fit (`keep_note` says so);
- sums over TIME_BINS equal time bins of every quantity and of the series, merged into coarser
  bins for each chart;
- counts of steps below 0.1 and above 0.9 per sigmoid gate and unit;
- each cycle's first time stamp, to name the heatmap's rows;
- each chunk's entry states, so "One step" traces just that chunk again.

Its methods give the frames of fold.py's functions. On series of at most TIME_BINS steps they are
the same numbers as fold.py's on the full Trace; longer series get the same statistics, binned
in multiples of the fine bins.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import torch

from .. import cells
from ..errors import UserError
from . import fold as F
from .running import RunningStats
from .stream import CHUNK, ChunkedSequence, plan, replay, steps_per_chunk, sweep
from .traces import step_rows

if TYPE_CHECKING:
    from torch import nn

    from ..data.series import LoadedSeries
    from ..pipeline import Run

TIME_BINS = 8_192  # fine time bins: series up to this many steps keep every step


@dataclass
class LookInside:
    """Summary of every quantity of a traced series; arrays are (Q, ..., L, U) like Trace.values."""

    cell: str
    quantities: tuple[str, ...]
    index: pd.Index  # (T,) timestamps or steps
    hidden_size: int
    bidirectional: bool
    n_layers: int
    mean: np.ndarray  # (Q, L, U) float64 over steps
    m2: np.ndarray  # (Q, L, U) float64: sum of squared deviations from the mean
    phases: np.ndarray  # (P,) the phases present, sorted
    phase_count: np.ndarray  # (P,) steps per phase
    phase_sum: np.ndarray  # (Q, P, L, U) float64
    group_cycle: np.ndarray  # (G,) cycle of each kept (cycle, phase) group, sorted by cycle then phase
    group_phase: np.ndarray  # (G,)
    keep: np.ndarray | None  # (G, L, U) float32 or float16: keep-gate mean per group; None without a keep gate
    keep_layer_mean: np.ndarray | None  # (G, L) float32: the same for the mean over the layer's units
    keep_note: str  # "" when every cycle is kept
    bin_width: int  # steps per fine time bin
    bin_sum: np.ndarray  # (Q, B, L, U) float64
    series_bin_sum: np.ndarray  # (B,) float64
    series_profile: pd.DataFrame  # the series per phase: phase, mean, q25, q75
    cycle_starts: pd.Series  # (C,) cycle -> its first time stamp (or step), for naming cycles
    saturated: dict[str, tuple[np.ndarray, np.ndarray]]  # sigmoid gate -> steps < 0.1, > 0.9, (L, U) each
    sequence: ChunkedSequence = field(repr=False)  # for replaying one chunk
    threads: int = 1  # intra-op threads for replaying it
    _replayed: tuple[int, np.ndarray] | None = field(default=None, repr=False)

    @property
    def n_steps(self) -> int:
        return len(self.index)

    @property
    def n_units(self) -> int:
        return self.mean.shape[2]

    @property
    def state_quantity(self) -> str:
        """The memory the Cell state view shows: the cell state, or the hidden state of a cell without one."""
        return "cell" if "cell" in self.quantities else "hidden"

    # --- rankings ------------------------------------------------------------------------------

    def top_units(self, *, layer: int, k: int = 5, by: str = "variance", quantity: str | None = None) -> list[int]:
        """fold.top_units: the k units of a layer with the largest variance or seasonality score."""
        quantity = quantity or self.state_quantity
        if by == "seasonality":
            return self.seasonality_scores(layer=layer, quantity=quantity)["unit"].head(k).tolist()
        if by != "variance":
            raise ValueError(f"by must be 'variance' or 'seasonality', got {by!r}")
        q = self._quantity(quantity)
        return F.largest(self.m2[q, self._layer(layer)] / self.n_steps, k)

    def seasonality_scores(self, *, layer: int, quantity: str | None = None) -> pd.DataFrame:
        """fold.seasonality_scores: share of each unit's variance explained by the phase, best first."""
        quantity = quantity or F.keep_gate(self.cell)
        if quantity is None:
            return F.empty_frame(F.SCORE_COLUMNS)
        q, layer = self._quantity(quantity), self._layer(layer)
        phase_means = self.phase_sum[q, :, layer] / self.phase_count[:, None]  # (P, U)
        return F.scores_frame(layer, phase_means, self.phase_count, self.mean[q, layer], self.m2[q, layer])

    # --- the keep gate by season -----------------------------------------------------------------

    def fold_by_cycle(self, *, layer: int, unit: int | None = None) -> pd.DataFrame:
        """fold.fold_by_cycle of the keep gate: its mean per (cycle, phase) for one unit (None: the layer mean)."""
        if self.keep is None:
            return F.empty_frame(F.CYCLE_COLUMNS)
        layer = self._layer(layer)
        if unit is None:
            values, unit_id = self.keep_layer_mean[:, layer], F.LAYER_MEAN
        else:
            if not 0 <= unit < self.n_units:
                raise UserError(f"unit {unit} does not exist; choose one of 0..{self.n_units - 1}")
            values, unit_id = self.keep[:, layer, unit], unit
        return pd.DataFrame({"layer": layer, "unit": unit_id, "phase": self.group_phase, "cycle": self.group_cycle,
                             "value": values.astype(np.float64)}, columns=F.CYCLE_COLUMNS)

    def fold_by_phase(self, *, layer: int) -> pd.DataFrame:
        """fold.fold_by_phase of the keep gate with cycles: per phase, the mean, q25 and q75 over
        cycles of each unit's (and the layer mean's) per-(cycle, phase) means."""
        if self.keep is None:
            return F.empty_frame(F.PHASE_COLUMNS)
        layer = self._layer(layer)
        order = np.argsort(self.group_phase, kind="stable")
        phases, starts, counts = np.unique(self.group_phase[order], return_index=True, return_counts=True)
        shape = (len(phases), self.n_units + 1)
        mean, q25, q75 = np.empty(shape), np.empty(shape), np.empty(shape)
        for p, (start, count) in enumerate(zip(starts, counts)):
            rows = order[start: start + count]
            block = np.concatenate([self.keep[rows, layer], self.keep_layer_mean[rows, layer][:, None]], axis=1,
                                   dtype=np.float64)  # (cycles, U + 1)
            mean[p] = block.mean(axis=0)
            q25[p], q75[p] = np.quantile(block, [0.25, 0.75], axis=0)
        return F.phase_fold_frame(layer, phases, mean, q25, q75, counts)

    def season_fold_table(self, *, layer: int | None = None) -> pd.DataFrame:
        """fold.season_fold_table: the keep gate per (phase, cycle) for every unit of one layer or all."""
        blocks = list(self._season_blocks(layer))
        return pd.concat(blocks, ignore_index=True) if blocks else self._season_block(0, 0)

    def write_season_csv(self, path: str | Path, *, layer: int | None = None) -> int:
        """season_fold_table written to a CSV one unit at a time (never the whole table in memory); its rows."""
        rows = 0
        with open(path, "w", newline="") as out:
            for block in self._season_blocks(layer):
                block.to_csv(out, index=False, header=rows == 0)
                rows += len(block)
            if rows == 0:  # no keep gate: the header alone
                self._season_block(0, 0).to_csv(out, index=False)
        return rows

    def _season_blocks(self, layer: int | None):
        if self.keep is None:
            return
        layers = range(self.n_layers) if layer is None else [self._layer(layer)]
        for lay in layers:
            for unit in range(self.n_units):
                yield self._season_block(lay, unit)

    def _season_block(self, layer: int, unit: int) -> pd.DataFrame:
        ids = np.int32
        column = f"{F.keep_gate(self.cell) or 'forget'}_mean"
        values = self.keep[:, layer, unit] if self.keep is not None else np.empty(0, np.float32)
        n = len(values)
        return pd.DataFrame({"layer": np.full(n, layer, ids), "unit": np.full(n, unit, ids),
                             "phase": self.group_phase[:n].astype(ids), "cycle": self.group_cycle[:n].astype(ids),
                             column: values.astype(np.float32)})

    # --- saturation -----------------------------------------------------------------------------

    def saturation(self, *, layer: int | None = None) -> pd.DataFrame:
        """fold.saturation: share of steps each sigmoid gate of each unit spends < 0.1 and > 0.9."""
        if not self.saturated:
            return F.empty_frame(F.SATURATION_COLUMNS)
        layers = np.arange(self.n_layers) if layer is None else np.array([self._layer(layer)])
        fractions = {gate: (low[layers] / self.n_steps, high[layers] / self.n_steps)
                     for gate, (low, high) in self.saturated.items()}
        return F.saturation_frame(layers, fractions)

    # --- over time ------------------------------------------------------------------------------

    def binned(self, *, layer: int, quantities: list[str] | tuple[str, ...], units: list[int] | None = None,
               steps: slice | None = None, max_rows: int = 5000) -> tuple[pd.DataFrame, str]:
        """fold.downsample(trace.to_frame(layer=, quantities=, units=, steps=), max_rows=, time_col="step"):
        time-binned means of some quantities and units of a layer, and the note of the binning.

        steps: a stretch [start, stop) (default: every step); it starts on a fine bin (a multiple of
        `bin_width`) and ends on one or at the last step, so each chart bin is whole fine bins.
        """
        layer = self._layer(layer)
        first, stop = self._stretch(steps)
        n_steps = stop - first
        q_pos = [self._quantity(q) for q in quantities]
        unit_ids = np.arange(self.n_units) if units is None else np.unique(np.asarray(units, dtype=np.int64))
        bad = unit_ids[(unit_ids < 0) | (unit_ids >= self.n_units)]
        if bad.size:
            raise UserError(f"units {bad.tolist()} do not exist; choose from 0..{self.n_units - 1}")
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
        note = F.bin_note(f"{width:,}-step bins", "step", n_steps, len(lines), n_bins, len(frame), dropped)
        return frame, note

    def series_binned(self, *, max_rows: int = 1000) -> pd.DataFrame:
        """The series as fold.downsample(frame[timestamp, value, step], max_rows=, group_cols=[]) gives it."""
        width = self._bin_width(min(self.n_steps, max_rows), self.n_steps)
        _, counts, times, steps = self._coarse(width, 0, self.n_steps, sums=False)
        values = np.add.reduceat(self.series_bin_sum, self._fine_groups(width, 0, self.n_steps)) / counts
        frame = pd.DataFrame({"timestamp": times, "value": values, "step": steps})
        if width == 1:
            frame["step"] = frame["step"].astype(np.int64)
        return frame

    def _stretch(self, steps: slice | None) -> tuple[int, int]:
        """(start, stop) of a stretch of whole fine bins; a ValueError names the allowed starts and ends."""
        start, stop, stride = (steps or slice(None)).indices(self.n_steps)
        if stride != 1 or stop <= start:
            raise ValueError(f"steps must be a non-empty stretch of consecutive steps, got {steps!r}")
        if start % self.bin_width or (stop % self.bin_width and stop != self.n_steps):
            raise ValueError(f"steps {start}..{stop} must start and end on a multiple of {self.bin_width} "
                             f"(the fine bins) or end at the last step ({self.n_steps})")
        return start, stop

    def _bin_width(self, n_bins: int, n_steps: int) -> int:
        """Steps per coarse bin for at most n_bins bins over n_steps: downsample's ceil(n_steps / n_bins),
        in whole fine bins."""
        width = -(-n_steps // max(1, n_bins))
        return -(-width // self.bin_width) * self.bin_width

    def _fine_counts(self) -> np.ndarray:
        n_fine = self.bin_sum.shape[1]
        return np.minimum(self.bin_width, self.n_steps - np.arange(n_fine) * self.bin_width)

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

    # --- one step -------------------------------------------------------------------------------

    def walkthrough(self, step: int, *, layer: int = 0, direction: int = 0) -> dict[str, np.ndarray]:
        """traces.walkthrough at `step`, from the one chunk that holds it traced again."""
        seq, size = self.sequence, self.hidden_size
        layer = self._layer(layer)
        if not 0 <= step < self.n_steps:
            raise ValueError(f"step {step} out of range; choose 0..{self.n_steps - 1}")
        if not 0 <= direction < (2 if self.bidirectional else 1):
            raise ValueError(f"direction {direction} out of range; choose 0..{1 if self.bidirectional else 0}")
        k = seq.chunk_of(step)
        if self._replayed is None or self._replayed[0] != k:
            from ..threads import using_threads

            with using_threads(self.threads):
                self._replayed = (k, replay(seq, k))
        values, start, stop = self._replayed[1], int(seq.starts[k]), int(seq.starts[k + 1])
        units = slice(direction * size, (direction + 1) * size)
        hidden = self.quantities.index("hidden")
        x_t = seq.x[step] if layer == 0 else torch.from_numpy(values[hidden, step - start, layer - 1])
        prev = step - 1 if direction == 0 else step + 1
        entry = seq.entries[k]

        def before(quantity: str) -> torch.Tensor:
            """The state before this step, (H,): in the chunk, at its edge (its entry state), or zero."""
            if quantity not in self.quantities or not 0 <= prev < self.n_steps:
                return torch.zeros(size, dtype=torch.float64)
            if start <= prev < stop:
                return torch.from_numpy(values[self.quantities.index(quantity), prev - start, layer, units])
            held = entry.h if quantity == "hidden" else entry.c
            return held[layer, direction]

        return step_rows(seq.rnn, layer, direction, x_t, before("hidden"), before("cell"))

    # --- checks ---------------------------------------------------------------------------------

    def _quantity(self, quantity: str) -> int:
        if quantity not in self.quantities:
            raise UserError(f"a {self.cell} has no {quantity!r}; choose one of {list(self.quantities)}")
        return self.quantities.index(quantity)

    def _layer(self, layer: int) -> int:
        if not 0 <= layer < self.n_layers:
            raise UserError(f"layer {layer} does not exist; choose one of 0..{self.n_layers - 1}")
        return int(layer)


def look_inside(run: Run, loaded: LoadedSeries, *, chunk: int = CHUNK, threads: int | None = None,
                rnn: nn.Module | None = None, shuffle_seed: int | None = None) -> LookInside:
    """Everything the look-inside views need of `run` over the whole of `loaded`, traced in chunks.

    threads: intra-op threads; None takes the run's setting, else chooses by the rule of threads.py.
    rnn: other recurrent layers to trace on the run's inputs (a reference: references.initial_rnn);
    shuffle_seed: trace the input steps in a random order (the control), each step keeping its phase label.
    """
    from ..pipeline import prepared_for
    from ..seasonality import phase_and_cycle

    prep = prepared_for(run, loaded)
    phase, cycle = phase_and_cycle(prep.index, run.config.period, anchor=run.transform.anchor)
    values = loaded.frame[run.config.value_col].to_numpy(dtype=float)
    series = values[len(values) - prep.n:]  # the original series at the traced steps
    features = prep.features
    if shuffle_seed is not None:
        features = features[np.random.default_rng(shuffle_seed).permutation(len(features))]
    return summarise(rnn if rnn is not None else run.inside_rnn(), torch.from_numpy(features), prep.index, phase,
                     cycle, series=series,
                     chunk=chunk, threads=threads if threads is not None else run.config.threads)


def trace_threads(rnn: nn.Module, override: int | None = None) -> int:
    """Threads for tracing rnn: `override`, else threads.choose_threads of one step's recurrent work.

    A trace runs one sequence (a batch of one), so each step's matmuls are tiny and latency-bound:
    a second thread buys nothing and, with a busy core, costs several times over (measured at 1M
    steps on 2 busy cores: the fused LSTM passes took 33 s on 2 threads against 4.3 s on 1).
    """
    from ..threads import choose_threads

    if override is not None:
        return int(override)
    gates = len(cells.of_module(rnn).gate_rows)
    return choose_threads(rnn.num_layers * (2 if rnn.bidirectional else 1) * gates * rnn.hidden_size ** 2)


def summarise(rnn: nn.Module, x: torch.Tensor, index: pd.Index, phase: np.ndarray, cycle: np.ndarray, *,
              series: np.ndarray | None = None, chunk: int = CHUNK, threads: int | None = None) -> LookInside:
    """The summary of rnn over one sequence x (T, D) from a zero state; phase, cycle (T,) label each step.

    series (T,): the values shown above the states (default: zeros). chunk: most steps traced at once.
    threads: intra-op threads for tracing, now and in `walkthrough` (None: trace_threads chooses).
    """
    from ..threads import using_threads

    bin_width = max(1, math.ceil(len(x) / TIME_BINS))
    steps = steps_per_chunk(rnn, chunk)
    seq = plan(rnn, x, steps // bin_width * bin_width if bin_width <= steps else steps)  # chunks of whole bins
    n_steps = seq.n_steps
    index = pd.Index(index)
    phase, cycle = np.asarray(phase), np.asarray(cycle)
    for name, array in (("index", index), ("phase", phase), ("cycle", cycle)):
        if len(array) != n_steps:
            raise ValueError(f"{name} has {len(array)} entries but x has {n_steps} steps; pass one per step")
    series = np.zeros(n_steps) if series is None else np.asarray(series, dtype=np.float64)
    cell = cells.of_module(rnn)
    acc = RunningStats(cell, rnn, n_steps, phase, cycle, bin_width)
    threads = trace_threads(rnn, threads)
    with using_threads(threads):
        for start, values in sweep(seq):
            acc.add(start, values)
    return LookInside(
        cell=cell.name, quantities=cell.quantities, index=index, hidden_size=rnn.hidden_size,
        bidirectional=bool(rnn.bidirectional), n_layers=rnn.num_layers,
        mean=acc.mean, m2=acc.m2, phases=acc.phases, phase_count=acc.phase_count, phase_sum=acc.phase_sum,
        group_cycle=acc.group_cycle, group_phase=acc.group_phase, keep=acc.keep,
        keep_layer_mean=acc.keep_layer_mean, keep_note=acc.keep_note,
        bin_width=bin_width, bin_sum=acc.bin_sum,
        series_bin_sum=np.add.reduceat(series, np.arange(0, n_steps, bin_width)),
        series_profile=_series_profile(series, phase),
        cycle_starts=pd.Series(index).groupby(cycle, sort=True).min(),
        saturated=acc.saturated, sequence=seq, threads=threads,
    )


def _series_profile(series: np.ndarray, phase: np.ndarray) -> pd.DataFrame:
    from ..seasonality import seasonal_profile

    return seasonal_profile(series, phase)
