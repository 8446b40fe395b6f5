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

running.RunningStats folds the chunks in; the summary's parts give the views' frames:
`units` (unit_stats.py: rankings, seasonality scores, saturation), `season` (season.py: the keep
gate by cycle and phase), `bins` (time_bins.py: the charts over time) and `one_step` (stream.py:
the walkthrough). On series of at most TIME_BINS steps these are the statistics of the full trace
itself (tests/inspect/fold_reference.py computes them so); longer series get the same
statistics, binned in multiples of the fine bins.
"""
from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import torch

from .. import cells
from ..threads import choose_threads, using_threads
from .running import RunningStats
from .season import SeasonFold
from .stream import CHUNK, StepReplay, plan, steps_per_chunk, sweep
from .time_bins import TimeBins
from .unit_stats import UnitStats
from .views import Shape

if TYPE_CHECKING:
    from torch import nn

    from ..data.series import LoadedSeries
    from ..pipeline import Run

TIME_BINS = 8_192  # fine time bins: series up to this many steps keep every step


@dataclass
class LookInside:
    """Summary of every quantity of a traced series, in independent parts, one per kind of view."""

    shape: Shape
    index: pd.Index  # (T,) timestamps or steps
    series_profile: pd.DataFrame  # the series per phase: phase, mean, q25, q75
    units: UnitStats  # rankings, seasonality scores, saturation
    season: SeasonFold  # the keep gate by (cycle, phase)
    bins: TimeBins  # the charts over time
    one_step: StepReplay | None = None  # the walkthrough; None for a summary of values without their network

    @property
    def cell(self) -> str:
        return self.shape.cell

    @property
    def quantities(self) -> tuple[str, ...]:
        return self.shape.quantities

    @property
    def n_steps(self) -> int:
        return self.shape.n_steps

    @property
    def n_layers(self) -> int:
        return self.shape.n_layers

    @property
    def n_units(self) -> int:
        return self.shape.n_units

    @property
    def state_quantity(self) -> str:
        """The memory the Cell state view shows: the cell state, or the hidden state of a cell without one."""
        return self.shape.state_quantity


def look_inside(run: Run, loaded: LoadedSeries, *, chunk: int = CHUNK, threads: int | None = None,
                rnn: nn.Module | None = None, shuffle_seed: int | None = None) -> LookInside:
    """Everything the look-inside views need of `run` over the whole of `loaded`, traced in chunks.

    threads: intra-op threads; None takes the run's setting, else chooses by the rule of threads.py.
    rnn: other recurrent layers to trace on the run's inputs (a reference: references.initial_rnn);
    shuffle_seed: trace the input steps in a random order (the control), each step keeping its phase label.
    """
    from ..pipeline import prepared_for  # deferred: pipeline.py imports statsmodels
    from ..seasonality import phase_and_cycle  # deferred: seasonality.py imports statsmodels

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
    if override is not None:
        return int(override)
    gates = len(cells.of_module(rnn).gate_rows)
    return choose_threads(rnn.num_layers * (2 if rnn.bidirectional else 1) * gates * rnn.hidden_size ** 2)


def fine_bin_width(n_steps: int) -> int:
    """Steps per fine time bin: 1 up to TIME_BINS steps, else as few as keep at most TIME_BINS bins."""
    return max(1, math.ceil(n_steps / TIME_BINS))


def summarise(rnn: nn.Module, x: torch.Tensor, index: pd.Index, phase: np.ndarray, cycle: np.ndarray, *,
              series: np.ndarray | None = None, chunk: int = CHUNK, threads: int | None = None) -> LookInside:
    """The summary of rnn over one sequence x (T, D) from a zero state; phase, cycle (T,) label each step.

    series (T,): the values shown above the states (default: zeros). chunk: most steps traced at once.
    threads: intra-op threads for tracing, now and in `one_step` (None: trace_threads chooses).
    """
    bin_width = fine_bin_width(len(x))
    steps = steps_per_chunk(rnn, chunk)
    seq = plan(rnn, x, steps // bin_width * bin_width if bin_width <= steps else steps)  # chunks of whole bins
    for name, array in (("index", index), ("phase", phase), ("cycle", cycle)):
        if len(array) != seq.n_steps:
            raise ValueError(f"{name} has {len(array)} entries but x has {seq.n_steps} steps; pass one per step")
    threads = trace_threads(rnn, threads)
    with using_threads(threads):
        summary = summarise_chunks(sweep(seq), cells.of_module(rnn), index, phase, cycle, n_layers=rnn.num_layers,
                                   n_units=rnn.hidden_size * (2 if rnn.bidirectional else 1), series=series)
    summary.one_step = StepReplay(summary.shape, seq, threads)
    return summary


def summarise_chunks(chunks: Iterable[tuple[int, np.ndarray]], cell: cells.Cell, index: pd.Index,
                     phase: np.ndarray, cycle: np.ndarray, *, n_layers: int, n_units: int,
                     series: np.ndarray | None = None) -> LookInside:
    """The summary of a trace given as its chunks (start, values (Q, n, L, U) float32) in time order,
    which together cover the steps of index, phase and cycle (T,) once; without `one_step`.

    Chunks that start on a multiple of fine_bin_width(T) fold in fastest.
    """
    index, phase, cycle = pd.Index(index), np.asarray(phase), np.asarray(cycle)
    n_steps, bin_width = len(index), fine_bin_width(len(index))
    for name, array in (("phase", phase), ("cycle", cycle)):
        if len(array) != n_steps:
            raise ValueError(f"{name} has {len(array)} entries but the index has {n_steps} steps; pass one per step")
    series = np.zeros(n_steps) if series is None else np.asarray(series, dtype=np.float64)
    acc = RunningStats(cell, n_layers, n_units, n_steps, phase, cycle, bin_width)
    for start, values in chunks:
        acc.add(start, values)
    if acc.seen != n_steps:
        raise ValueError(f"the chunks cover {acc.seen} steps but the index has {n_steps}; pass each step once")
    shape = Shape(cell.name, cell.quantities, n_steps, n_layers, n_units)
    return LookInside(
        shape=shape, index=index, series_profile=_series_profile(series, phase),
        units=UnitStats(shape, mean=acc.mean, m2=acc.m2, phases=acc.phases, phase_count=acc.phase_count,
                        phase_sum=acc.phase_sum, saturated=acc.saturated),
        season=SeasonFold(shape, group_cycle=acc.group_cycle, group_phase=acc.group_phase, keep=acc.keep,
                          keep_layer_mean=acc.keep_layer_mean, keep_note=acc.keep_note,
                          cycle_starts=pd.Series(index).groupby(cycle, sort=True).min()),
        bins=TimeBins(shape, index=index, bin_width=bin_width, bin_sum=acc.bin_sum,
                      series_bin_sum=np.add.reduceat(series, np.arange(0, n_steps, bin_width))),
    )


def _series_profile(series: np.ndarray, phase: np.ndarray) -> pd.DataFrame:
    from ..seasonality import seasonal_profile  # deferred: seasonality.py imports statsmodels

    return seasonal_profile(series, phase)
