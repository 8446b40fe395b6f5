"""The stages joined up: a LoadedSeries and a Config in, a scored Run out. CLI and dashboard call this.

One protocol for every method (DESIGN 14): the network is trained on the training part; each
baseline is fitted once on the same part. Both are then applied, without refitting, at the
validation origins (their residuals calibrate the prediction intervals), at the holdout origin
(scored on the last `horizon` points) and at the series' end (the future).
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime, timezone

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .baselines import fitted_baselines
from .config import Config
from .data.reopen import open_source
from .data.series import LoadedSeries
from .data.source import Source
from .errors import UserError
from .evaluation import intervals as I
from .evaluation import kept
from .evaluation.forecasts import Forecast, Forecaster as MethodForecaster, forecasts
from .evaluation.scoring import Origins, evaluate, holdout_scores
from .network import NetworkForecaster
from .prepare import Prepared, Windows, calibration_origins, future_index, prepare, resolve, train_val_windows
from .runs import Run, data_key, describe, new_run_id  # noqa: F401  (Run: re-exported)

if TYPE_CHECKING:  # torch loads on first use: the dashboard's first page does not need it
    import torch

    from .model import Forecaster
    from .train import FitResult, ProgressCallback



CALIBRATION_ORIGINS = 2000  # the most recent validation origins calibrate the intervals: plenty per step, any length


@dataclass
class SeriesPart:
    """A series prepared for training: resolved config, model space, windows, baselines, origins."""

    loaded: LoadedSeries
    config: Config  # resolved: period, horizon, lookback, val_size set
    period_note: str
    prep: Prepared
    train_w: Windows  # targets masked from train_end
    val_w: Windows  # only the validation part
    origins: Origins
    fitted: dict[str, MethodForecaster]  # baseline name -> fitted baseline (on the training part)
    base_values: dict[str, np.ndarray]  # baseline name -> (N_cal + 2, H) forecasts at origins.all
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def skip(self) -> int:
        return len(self.loaded.frame) - self.prep.n  # 1 when differencing: u[k] is y[k + 1]


def train_run(loaded: LoadedSeries, config: Config, callback: ProgressCallback | None = None,
              device: str | torch.device | None = None, threads: int | None = None,
              load_seconds: float | None = None) -> Run:
    """Resolve the config from the data, prepare, fit baselines and network, forecast, calibrate, score."""
    import torch  # deferred: torch (1 s)

    from .model import choose_device  # deferred: model.py imports torch

    part = series_part(loaded, config, load_seconds)
    dev = device if isinstance(device, torch.device) else choose_device(device or part.config.device)
    network = NetworkForecaster(part.prep, part.config).fit(callback, device=dev, threads=threads,
                                                            split=(part.train_w, part.val_w))
    model, result = network.model_, network.result_
    weight = None
    if part.config.shrink and part.config.target == "residual":  # the correction weighted by what validation trusts
        from .model import scale_correction  # deferred: model.py imports torch
        from .train import correction_weight  # deferred: train.py imports torch

        weight = correction_weight(model, part.val_w, torch.device("cpu"))
        scale_correction(model, weight)
    run = finish_run(part, model, result, str(dev))
    if weight is not None:
        run.metrics["network_weight"] = weight
        if weight == 0:
            run.metrics["network_kept"] = False
    return run


def series_part(loaded: LoadedSeries, config: Config, load_seconds: float | None = None) -> SeriesPart:
    """Everything before the network trains (resolve, prepare, windows, baselines fitted once on the
    training part). UserError when the series cannot be trained with this config. A global model
    (scale/) trains one network between many parts; `finish_run` completes each."""
    start = time.perf_counter()
    timings: dict[str, float] = {} if load_seconds is None else {"load": round(load_seconds, 3)}
    if config.value_col and config.value_col != loaded.value_col:
        loaded = loaded.with_value(config.value_col)
    config, period_note = resolve(config, loaded)
    prep = prepare(loaded, config)
    train_w, val_w = train_val_windows(prep, config)
    origins = Origins(calibration_origins(prep, config)[-CALIBRATION_ORIGINS:], prep.val_end - 1, prep.n - 1)
    timings["prepare"] = _lap(start)
    t0 = time.perf_counter()
    skip = len(loaded.frame) - prep.n
    y = loaded.frame[config.value_col].to_numpy(dtype=float)
    fitted = fitted_baselines(y[: prep.train_end + skip], config.period)
    base_values = forecasts(fitted, y, origins.all + skip, config.horizon)
    timings["baselines"] = _lap(t0)
    return SeriesPart(loaded, config, period_note, prep, train_w, val_w, origins, fitted, base_values, timings)


def finish_run(part: SeriesPart, model: Forecaster, result: FitResult, device: str,
               extra_info: dict | None = None) -> Run:
    """Everything after the network trains: forecasts at every origin, intervals and scores, as a Run.

    model: a trained `Forecaster` for this series (on the CPU); result: its `train.FitResult`.
    """
    import torch  # deferred: torch (1 s), for its version in the record

    start = time.perf_counter()
    config, prep, loaded = part.config, part.prep, part.loaded
    if hasattr(model, "members") and len(model.members) < config.ensemble:  # stopped before every member trained
        config = Config.from_dict({**config.to_dict(), "ensemble": len(model.members)})
    y = loaded.frame[config.value_col].to_numpy(dtype=float)
    network = NetworkForecaster.trained(prep, config, model)
    values = {"model": network.forecast_from(y, part.origins.all + part.skip, config.horizon), **part.base_values}
    cross = None
    if result.cross_states is not None and config.calibration == "cross" and not config.shrink:
        cross = {"model": network.cross_calibration(y, part.origins.calibration + part.skip, result.cross_states)}
    forecast, baselines, metrics = evaluate(loaded, prep, config, part.origins, values, calibration_rows=cross)
    metrics.update(kept.record(result.best_epochs or [result.best_epoch], result.base_val_loss,
                               result.best_val_loss, config.target, prep.transform.base))
    timings = {**part.timings, "train": round(result.seconds, 3), "forecast": _lap(start)}
    timings["total"] = round(sum(v for k, v in timings.items() if k != "load"), 3)  # save_run adds "write"
    created = datetime.now(timezone.utc)
    info = {
        "run_id": new_run_id(config.cell, loaded.source or config.value_col, created),
        "label": describe(config),
        "created": created.isoformat(timespec="seconds"),
        "source": loaded.source,
        # where the data came from (data/source.py), so any run reopens it: CLI, dashboard, panels, sweeps
        "origin": loaded.origin.with_value(config.value_col or loaded.value_col).to_dict() if loaded.origin else None,
        "data_key": data_key(loaded),
        "freq": loaded.freq,
        "value_col": config.value_col,
        "period_note": part.period_note,
        "data_report": list(loaded.report),
        "n_points": int(len(loaded.frame)),
        "n_train_windows": int(len(part.train_w)),
        "n_val_windows": int(len(part.val_w)),
        "device": str(device),
        "threads": result.threads,
        "best_epoch": result.best_epoch,
        "best_epochs": result.best_epochs,
        "epochs_run": int(len(result.history)),
        "stopped": result.stopped,
        "train_seconds": round(result.seconds, 3),
        "timings": timings,
        "baseline_notes": {"ets": getattr(part.fitted["ets"], "description", "")},
        "torch": torch.__version__,
        **(extra_info or {}),
    }
    if result.trained_rnn is not None:
        info["inside_epoch"] = result.trained_epoch
    return Run(config, prep.transform, prep.feature_names, model, result.history, forecast, baselines, metrics, info,
               inside_state=result.trained_rnn)


def prepared_for(run: Run, loaded: LoadedSeries) -> Prepared:
    """The run's own input features for `loaded`, with the run's fitted transform (nothing refitted)."""
    column = run.config.value_col
    if column not in loaded.frame.columns:
        raise UserError(f"the run was trained on column {column!r}, which this data lacks (it has "
                        f"{list(loaded.frame.columns)}); choose data with that column")
    return prepare(loaded.with_value(column), run.config, transform=run.transform)


def apply_run(run: Run, loaded: LoadedSeries) -> tuple[pd.DataFrame, dict]:
    """A saved run on new data: forecast its last `horizon` points (scored) and the future after it.

    The frame has timestamp, actual, forecast and the run's calibrated interval columns.
    """
    config = run.config
    prep = prepared_for(run, loaded)
    loaded = loaded.with_value(config.value_col)
    H, L = config.horizon, config.lookback
    first = max(L, config.period) - 1
    if prep.n - 1 - H < first:
        raise UserError(f"the new data has {prep.n} points; this run needs at least {first + H + 2} (lookback {L}, horizon {H})")
    y = loaded.frame[config.value_col].to_numpy(dtype=float)
    skip = len(y) - prep.n
    values = NetworkForecaster.trained(prep, config, run.model).forecast_from(y, np.array([prep.n - 1 - H, prep.n - 1]) + skip, H)
    if not np.all(np.isfinite(values)):
        raise UserError("the model's forecast is not finite on this data (NaN or inf); check the data's scale "
                        "against the training data, or retrain")
    seen = loaded.observed_mask(config.value_col)
    observed = seen[-H:]
    stamps = prep.index[-H:].append(future_index(prep.index, H, loaded.freq))
    forecast = Forecast.calibrated(values, I.calibration_from(run.metrics.get("intervals")))  # (2, H): holdout, future
    frame = pd.DataFrame({"timestamp": stamps, "actual": np.concatenate([np.where(observed, y[-H:], np.nan), np.full(H, np.nan)]),
                          **forecast.columns()})
    return frame, holdout_scores(y, seen, forecast, config.period)


def training_data(run: Run) -> LoadedSeries:
    """The series a run was trained on, reopened from its origin record (`info["origin"]`, a
    data.source.Source): a sample by name, a CSV only while the file still has the recorded SHA-256
    (a run folder from elsewhere cannot make us read an arbitrary file), a ticker by its request.
    UserError saying what is gone or changed, and that --csv gives the data by hand."""
    origin = dict(run.info.get("origin") or {})
    source = str(run.info.get("source", ""))
    if not origin and source.startswith("sample:"):  # a dashboard run of an older version: its sample by name
        origin = {"sample": source.split(":", 1)[1]}
    if origin and not origin.get("value_col"):  # records of older versions: the column trained on is the config's
        origin["value_col"] = run.config.value_col
    if not origin:
        raise UserError(f"the run's training data ({run.info.get('source', '?')!r}) was not recorded with it "
                        "(a run of an older version); pass it with --csv")
    return open_source(Source.from_dict(origin, "the run's origin record"))


def _lap(since: float) -> float:
    return round(time.perf_counter() - since, 3)
