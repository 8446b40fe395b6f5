"""Scoring for every forecaster (DESIGN 14, 16): arrays in, forecast frames and metrics out.

The network and the baselines hand over their (N, H) points at the same origins (forecasts.py);
this module calibrates each one's band on its own validation residuals, scores each on the observed
points of the holdout, and writes the frames and the metrics the leaderboard reads.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..config import Config
from ..data.series import LoadedSeries
from ..prepare import Prepared, future_index
from . import intervals as I
from . import metrics as M
from .forecasts import Forecast


@dataclass
class Origins:
    """Where a fitted forecaster is applied, as positions in model space (u)."""

    calibration: np.ndarray  # (N,) origins with at least one target in [calibration_start, val_end)
    holdout: int  # val_end - 1: forecasts the last `horizon` points
    future: int  # n - 1: forecasts past the end

    @property
    def all(self) -> np.ndarray:
        return np.concatenate([self.calibration, [self.holdout, self.future]])


def evaluate(loaded: LoadedSeries, prep: Prepared, config: Config, origins: Origins,
             values: dict[str, np.ndarray], model: str = "model",
             calibration_rows: dict[str, np.ndarray] | None = None) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """Forecast frames and metrics from each method's forecasts at every origin (original units).

    values[name]: (N_cal + 2, H), rows in `origins.all` order; `values[model]` is the run's own
    forecaster, the others its baselines. Intervals come from the calibration rows; the holdout row
    is scored on the observed points of the last H. calibration_rows[name]: (N_cal, H) forecasts that
    calibrate `name`'s band instead of its own calibration rows (the network's cross-fitted ones).
    """
    H, P = config.horizon, config.period
    skip = len(loaded.frame) - prep.n
    y = loaded.frame[config.value_col].to_numpy(dtype=float)
    seen = loaded.observed_mask(config.value_col)  # (n,) lines up with y: both from loaded.frame
    observed = seen[-H:]
    insample = y[:-H]
    scale = M.mase_scale(insample, P, seen[:-H])
    n_cal = len(origins.calibration)
    stamps = prep.index[prep.val_end:].append(future_index(prep.index, H, loaded.freq))
    actual = np.concatenate([np.where(observed, y[-H:], np.nan), np.full(H, np.nan)])
    frames, scores, calibrations = {}, {}, {}
    for name, points in values.items():
        cal = (calibration_rows or {}).get(name, points[:n_cal])  # (N_cal, H); the last two rows: holdout, future
        log = I.use_log(prep.transform.log, y, cal)
        residuals = I.residual_matrix(y, cal, origins.calibration + skip, prep.calibration_start + skip,
                                        prep.val_end + skip, log)
        calibration = I.calibrate(residuals, log=log)
        forecast = Forecast.calibrated(points[n_cal:], calibration)  # (2, H)
        frames[name] = forecast.columns()
        scores[name] = holdout_scores(y, seen, forecast, P, scale)
        calibrations[name] = calibration
    bases = [name for name in values if name != model]
    forecast = pd.DataFrame({"timestamp": stamps, "actual": actual, **frames[model]})
    baselines = pd.DataFrame({"timestamp": stamps, **{f"{name}{'' if k == 'forecast' else '_' + k}": v
                                                      for name in bases for k, v in frames[name].items()}})
    metrics = {
        "model": scores[model],
        "baselines": {name: scores[name] for name in bases},
        "period": P,
        "horizon": H,
        "holdout": {"points": H, "scored": int(observed.sum()), "excluded": int(H - observed.sum()),
                    "note": holdout_note(observed)},
        "mase_scale": scale.to_dict(),
        "intervals": {**calibrations[model].summary(),
                      "residuals": calibration_note(prep, model in (calibration_rows or {})),
                      "baselines": {name: calibrations[name].summary() for name in bases}},
    }
    return forecast, baselines, metrics


def calibration_note(prep: Prepared, cross: bool = False) -> str:
    """Which residuals calibrated the network's intervals, in words for metrics.json."""
    if cross:
        return ("validation residuals, each half of the validation part forecast by the network that was best on "
                "the other half (no residual chose the weights that made it; the base was chosen on the whole part)")
    if prep.calibration_size:
        return (f"the last {prep.calibration_size} steps of the validation part, which chose neither the epoch, "
                "nor whether to keep the network, nor its base")
    return "the whole validation part, which also chose the epoch and the base"


def holdout_scores(y: np.ndarray, seen: np.ndarray, forecast: Forecast, period: int,
                   scale: M.MaseScale | None = None) -> dict[str, float]:
    """Point scores (and interval scores, when calibrated) of `forecast`'s first row against the last H
    points of y, on its observed points only; the MASE scale from the history before them."""
    H = forecast.points.shape[1]
    observed = seen[-H:]
    scale = scale or M.mase_scale(y[:-H], period, seen[:-H])
    scores = M.score(y[-H:], forecast.points[0], y[:-H], period, observed, scale)
    if forecast.bands:
        scores |= M.interval_scores(y[-H:], {k: v[0] for k, v in forecast.bands.items()}, observed)
    return scores


def holdout_note(observed: np.ndarray) -> str:
    missing = int(len(observed) - observed.sum())
    if not missing:
        return f"all {len(observed)} holdout points scored"
    gaps = "1 was a gap" if missing == 1 else f"{missing} were gaps"
    return (f"{int(observed.sum())} of {len(observed)} holdout points scored: {gaps} the loader "
            "filled in, and a forecast is never scored on invented values")
