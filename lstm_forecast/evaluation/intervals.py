"""Prediction intervals by split conformal prediction, per horizon step (Vovk et al. 2005; Lei et al. 2018).

Calibration residuals come from origins whose targets the model never trained on (the validation
part). For horizon step h, the half-width at level L is the ceil((n+1)L)-th smallest |residual| of
the n calibration residuals at h: under exchangeability it covers at least L of new points. Too few
residuals at one step for a level: neighbouring steps are pooled until there are enough, and the
result says so. Residuals are taken on the log scale when the run models log values (every value
positive), so intervals widen with the level, as the errors do.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

import numpy as np

LEVELS = (80, 95)


@dataclass
class Calibration:
    """Half-widths per level and horizon step, and how they were obtained."""

    halfwidths: dict[int, np.ndarray]  # level -> (H,)
    log: bool  # residuals on the log scale
    points: list[int]  # calibration residuals per horizon step (H,)
    pooled: dict[int, int] = field(default_factory=dict)  # level -> steps that borrowed from neighbours

    def summary(self) -> dict:
        d = asdict(self)
        d["halfwidths"] = {str(k): [float(x) for x in v] for k, v in self.halfwidths.items()}
        d["pooled"] = {str(k): v for k, v in self.pooled.items()}
        d["method"] = "split conformal per horizon step"
        return d


def residual_matrix(actual: np.ndarray, forecasts: np.ndarray, origins: np.ndarray, start: int, limit: int,
                    log: bool) -> np.ndarray:
    """(N, H) residuals actual - forecast at each origin and step, NaN where the target lies outside
    [start, limit) (positions in `actual`), or is not finite."""
    N, H = forecasts.shape
    at = origins[:, None] + np.arange(1, H + 1)[None, :]
    inside = (at >= start) & (at < limit) & (at < len(actual))
    truth = np.where(inside, actual[np.clip(at, 0, len(actual) - 1)], np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        if log:
            return np.log(truth) - np.log(forecasts)
        return truth - forecasts


def calibrate(residuals: np.ndarray, levels=LEVELS, log: bool = False) -> Calibration:
    """Conformal half-widths per horizon step from (N, H) residuals (NaN = not a calibration point)."""
    r = np.abs(residuals)
    H = r.shape[1]
    per_step = [np.sort(col[np.isfinite(col)]) for col in r.T]
    out, pooled = {}, {}
    for level in levels:
        widths = np.empty(H)
        borrowed = 0
        for h in range(H):
            window = 0
            values = per_step[h]
            while not _enough(len(values), level) and window < H:
                window += 1
                values = np.sort(np.concatenate(per_step[max(0, h - window): h + window + 1]))
            borrowed += window > 0
            widths[h] = _conformal_quantile(values, level)
        out[level], pooled[level] = np.fmax.accumulate(widths), borrowed  # never narrower further ahead
    return Calibration(out, log, [int(len(v)) for v in per_step], pooled)


def _enough(n: int, level: int) -> bool:
    return n > 0 and math.ceil((n + 1) * level / 100) <= n


def _conformal_quantile(ordered: np.ndarray, level: int) -> float:
    """The ceil((n+1)L)-th smallest value; the largest when there are too few (and NaN for none)."""
    n = len(ordered)
    if n == 0:
        return math.nan
    k = min(math.ceil((n + 1) * level / 100), n)
    return float(ordered[k - 1])


def bounds(point: np.ndarray, calibration: Calibration) -> dict[str, np.ndarray]:
    """lower_L / upper_L arrays shaped like `point` (..., H) for each calibrated level."""
    out = {}
    for level, width in calibration.halfwidths.items():
        if calibration.log:
            with np.errstate(invalid="ignore", divide="ignore"):
                lo, hi = point * np.exp(-width), point * np.exp(width)
        else:
            lo, hi = point - width, point + width
        out[f"lower_{level}"], out[f"upper_{level}"] = np.fmin(lo, hi), np.fmax(lo, hi)
    return out


def calibration_from(stored: dict | None) -> Calibration | None:
    """A Calibration rebuilt from its `summary()` (metrics.json's "intervals", or one of its "baselines")."""
    stored = stored or {}
    widths = stored.get("halfwidths")
    if not widths:
        return None
    return Calibration({int(k): np.asarray(v, dtype=float) for k, v in widths.items()}, bool(stored.get("log")),
                       list(stored.get("points", [])))


def use_log(log_transform: bool, *arrays: np.ndarray) -> bool:
    """Residuals on the log scale when the run models logs and every value involved is positive."""
    return bool(log_transform) and all(np.all(a[np.isfinite(a)] > 0) for a in arrays)
