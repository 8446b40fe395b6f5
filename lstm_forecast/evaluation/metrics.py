"""Point and interval metrics: small pure NumPy functions over per-step errors.

Every scorer takes an optional `observed` mask: steps whose actual value was filled in by the
loader (a gap, a missing cell) are left out of the score, and `score` says how many were.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from ..errors import UserError

POINT_METRICS = ("mae", "rmse", "smape", "mase")


@dataclass(frozen=True)
class MaseScale:
    """The MASE denominator and how it was obtained (recorded in metrics.json, shown in the UI)."""

    value: float  # mean |y_t - y_{t-lag}| over the in-sample part
    lag: int  # the season, or 1 when the history holds no full season beyond the first
    note: str  # one sentence: what was used and, for a fallback, why

    def to_dict(self) -> dict:
        return asdict(self)


def _pair(actual, forecast, observed=None) -> tuple[np.ndarray, np.ndarray]:
    a = np.asarray(actual, dtype=float)
    f = np.asarray(forecast, dtype=float)
    if a.shape != f.shape:
        raise UserError(f"actual {a.shape} and forecast {f.shape} must have the same shape")
    if observed is not None:
        keep = np.asarray(observed, dtype=bool)
        if keep.shape != a.shape:
            raise UserError(f"observed mask {keep.shape} must match actual {a.shape}")
        a, f = a[keep], f[keep]
    if a.size == 0:
        raise UserError("cannot score an empty forecast: the holdout has no observed points")
    return a, f


def _scaled(errors: np.ndarray) -> tuple[np.ndarray, float]:
    """Errors divided by their largest magnitude, and that magnitude: squares and sums of values
    near 1e300 overflow to inf, and squares near 1e-300 underflow to 0 (RMSE 0 below a larger MAE)."""
    top = float(np.max(np.abs(errors))) if errors.size else 0.0
    if top > 0 and np.isfinite(top):
        return errors / top, top
    return errors, 1.0


def mae(actual, forecast, observed=None) -> float:
    a, f = _pair(actual, forecast, observed)
    e, top = _scaled(np.abs(a - f))
    return float(np.mean(e) * top)


def rmse(actual, forecast, observed=None) -> float:
    a, f = _pair(actual, forecast, observed)
    e, top = _scaled(np.abs(a - f))
    return float(np.sqrt(np.mean(e**2)) * top)


def smape(actual, forecast, observed=None) -> float:
    """Symmetric MAPE in percent, 0..200 (M4 definition); steps where both are 0 count as 0.

    A non-finite forecast gives NaN, never a flattering 0.
    """
    a, f = _pair(actual, forecast, observed)
    if not np.all(np.isfinite(f)):
        return float("nan")
    _, top = _scaled(np.concatenate([np.abs(a), np.abs(f)]))
    a, f = a / top, f / top  # |a| + |f| overflows near 1e308; the ratio does not depend on the scale
    denom = np.abs(a) + np.abs(f)
    ratio = np.divide(2.0 * np.abs(a - f), denom, out=np.zeros_like(denom), where=denom > 0)
    return float(100.0 * np.mean(ratio))


def mase_scale(insample, period: int = 1, observed=None) -> MaseScale:
    """Mean absolute seasonal-naive error in-sample: the MASE denominator (Hyndman & Koehler 2006).

    With fewer than period + 1 points the seasonal lag cannot be taken; the scale falls back to
    lag 1 and the note says so. observed: the loader's mask (True where read, False where filled
    in); a difference touching a filled point is left out, and the note counts them.
    """
    y = np.asarray(insample, dtype=float)
    lag = period if period > 1 and len(y) > period else 1
    if len(y) <= lag:
        raise UserError(f"MASE needs more than {lag} in-sample points, got {len(y)}; use a longer series")
    diffs = np.abs(y[lag:] - y[:-lag])
    left_out = 0
    if observed is not None:
        seen = np.asarray(observed, dtype=bool)
        if seen.shape != y.shape:
            raise UserError(f"observed mask {seen.shape} must match the in-sample values {y.shape}")
        both = seen[lag:] & seen[:-lag]
        left_out = int((~both).sum())
        if both.any():
            diffs = diffs[both]
    e, top = _scaled(diffs)
    value = float(np.mean(e) * top)
    if lag == period or period <= 1:
        note = f"mean |y_t - y_(t-{lag})| over {len(y):,} in-sample points"
    else:
        note = (f"lag 1, not the season ({period}): the history has only {len(y):,} points, "
                f"too few for a seasonal difference")
    if left_out:
        note += f", leaving out {left_out:,} differences that touch a filled-in point"
    return MaseScale(value if value > 0 else float("nan"), lag, note)


def mase(actual, forecast, insample, period: int = 1, observed=None, insample_observed=None) -> float:
    """MAE over the in-sample seasonal-naive MAE: below 1 beats seasonal naive on the history.

    observed masks `actual`, insample_observed masks `insample` (see mase_scale)."""
    return mae(actual, forecast, observed) / mase_scale(insample, period, insample_observed).value


def coverage(actual, lower, upper, observed=None) -> float:
    """Share of actual values inside [lower, upper]."""
    a, lo = _pair(actual, lower, observed)
    _, hi = _pair(actual, upper, observed)
    return float(np.mean((a >= lo) & (a <= hi)))


def mean_width(lower, upper, observed=None) -> float:
    lo, hi = _pair(lower, upper, observed)
    return float(np.mean(hi - lo))


def score(actual, forecast, insample, period: int, observed=None, scale: MaseScale | None = None) -> dict[str, float]:
    """mae, rmse, smape, mase over the observed steps (all when `observed` is None)."""
    scale = scale or mase_scale(insample, period)
    err = mae(actual, forecast, observed)
    return {
        "mae": err,
        "rmse": rmse(actual, forecast, observed),
        "smape": smape(actual, forecast, observed),
        "mase": err / scale.value,
    }


def interval_scores(actual, intervals: dict[str, np.ndarray], observed=None) -> dict[str, float]:
    """Coverage and mean width of each level's interval: {"coverage_80": ..., "width_80": ...}.

    intervals: {"lower_80": (H,), "upper_80": (H,), "lower_95": ..., "upper_95": ...}.
    """
    out = {}
    for key in intervals:
        if key.startswith("lower_"):
            level = key.removeprefix("lower_")
            lo, hi = intervals[key], intervals[f"upper_{level}"]
            out[f"coverage_{level}"] = coverage(actual, lo, hi, observed)
            out[f"width_{level}"] = mean_width(lo, hi, observed)
    return out
