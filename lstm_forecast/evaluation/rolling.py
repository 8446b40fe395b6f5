"""The rolling-origin backtest's scoring: per-step errors of any forecasters at many origins, and their summary.

The training the backtest needs lives above (backtest.py, beside the pipeline); this module takes
each method's (N, H) points at the same origins and never fits anything.
"""
from __future__ import annotations

import math
from typing import Mapping

import numpy as np
import pandas as pd

from ..data.series import LoadedSeries
from . import intervals as I
from . import metrics as M
from .forecasts import Forecast

ERROR_COLUMNS = ["origin", "cutoff", "method", "step", "timestamp", "actual", "forecast", "error",
                 "lower_80", "upper_80", "lower_95", "upper_95"]


def origin_errors(data: LoadedSeries, positions: np.ndarray, forecasts: Mapping[str, Forecast],
                  first_index: int = 0) -> pd.DataFrame:
    """One row per method, origin and observed target step (ERROR_COLUMNS).

    data: the frame whose target was forecast; positions: (N,) origins in it; forecasts[name]: its
    points and band, (N, H) each; origins are numbered from `first_index`."""
    y = data.frame[data.value_col].to_numpy(dtype=float)
    observed = data.observed_mask(data.value_col)
    positions = np.asarray(positions, dtype=int)
    H = next(iter(forecasts.values())).points.shape[1]
    at = positions[:, None] + np.arange(1, H + 1)[None, :]  # (N, H)
    keep = (at < len(y)) & observed[np.minimum(at, len(y) - 1)]  # observed targets only
    k_idx, h_idx = np.nonzero(keep)  # one row per kept (origin, step), origin-major
    stamps = data.frame.index
    target = at[k_idx, h_idx]
    rows = []
    for name, f in forecasts.items():
        point = f.points[k_idx, h_idx]
        rows.append(pd.DataFrame({
            "origin": first_index + k_idx, "cutoff": stamps[positions[k_idx]], "method": name, "step": h_idx + 1,
            "timestamp": stamps[target], "actual": y[target], "forecast": point, "error": y[target] - point,
            **{key: f.bands[key][k_idx, h_idx] if f.bands else np.full(len(k_idx), np.nan) for key in ERROR_COLUMNS[8:]},
        }))
    return pd.concat(rows, ignore_index=True)


def summarise(errors: pd.DataFrame, loaded: LoadedSeries, period: int, positions: np.ndarray
              ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per method: point metrics averaged over origins (MASE scaled by each origin's own history) and
    interval coverage; per method and step: MAE, MASE and interval coverage. `loaded`'s target is the forecast column."""
    y = loaded.series.to_numpy(dtype=float)
    seen = loaded.observed_mask()  # (n,) lines up with y
    scales = {k: M.mase_scale(y[: o + 1], period, seen[: o + 1]).value for k, o in enumerate(positions)}
    e = errors.assign(scale=errors["origin"].map(lambda k: scales.get(k, math.nan)))
    e["abs"] = e["error"].abs()
    e["sq"] = e["error"] ** 2
    denom = e["actual"].abs() + e["forecast"].abs()
    e["sape"] = np.where(denom > 0, 200 * e["abs"] / denom.where(denom > 0, 1), 0.0)
    for level in I.LEVELS:
        inside = (e["actual"] >= e[f"lower_{level}"]) & (e["actual"] <= e[f"upper_{level}"])
        e[f"in{level}"] = inside.astype(float).where(e[f"lower_{level}"].notna())
    per_origin = e.groupby(["method", "origin"]).agg(mae=("abs", "mean"), mse=("sq", "mean"), smape=("sape", "mean"),
                                                     scale=("scale", "first"), coverage_80=("in80", "mean"),
                                                     coverage_95=("in95", "mean"))
    per_origin["rmse"] = np.sqrt(per_origin["mse"])
    per_origin["mase"] = per_origin["mae"] / per_origin["scale"]
    summary = per_origin.groupby("method")[["mae", "rmse", "smape", "mase", "coverage_80", "coverage_95"]].mean()
    summary["origins"] = per_origin.groupby("method").size()
    by_step = e.groupby(["method", "step"]).agg(mae=("abs", "mean"), scale=("scale", "mean"), coverage_80=("in80", "mean"),
                                                coverage_95=("in95", "mean")).reset_index()
    by_step["mase"] = (e.assign(r=e["abs"] / e["scale"]).groupby(["method", "step"])["r"].mean()).to_numpy()
    return summary.sort_values("mase").reset_index(), by_step.drop(columns="scale")
