"""Point-forecast metrics: small pure NumPy functions over per-step errors."""
from __future__ import annotations

import numpy as np

from .errors import UserError


def _pair(actual, forecast) -> tuple[np.ndarray, np.ndarray]:
    a = np.asarray(actual, dtype=float)
    f = np.asarray(forecast, dtype=float)
    if a.shape != f.shape:
        raise UserError(f"actual {a.shape} and forecast {f.shape} must have the same shape")
    if a.size == 0:
        raise UserError("cannot score an empty forecast: the holdout has no points")
    return a, f


def mae(actual, forecast) -> float:
    a, f = _pair(actual, forecast)
    return float(np.mean(np.abs(a - f)))


def rmse(actual, forecast) -> float:
    a, f = _pair(actual, forecast)
    return float(np.sqrt(np.mean((a - f) ** 2)))


def smape(actual, forecast) -> float:
    """Symmetric MAPE in percent, 0..200 (M4 definition); steps where both are 0 count as 0."""
    a, f = _pair(actual, forecast)
    denom = np.abs(a) + np.abs(f)
    ratio = np.divide(2.0 * np.abs(a - f), denom, out=np.zeros_like(denom), where=denom > 0)
    return float(100.0 * np.mean(ratio))


def mase_scale(insample, period: int = 1) -> float:
    """Mean absolute seasonal-naive error in-sample: the MASE denominator (Hyndman & Koehler 2006)."""
    y = np.asarray(insample, dtype=float)
    m = period if len(y) > period else 1
    if len(y) <= m:
        raise UserError(f"MASE needs more than {m} in-sample points, got {len(y)}")
    scale = float(np.mean(np.abs(y[m:] - y[:-m])))
    return scale if scale > 0 else float("nan")


def mase(actual, forecast, insample, period: int = 1) -> float:
    """MAE over the in-sample seasonal-naive MAE: below 1 beats seasonal naive on the history."""
    return mae(actual, forecast) / mase_scale(insample, period)


def score(actual, forecast, insample, period: int) -> dict[str, float]:
    """All four metrics, keyed mae, rmse, smape, mase."""
    return {
        "mae": mae(actual, forecast),
        "rmse": rmse(actual, forecast),
        "smape": smape(actual, forecast),
        "mase": mase(actual, forecast, insample, period),
    }
