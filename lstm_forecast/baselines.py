"""Honest baselines. Each shares the networks' contract: history (n,) -> the next `horizon` steps (H,)."""
from __future__ import annotations

import warnings
from typing import Callable

import numpy as np

Baseline = Callable[[np.ndarray, int, int], np.ndarray]

ETS_MAX_HISTORY = 2000  # steps; Holt-Winters on longer histories gains little and costs seconds


def naive(history: np.ndarray, horizon: int, period: int = 1) -> np.ndarray:
    """Every step equals the last value."""
    return np.full(horizon, float(history[-1]))


def seasonal_naive(history: np.ndarray, horizon: int, period: int = 1) -> np.ndarray:
    """Every step equals the value one season earlier ("same as last season")."""
    if period <= 1 or len(history) < period:
        return naive(history, horizon)
    last_season = np.asarray(history[-period:], dtype=float)
    return np.resize(last_season, horizon)  # repeats the season for horizons > period


def drift(history: np.ndarray, horizon: int, period: int = 1) -> np.ndarray:
    """The line from the first to the last value, extended."""
    y = np.asarray(history, dtype=float)
    slope = (y[-1] - y[0]) / max(len(y) - 1, 1)
    return y[-1] + slope * np.arange(1, horizon + 1)


def ets(history: np.ndarray, horizon: int, period: int = 1) -> np.ndarray:
    """Holt-Winters exponential smoothing (statsmodels), damped additive trend.

    The season is multiplicative when every value is positive and that fits better (AIC),
    additive otherwise; it is left out when fewer than two full seasons are available.
    """
    from statsmodels.tsa.holtwinters import ExponentialSmoothing

    y = np.asarray(history, dtype=float)[-ETS_MAX_HISTORY:]
    seasonal_options: list[str | None] = [None]
    if 1 < period and len(y) >= 2 * period:
        seasonal_options = ["add", "mul"] if np.all(y > 0) else ["add"]
    best, best_aic = None, np.inf
    for seasonal in seasonal_options:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                fit = ExponentialSmoothing(
                    y,
                    trend="add",
                    damped_trend=True,
                    seasonal=seasonal,
                    seasonal_periods=period if seasonal else None,
                    initialization_method="estimated",
                ).fit()
        except (ValueError, np.linalg.LinAlgError):
            continue
        if np.isfinite(fit.aic) and fit.aic < best_aic:
            best, best_aic = fit, fit.aic
    if best is None:
        return naive(y, horizon)
    forecast = np.asarray(best.forecast(horizon), dtype=float)
    return forecast if np.all(np.isfinite(forecast)) else naive(y, horizon)


BASELINES: dict[str, Baseline] = {
    "naive": naive,
    "seasonal_naive": seasonal_naive,
    "drift": drift,
    "ets": ets,
}
