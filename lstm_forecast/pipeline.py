"""The stages joined up: a LoadedSeries and a Config in, a scored Run out. CLI and dashboard call this."""
from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from . import metrics as M
from .baselines import BASELINES
from .config import Config
from .data.series import LoadedSeries
from .errors import UserError
from .prepare import Prepared, Transform, future_index, prepare, resolve, split_origins, to_values, windows

if TYPE_CHECKING:  # torch loads on first use: the dashboard's first page does not need it
    import torch

    from .model import Forecaster
    from .train import ProgressCallback


@dataclass
class Run:
    """A trained model with everything needed to explain, re-apply and compare it."""

    config: Config  # resolved: period, horizon, lookback and val_size are set
    transform: Transform
    feature_names: list[str]
    model: Forecaster
    history: pd.DataFrame  # epoch, train_loss, val_loss, lr, seconds
    forecast: pd.DataFrame  # timestamp, actual, forecast: the holdout, then the future (actual NaN)
    baselines: pd.DataFrame  # timestamp, naive, seasonal_naive, drift, ets over the same rows
    metrics: dict  # {"model": {...}, "baselines": {...}, "period": P, "horizon": H}
    info: dict = field(default_factory=dict)  # run_id, created, source, freq, notes, timings...
    path: Path | None = None

    @property
    def run_id(self) -> str:
        return self.info.get("run_id", "")

    @property
    def label(self) -> str:
        return self.info.get("label", self.run_id)


def train_run(loaded: LoadedSeries, config: Config, callback: ProgressCallback | None = None,
              device: str | torch.device | None = None) -> Run:
    """Resolve the config from the data, prepare, train, forecast the holdout and the future, score."""
    import torch

    from .model import Forecaster, choose_device
    from .train import fit

    start = time.perf_counter()
    if config.value_col and config.value_col != loaded.value_col:
        loaded = loaded.with_value(config.value_col)
    config, period_note = resolve(config, loaded)
    prep = prepare(loaded, config)
    train_origins, val_origins = split_origins(prep, config)
    train_w, val_w = windows(prep, train_origins, config), windows(prep, val_origins, config)
    dev = device if isinstance(device, torch.device) else choose_device(device or config.device)
    torch.manual_seed(config.seed)
    model = Forecaster(len(prep.feature_names), config)
    result = fit(model, train_w, val_w, config, dev, callback)
    model.cpu()
    forecast, baselines = _forecast_frames(model, prep, loaded, config)
    scores = _score(forecast, baselines, loaded, config)
    created = datetime.now(timezone.utc)
    info = {
        "run_id": f"{created:%Y%m%d-%H%M%S}-{config.cell}-{_slug(loaded.source or config.value_col)}-s{config.seed}",
        "label": f"{config.cell.upper()} h{config.hidden}x{config.layers} seed {config.seed}",
        "created": created.isoformat(timespec="seconds"),
        "source": loaded.source,
        "data_key": data_key(loaded),
        "freq": loaded.freq,
        "value_col": config.value_col,
        "period_note": period_note,
        "data_report": list(loaded.report),
        "n_points": int(len(loaded.frame)),
        "n_train_windows": int(len(train_origins)),
        "n_val_windows": int(len(val_origins)),
        "device": str(dev),
        "best_epoch": result.best_epoch,
        "epochs_run": int(len(result.history)),
        "stopped": result.stopped,
        "train_seconds": round(result.seconds, 3),
        "total_seconds": round(time.perf_counter() - start, 3),
        "torch": torch.__version__,
    }
    return Run(config, prep.transform, prep.feature_names, model, result.history, forecast, baselines, scores, info)


