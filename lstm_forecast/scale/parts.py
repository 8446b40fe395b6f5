"""One series' stages around a network, as `pipeline.train_run` runs them, in two halves.

`series_part` does everything before the network is trained (resolve, prepare, windows, baselines
fitted once on the training part); `finish_run` everything after (forecast at the calibration,
holdout and future origins, `pipeline.evaluate`, the run's info). A global model trains one network
between many parts; a sweep trial scores its network on the part's validation origins with
`validation_mase`. Same halves, same numbers as `train_run`: tests/scale/test_parts.py checks it.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime, timezone

import numpy as np

from ..config import Config
from ..data.series import LoadedSeries
from ..evaluation import metrics as M
from ..evaluation.baselines import fitted_baselines
from ..pipeline import CALIBRATION_ORIGINS, Origins, _observed, evaluate
from ..prepare import Prepared, prepare, resolve, split_origins, train_val_windows, windows
from ..runs import Run, data_key, describe, new_run_id


@dataclass
class SeriesPart:
    """A series prepared for training: resolved config, model space, windows, baselines, origins."""

    loaded: LoadedSeries
    config: Config  # resolved: period, horizon, lookback, val_size set
    period_note: str
    prep: Prepared
    train_w: object  # prepare.Windows: targets masked from train_end
    val_w: object  # prepare.Windows: only the validation part
    origins: Origins
    fitted: dict  # baseline name -> fitted baseline (on the training part)
    base_values: dict  # baseline name -> (N_cal + 2, H) forecasts at origins.all
    timings: dict = field(default_factory=dict)

    @property
    def skip(self) -> int:
        return len(self.loaded.frame) - self.prep.n  # 1 when differencing


def series_part(loaded: LoadedSeries, config: Config, load_seconds: float | None = None) -> SeriesPart:
    """`train_run`'s first half: UserError when the series cannot be trained with this config."""
    start = time.perf_counter()
    timings: dict[str, float] = {} if load_seconds is None else {"load": round(load_seconds, 3)}
    if config.value_col and config.value_col != loaded.value_col:
        loaded = loaded.with_value(config.value_col)
    config, period_note = resolve(config, loaded)
    prep = prepare(loaded, config)
    train_w, val_w = train_val_windows(prep, config)
    origins = Origins(split_origins(prep, config)[1][-CALIBRATION_ORIGINS:], prep.val_end - 1, prep.n - 1)
    timings["prepare"] = round(time.perf_counter() - start, 3)
    t0 = time.perf_counter()
    skip = len(loaded.frame) - prep.n
    y = loaded.frame[config.value_col].to_numpy(dtype=float)
    fitted = fitted_baselines(y[: prep.train_end + skip], config.period)
    base_values = {name: b.forecast_from(y, origins.all + skip, config.horizon) for name, b in fitted.items()}
    timings["baselines"] = round(time.perf_counter() - t0, 3)
    return SeriesPart(loaded, config, period_note, prep, train_w, val_w, origins, fitted, base_values, timings)


def finish_run(part: SeriesPart, model, result, device: str, extra_info: dict | None = None) -> Run:
    """`train_run`'s second half: forecasts at every origin, intervals and scores, as a Run.

    model: a trained `Forecaster` for this series (on the CPU); result: its `train.FitResult`.
    """
    import torch

    from ..train import predict

    start = time.perf_counter()
    config, prep, loaded = part.config, part.prep, part.loaded
    w = windows(prep, part.origins.all, config)
    values = w.values(predict(model, w, torch.device("cpu")))  # (N+2, H)
    forecast, baselines, metrics = evaluate(loaded, prep, config, part.origins, values, part.base_values)
    timings = {**part.timings, "train": round(result.seconds, 3), "forecast": round(time.perf_counter() - start, 3)}
    created = datetime.now(timezone.utc)
    info = {
        "run_id": new_run_id(config.cell, loaded.source or config.value_col, created),
        "label": describe(config),
        "created": created.isoformat(timespec="seconds"),
        "source": loaded.source,
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
        "epochs_run": int(len(result.history)),
        "stopped": result.stopped,
        "train_seconds": round(result.seconds, 3),
        "timings": timings,
        "baseline_notes": {"ets": getattr(part.fitted["ets"], "description", "")},
        "torch": torch.__version__,
        **(extra_info or {}),
    }
    return Run(config, prep.transform, prep.feature_names, model, result.history, forecast, baselines, metrics, info)


@dataclass
class ValidationTruth:
    """What the validation windows of one series are scored against, in the original units."""

    actual: np.ndarray  # (N, H) the value at each validation target, NaN where not scored
    scale: float  # the MASE denominator: in-sample seasonal-naive MAE on the training part


def validation_truth(part: SeriesPart) -> ValidationTruth:
    """Targets of `part.val_w` inside the validation part and observed (never the holdout, never filled gaps)."""
    prep, config = part.prep, part.config
    at = part.val_w.origins[:, None] + np.arange(1, config.horizon + 1)[None, :]  # (N, H) positions in u
    inside = (at >= prep.train_end) & (at < prep.val_end)
    observed = _observed(part.loaded, config.value_col)[part.skip:]
    clipped = np.minimum(at, prep.n - 1)
    keep = inside & observed[clipped]
    actual = np.where(keep, prep.y[clipped], np.nan)
    y = part.loaded.frame[config.value_col].to_numpy(dtype=float)
    scale = M.mase_scale(y[: prep.train_end + part.skip], config.period).value
    return ValidationTruth(actual, scale)


def validation_mase(truth: ValidationTruth, forecast: np.ndarray) -> float:
    """MAE over the scored validation targets / the training part's seasonal-naive MAE.

    forecast: (N, H) in the original units, rows as `part.val_w`. NaN when nothing is scored.
    """
    keep = ~np.isnan(truth.actual)
    if not keep.any() or not np.isfinite(truth.scale):
        return float("nan")
    error = np.abs(truth.actual[keep] - forecast[keep])
    return float(np.mean(error) / truth.scale) if np.all(np.isfinite(error)) else float("inf")
