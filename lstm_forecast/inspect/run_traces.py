"""Traces of a trained run: its network's gates and states over a series, and their seasonal fold.

Two views of the same weights:
- `trace_series`: the whole series as ONE sequence from a zero state. This is what the seasonal
  fold needs (many cycles in one pass). The forecasts never run this long: each forecast reads
  one `lookback` window, also from a zero state, so early steps of a window behave like the start
  of the series and later steps see at most `lookback` steps of context.
- `trace_window`: exactly what the network saw for one forecast (the window ending at `origin`).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from ..data.series import LoadedSeries
from ..errors import UserError
from ..pipeline import Run
from ..prepare import Prepared, prepare
from ..seasonality import phase_and_cycle
from .traces import Trace, compute_trace


def prepared_for(run: Run, loaded: LoadedSeries) -> Prepared:
    """The run's own input features for `loaded`, with the run's fitted transform (nothing refitted)."""
    column = run.config.value_col
    if column not in loaded.frame.columns:
        raise UserError(f"the run was trained on column {column!r}, which this data lacks; "
                        f"choose data with that column (it has {list(loaded.frame.columns)})")
    return prepare(loaded.with_value(column), run.config, transform=run.transform)


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


DRIVERS_MAX_STEPS = 200_000  # drivers need every state of every step at once (a full trace, float64 parts)


def run_drivers(run: Run, loaded: LoadedSeries, *, layer: int = 0):
    """drivers.gate_drivers of the run's network (Run.inside_rnn) over the whole series."""
    from .drivers import gate_drivers

    prep = prepared_for(run, loaded)
    if prep.n > DRIVERS_MAX_STEPS:
        raise UserError(f"the drivers of a gate are computed over the whole series at once, up to "
                        f"{DRIVERS_MAX_STEPS:,} steps; this one has {prep.n:,}: pass a shorter stretch of the data "
                        "(a CSV of its latest part)")
    x = torch.from_numpy(prep.features)
    rnn = run.inside_rnn()
    return gate_drivers(rnn, x, compute_trace(rnn, x, prep.index), layer=layer, feature_names=run.feature_names)


def phases(run: Run, trace: Trace) -> tuple[np.ndarray, np.ndarray]:
    """Phase in the season and cycle number of every traced step."""
    return phase_and_cycle(trace.index, run.config.period, anchor=run.transform.anchor)


def inspect_to_csv(args) -> Path:
    """The CLI's `inspect`: tidy traces, or with --season the fold of the keep gate by phase and cycle
    (streamed, so any length fits; see summary.py for how that table is stored)."""
    from ..cli import _load
    from ..runs import load_run

    run = load_run(args.run)
    if args.layer is not None and not 0 <= args.layer < run.config.layers:
        raise UserError(f"--layer {args.layer} does not exist: this run has layers 0..{run.config.layers - 1}")
    if args.season and run.config.cell == "rnn":
        raise UserError("a vanilla RNN has no gates to fold by season; inspect without --season to get its hidden state")
    if args.csv or args.ticker or args.sample:
        loaded = _load(args, args.history)
    else:
        loaded = _run_series(run)
    out = Path(args.out)
    if args.unit is not None and not args.drivers:
        raise UserError("--unit goes with --drivers; leave it out, or add --drivers")
    if args.drivers:
        found = run_drivers(run, loaded, layer=args.layer or 0)
        units = found.parts[next(iter(found.parts))].shape[2]
        if args.unit is not None and not 0 <= args.unit < units:
            raise UserError(f"--unit {args.unit} does not exist: this layer has units 0..{units - 1}")
        table = found.to_frame(unit=args.unit)
        table.to_csv(out, index=False)
        n_rows = len(table)
    elif args.season:  # streamed: the series is traced in chunks and the table written a unit at a time
        from .summary import look_inside

        n_rows = look_inside(run, loaded).write_season_csv(out, layer=args.layer)
    else:
        table = trace_series(run, loaded).to_frame(layer=args.layer)
        table.to_csv(out, index=False)
        n_rows = len(table)
    print(f"wrote {n_rows:,} rows to {out}")
    return out


def _run_series(run: Run) -> LoadedSeries:
    """The series a run was trained on, reloaded only when it is unchanged (see `pipeline.training_data`)."""
    from ..pipeline import training_data

    return training_data(run)