def _forecast_frames(model: Forecaster, prep: Prepared, loaded: LoadedSeries, config: Config
                     ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Model and baseline forecasts over the holdout (origin = last step before it) and the future."""
    import torch

    from .train import predict

    H = config.horizon
    origins = np.array([prep.val_end - 1, prep.n - 1])
    w = windows(prep, origins, config)
    values = to_values(prep, origins, w.base, predict(model, w.X, torch.device("cpu")))  # (2, H)
    y = loaded.frame[config.value_col].to_numpy(dtype=float)
    stamps = prep.index[prep.val_end:].append(future_index(prep.index, H, loaded.freq))
    forecast = pd.DataFrame({
        "timestamp": stamps,
        "actual": np.concatenate([y[-H:], np.full(H, np.nan)]),
        "forecast": values.reshape(-1),
    })
    base = {name: np.concatenate([fn(y[:-H], H, config.period), fn(y, H, config.period)])
            for name, fn in BASELINES.items()}
    return forecast, pd.DataFrame({"timestamp": stamps, **base})


def _score(forecast: pd.DataFrame, baselines: pd.DataFrame, loaded: LoadedSeries, config: Config) -> dict:
    H, P = config.horizon, config.period
    y = loaded.frame[config.value_col].to_numpy(dtype=float)
    actual, insample = y[-H:], y[:-H]
    return {
        "model": M.score(actual, forecast["forecast"].to_numpy()[:H], insample, P),
        "baselines": {name: M.score(actual, baselines[name].to_numpy()[:H], insample, P) for name in BASELINES},
        "period": P,
        "horizon": H,
    }


def apply_run(run: Run, loaded: LoadedSeries) -> tuple[pd.DataFrame, dict | None]:
    """A saved run on new data: forecast its last `horizon` points (scored) and the future after it."""
    import torch

    from .train import predict

    config = run.config
    if config.value_col not in loaded.frame.columns:
        raise UserError(
            f"the run was trained on column {config.value_col!r}, which this data lacks; "
            f"pass --value-col with one of {list(loaded.frame.columns)}"
        )
    loaded = loaded.with_value(config.value_col)
    prep = prepare(loaded, config, transform=run.transform)
    H, L = config.horizon, config.lookback
    first = max(L, config.period) - 1
    if prep.n - 1 - H < first:
        raise UserError(f"the new data has {prep.n} points; this run needs at least {first + H + 2} (lookback {L}, horizon {H})")
    origins = np.array([prep.n - 1 - H, prep.n - 1])
    w = windows(prep, origins, config)
    values = to_values(prep, origins, w.base, predict(run.model, w.X, torch.device("cpu")))
    y = loaded.frame[config.value_col].to_numpy(dtype=float)
    stamps = prep.index[-H:].append(future_index(prep.index, H, loaded.freq))
    frame = pd.DataFrame({"timestamp": stamps, "actual": np.concatenate([y[-H:], np.full(H, np.nan)]),
                          "forecast": values.reshape(-1)})
    scores = M.score(y[-H:], values[0], y[:-H], config.period)
    return frame, scores


def backtest(loaded: LoadedSeries, config: Config, *, origins: int = 3, step: int | None = None,
             callback: ProgressCallback | None = None) -> pd.DataFrame:
    """Rolling-origin evaluation: retrain at each origin on the past only, score the next horizon.

    The last origin is the usual holdout; earlier ones move back `step` steps each (default: the
    horizon). Returns one row per origin and method: origin, cutoff, method, mae, rmse, smape, mase.
    """
    horizon = config.horizon or resolve(config, loaded)[0].horizon  # one horizon, so origins compare
    step = step or horizon
    rows = []
    for k in range(origins - 1, -1, -1):
        cut = len(loaded.frame) - k * step
        part = LoadedSeries(loaded.frame.iloc[:cut], loaded.value_col, loaded.date_col, loaded.freq, loaded.source)
        run = train_run(part, replace(config, horizon=horizon), callback)  # period etc. resolved on the past only
        cutoff = part.frame.index[-horizon - 1]
        resolved = run.config
        for method, scores in [(resolved.cell, run.metrics["model"]), *run.metrics["baselines"].items()]:
            rows.append({"origin": origins - 1 - k, "cutoff": cutoff, "method": method, **scores})
    return pd.DataFrame(rows)


def data_key(loaded: LoadedSeries) -> str:
    """A short fingerprint of the data (every column, the target's name, time stamps): runs on the same data share it."""
    import hashlib

    cached = loaded.__dict__.get("_data_key")  # a loaded series never changes: hash it once
    if cached is not None:
        return cached
    h = hashlib.sha1()
    h.update(str(loaded.value_col).encode())
    h.update(str(list(loaded.frame.columns)).encode())
    h.update(np.ascontiguousarray(loaded.frame.to_numpy(dtype=float)).tobytes())  # covariates count too
    h.update(np.asarray(loaded.frame.index.astype(str)).astype(str).tobytes() if len(loaded.frame) < 200_000 else b"")
    loaded.__dict__["_data_key"] = h.hexdigest()[:12]
    return loaded.__dict__["_data_key"]


def _slug(text: str) -> str:
    keep = "".join(ch if ch.isalnum() else "-" for ch in str(text).lower())
    return "-".join(filter(None, keep.split("-")))[:40] or "series"
