"""Batched rolling-origin backtest: one trained model forecasts from many origins in one pass.

The model (and every baseline) is fitted on the data up to the first origin only, then applied at
each origin without refitting: each forecast reads only the data up to its origin. With
`refit_every=K`, a new model is trained at every K-th origin, on the data up to it. Errors are kept
per origin and per horizon step for the model and every baseline.

What "fitted on the data up to the origin" means: training the run splits that data as usual, so
the network and every fitted baseline (the Holt-Winters reference `ets` included: its smoothing
parameters are estimated once) are fitted on the training part, which ends `val_size + horizon`
points before the first origin of each block (the validation part stops training, the last
`horizon` points are the run's own holdout). From then on every method forecasts from the data
up to each origin with those fitted parameters (the baselines' states do run up to the origin).
Nothing is refitted per origin unless `refit_every` asks; then the block's model and baselines
are refitted together.

Everything (origins, forecasts, actuals, MASE scales) is computed on one frame: the data with
`config.value_col` as the target, trimmed to that column's real values.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .baselines import fitted_baselines
from .data.series import LoadedSeries
from .errors import UserError
from .evaluation import intervals as I
from .evaluation import metrics as M
from .evaluation.forecasts import Forecast, forecasts
from .evaluation.rolling import ERROR_COLUMNS, origin_errors, summarise
from .network import NetworkForecaster
from .pipeline import train_run
from .prepare import prepare, resolve

if TYPE_CHECKING:
    from .config import Config
    from .runs import Run
    from .train import ProgressCallback

__all__ = ["Backtest", "backtest", "forecast_origins", "ERROR_COLUMNS"]

@dataclass
class Backtest:
    errors: pd.DataFrame  # one row per origin, method and horizon step (observed targets only): ERROR_COLUMNS
    summary: pd.DataFrame  # per method: mae, rmse, smape, mase (mean over origins), coverage_80/95, origins
    by_step: pd.DataFrame  # per method and step: mae, mase
    seconds: dict  # train, forecast
    scale_note: str = ""  # the last origin's MASE scale (metrics.MaseScale.note), filled-in points left out
    network: dict = field(default_factory=dict)  # the (last) trained run's network_kept, network_val_gain, network_base


def backtest(loaded: LoadedSeries, config: Config, *, origins: int = 20, step: int = 1, refit_every: int | None = None,
             callback: ProgressCallback | None = None, threads: int | None = None) -> Backtest:
    """Rolling-origin evaluation ending at the series' last point.

    Origins are `step` apart; the last one forecasts the final `horizon` points. The horizon (and
    period, when not given) is resolved once on the data before the first origin.
    """
    if origins < 1 or step < 1 or (refit_every is not None and refit_every < 1):
        raise UserError(f"origins ({origins}), step ({step}) and refit-every ({refit_every}) must be >= 1")
    if config.value_col and config.value_col != loaded.value_col:
        loaded = loaded.with_value(config.value_col)  # one frame for origins, forecasts and scales
    n = len(loaded.frame)
    horizon = config.horizon or resolve(config, loaded)[0].horizon
    positions = n - 1 - horizon - step * np.arange(origins - 1, -1, -1)  # (N,) y positions, oldest first
    if positions[0] < 16:
        raise UserError(f"{origins} origins {step} apart with horizon {horizon} start at point {positions[0]} of {n}; "
                        "ask for fewer origins, a smaller step or horizon, or use a longer series")
    config = replace(config, horizon=horizon)
    refit_every = refit_every or origins
    parts, t_train, t_forecast = [], 0.0, 0.0
    for first in range(0, origins, refit_every):
        chunk = positions[first: first + refit_every]
        cut = int(chunk[0]) + 1
        part = loaded.head(cut)
        t0 = time.perf_counter()
        run = train_run(part, config, callback, threads=threads)
        t_train += time.perf_counter() - t0
        t0 = time.perf_counter()
        parts.append(forecast_origins(run, loaded, chunk, first))
        t_forecast += time.perf_counter() - t0
    errors = pd.concat(parts, ignore_index=True)
    summary, by_step = summarise(errors, loaded, run.config.period, positions)
    last = M.mase_scale(loaded.series.to_numpy(dtype=float)[: positions[-1] + 1], run.config.period,
                        loaded.observed_mask()[: positions[-1] + 1])
    return Backtest(errors, summary, by_step, {"train": round(t_train, 3), "forecast": round(t_forecast, 3)},
                    f"each origin's MASE scale is its own history's; the last origin's: {last.note}",
                    {k: run.metrics.get(k) for k in ("network_kept", "network_val_gain", "network_base")})


def forecast_origins(run: Run, loaded: LoadedSeries, positions: np.ndarray, first_index: int = 0) -> pd.DataFrame:
    """Per-step errors of `run`'s network and baselines forecasting from every origin in `positions`
    (positions in `loaded`, whose target must be the run's `value_col`), in one batched pass each,
    without refitting anything: one loop over forecasters on the same contract."""
    config = run.config
    H, P = config.horizon, config.period
    if config.value_col != loaded.value_col:
        data = loaded.with_value(config.value_col)
        if len(data.frame) != len(loaded.frame):  # positions would point at other time stamps
            raise ValueError(f"positions are in a frame targeting {loaded.value_col!r}; pass the data with "
                             f"{config.value_col!r} as its target (LoadedSeries.with_value)")
    else:
        data = loaded
    prep = prepare(data, config, transform=run.transform)
    skip = len(data.frame) - prep.n
    y = data.frame[config.value_col].to_numpy(dtype=float)
    fitted = fitted_baselines(y[: _train_end(run) + skip], P)  # the run's own (cached) baselines
    methods = {config.cell: NetworkForecaster.trained(prep, config, run.model), **fitted}
    stored = run.metrics.get("intervals") or {}
    calibrations = {name: I.calibration_from(stored if name == config.cell else stored.get("baselines", {}).get(name))
                    for name in methods}
    points = forecasts(methods, y, np.asarray(positions, dtype=int), H)
    return origin_errors(data, positions, {name: Forecast.calibrated(v, calibrations[name]) for name, v in points.items()},
                         first_index)


def _train_end(run: Run) -> int:
    """Where the run's training part ends, in positions of its model space."""
    n = int(run.info.get("n_points", 0))
    skip = 1 if run.transform.difference else 0
    return n - skip - run.config.horizon - run.config.val_size
