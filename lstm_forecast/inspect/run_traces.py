"""Traces of a trained run: its network's gates and states over a series, and their seasonal fold.

Two views of the same weights:
- `trace_series`: the whole series as ONE sequence from a zero state. This is what the seasonal
  fold needs (many cycles in one pass). The forecasts never run this long: each forecast reads
  one `lookback` window, also from a zero state, so early steps of a window behave like the start
  of the series and later steps see at most `lookback` steps of context.
- `trace_window`: exactly what the network saw for one forecast (the window ending at `origin`).
"""
from __future__ import annotations

import numpy as np
import torch

from ..data.series import LoadedSeries
from ..errors import UserError
from ..pipeline import Run, prepared_for
from ..seasonality import phase_and_cycle
from .drivers import gate_drivers
from .memory import kept_share, memory_table
from .traces import Trace, compute_trace


def trace_series(run: Run, loaded: LoadedSeries) -> Trace:
    """Every gate and state of every layer and unit over the whole series (one pass, zero state)."""
    prep = prepared_for(run, loaded)
    x = torch.from_numpy(prep.features)  # (T, F)
    return compute_trace(run.inside_rnn(), x, prep.index)


def trace_window(run: Run, loaded: LoadedSeries, origin: int | None = None) -> Trace:
    """The trace of the single window a forecast from `origin` reads (default: the last window)."""
    prep = prepared_for(run, loaded)
    L = run.config.lookback
    origin = prep.n - 1 if origin is None else origin
    if not L - 1 <= origin < prep.n:
        raise UserError(f"origin {origin} must lie in [{L - 1}, {prep.n - 1}] for lookback {L}")
    x = torch.from_numpy(prep.features[origin - L + 1: origin + 1])  # (L, F)
    return compute_trace(run.inside_rnn(), x, prep.index[origin - L + 1: origin + 1])


DRIVERS_MAX_STEPS = 200_000  # drivers and half-lives need every state of every step at once (a full trace)


def whole_trace(run: Run, loaded: LoadedSeries, what: str) -> tuple[torch.Tensor, Trace]:
    """The run's inputs (T, F) and the full trace of Run.inside_rnn over them, for measures that need every
    step at once; `what` names the measure in the error for a series past DRIVERS_MAX_STEPS."""
    prep = prepared_for(run, loaded)
    if prep.n > DRIVERS_MAX_STEPS:
        raise UserError(f"{what} computed over the whole series at once, up to {DRIVERS_MAX_STEPS:,} steps; this "
                        f"one has {prep.n:,}: pass a shorter stretch of the data (a CSV of its latest part)")
    x = torch.from_numpy(prep.features)
    return x, compute_trace(run.inside_rnn(), x, prep.index)


def run_drivers(run: Run, loaded: LoadedSeries, *, layer: int = 0):
    """drivers.gate_drivers of the run's network (Run.inside_rnn) over the whole series."""
    x, trace = whole_trace(run, loaded, "the drivers of a gate are")
    return gate_drivers(run.inside_rnn(), x, trace, layer=layer, feature_names=run.feature_names)


def run_memory(run: Run, loaded: LoadedSeries, *, layer: int | None = None, by_phase: bool = False):
    """memory.memory_table of the run's network over the whole series (per phase too when `by_phase`)."""
    _, trace = whole_trace(run, loaded, "half-lives are")
    kept_share(trace, 0)  # a cell without a keep gate: say so before anything else
    if by_phase and run.config.period <= 1:
        raise UserError("this run has no season (period 1), so there is no phase to split the half-life by; "
                        "leave out --season")
    return memory_table(trace, layer=layer, phase=phases(run, trace)[0] if by_phase else None)


def phases(run: Run, trace: Trace) -> tuple[np.ndarray, np.ndarray]:
    """Phase in the season and cycle number of every traced step."""
    return phase_and_cycle(trace.index, run.config.period, anchor=run.transform.anchor)
