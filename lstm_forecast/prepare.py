"""Series -> model space -> windows, with every statistic fitted on the training part only.

Model space: u = log(y) when the log is on, then first differences when `difference` is on.
Inputs per step (all level-free, so the same features serve a window and the whole series):
  level_gap  (u_t - mean of the last season of u) / scale
  change     (u_t - u_{t-1}) / scale
  phase_sin, phase_cos   the step's position in the season (when calendar features are on)
  covariates             other columns, z-scored on the training part
Targets for an origin e (last observed step) and h = 1..H:
  residual   (u_{e+h} - seasonal_naive_{e+h}) / scale     (DESIGN 11)
  level      (u_{e+h} - level_e) / scale
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .config import Config
from .data.series import LoadedSeries
from .errors import UserError
from .seasonality import infer_period, phase_and_cycle

if TYPE_CHECKING:
    import torch

MAX_DEFAULT_HORIZON = 96
MAX_DEFAULT_LOOKBACK = 120  # steps; the residual target reads last season directly, so long windows buy little
MIN_TRAIN_WINDOWS = 4


@dataclass
class Transform:
    """Everything fitted on the training part; saved in config.json so a run can be re-applied."""

    log: bool
    difference: bool
    period: int
    level_window: int
    scale: float
    cov_mean: list[float] = field(default_factory=list)
    cov_std: list[float] = field(default_factory=list)
    anchor: str | None = None  # first training time stamp: phases of new data are counted from it

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class Prepared:
    """One series in model space. Positions count steps of `u` (one fewer than y when differencing)."""

    index: pd.Index  # (n,) timestamps or steps of u
    y: np.ndarray  # (n,) the original values at those steps
    v: np.ndarray  # (n,) level space: log(y) or y, before differencing
    u: np.ndarray  # (n,) model space
    features: np.ndarray  # (n, F) float32 inputs
    feature_names: list[str]
    transform: Transform
    train_end: int  # u[:train_end] is the training part
    val_end: int  # u[train_end:val_end] validates; u[val_end:] is the holdout

    @property
    def n(self) -> int:
        return len(self.u)


@dataclass
class Windows:
    """Tensors built once. X (N, L, F) inputs; Y (N, H) scaled targets; base (N, H) in model space."""

    origins: np.ndarray  # (N,) position of the last observed step
    X: torch.Tensor
    Y: torch.Tensor
    base: np.ndarray


def resolve(config: Config, loaded: LoadedSeries) -> tuple[Config, str]:
    """Fill period, horizon, lookback and val_size from the data. Returns the config and a period note."""
    values = loaded.frame[config.value_col or loaded.value_col].to_numpy(dtype=float)
    n = len(values)
    # The period is chosen without the future: never from the holdout, nor from the last 20%. The
    # part left out is fixed before the period is known, and a default horizon never exceeds it.
    unseen = max(config.horizon or min(MAX_DEFAULT_HORIZON, n // 4), n // 5)
    choice = infer_period(values[:max(n - unseen, 3)], loaded.freq, override=config.period)
    period = choice.period
    horizon = config.horizon or min(_default_horizon(period, n), unseen)
    lookback = config.lookback or max(min(2 * period, MAX_DEFAULT_LOOKBACK), 2 * horizon, 8)
    val_size = config.val_size or max(horizon, n // 10)
    if config.lookback is None:  # a short series gets a shorter default window rather than an error
        room = n - (2 * horizon + val_size + MIN_TRAIN_WINDOWS)
        lookback = max(2, min(lookback, room))
    resolved = Config.from_dict({**config.to_dict(), "value_col": config.value_col or loaded.value_col,
                                 "period": period, "horizon": horizon, "lookback": lookback,
                                 "val_size": val_size})
    return resolved, choice.note


def _default_horizon(period: int, n: int) -> int:
    return min(period, MAX_DEFAULT_HORIZON) if period > 1 else min(12, max(1, n // 10))


def prepare(loaded: LoadedSeries, config: Config, transform: Transform | None = None) -> Prepared:
    """Apply (or, with transform None, fit on the training part) the model-space transform.

    `config` must be resolved (see `resolve`). Raises UserError when the series is too short.
    """
    frame = loaded.frame
    y_all = frame[config.value_col].to_numpy(dtype=float)
    for col in config.covariates:
        if col not in frame.columns or col == config.value_col:
            raise UserError(f"covariate {col!r} is not another numeric column; choose from {loaded.covariate_cols}")
    period, horizon = config.period, config.horizon
    if transform is None:  # decided on the training part only (DESIGN 3)
        fit_end = len(y_all) - horizon - config.val_size
        use_log = config.log == "on" or (config.log == "auto" and bool(np.all(y_all[:max(fit_end, 1)] > 0)))
        if use_log and not np.all(y_all > 0):
            raise UserError("the log transform needs every value > 0, and some values after the training part "
                            "are <= 0; set log to 'off'")
    else:
        use_log = transform.log
        if use_log and not np.all(y_all > 0):
            raise UserError("this run was trained on log values, but the new data has values <= 0; use data on the same scale")
    difference = config.difference if transform is None else transform.difference
    v_all = np.log(y_all) if use_log else y_all
    u = np.diff(v_all) if difference else v_all
    skip = 1 if difference else 0
    index = frame.index[skip:]
    n = len(u)
    val_end = n - horizon
    train_end = val_end - config.val_size
    if transform is None:  # fitting needs room for training windows; applying a fitted run does not
        _check_length(n, config, train_end)
    elif n < 2:
        raise UserError(f"the data has {n} usable points; a saved run needs at least 2 to read")

    level_window = period if period > 1 else min(config.lookback, 8)
    if transform is None:
        scale = _scale_of(u[:train_end], period)
        cov = frame[config.covariates].to_numpy(dtype=float)[skip:] if config.covariates else np.empty((n, 0))
        cov_mean = cov[:train_end].mean(axis=0).tolist() if cov.size else []
        cov_std = [s if s > 0 else 1.0 for s in cov[:train_end].std(axis=0).tolist()] if cov.size else []
        anchor = str(index[0]) if isinstance(index, pd.DatetimeIndex) and len(index) else None
        transform = Transform(use_log, difference, period, level_window, scale, cov_mean, cov_std, anchor)
    features, names = _features(u, index, frame, config, transform, skip)
    return Prepared(index, y_all[skip:], v_all[skip:], u, features, names, transform, train_end, val_end)


def _check_length(n: int, config: Config, train_end: int) -> None:
    first_origin = max(config.lookback, config.period) - 1
    n_train = train_end - config.horizon - first_origin
    if n_train < MIN_TRAIN_WINDOWS:
        need = first_origin + config.horizon + MIN_TRAIN_WINDOWS + config.val_size + config.horizon
        raise UserError(
            f"the series has {n} usable points, but lookback {config.lookback}, horizon {config.horizon} "
            f"and validation {config.val_size} need at least {need}; shorten lookback/horizon or use a longer series"
        )


def _scale_of(u_train: np.ndarray, period: int) -> float:
    """Typical size of a seasonal step change on the training part: the unit of inputs and targets."""
    lag = period if 1 < period < len(u_train) // 2 else 1
    scale = float(np.std(u_train[lag:] - u_train[:-lag]))
    if not np.isfinite(scale) or scale <= 1e-12:
        scale = float(np.std(u_train)) or 1.0
    return scale


def rolling_level(u: np.ndarray, window: int) -> np.ndarray:
    """Mean of the last `window` steps up to and including each step (causal)."""
    return pd.Series(u).rolling(window, min_periods=1).mean().to_numpy()


def _features(u, index, frame, config: Config, t: Transform, skip: int) -> tuple[np.ndarray, list[str]]:
    level = rolling_level(u, t.level_window)
    change = np.diff(u, prepend=u[0])
    columns = [(u - level) / t.scale, change / t.scale]
    names = ["level_gap", "change"]
    if config.calendar and t.period > 1:
        phase, _ = phase_and_cycle(index, t.period, anchor=t.anchor)
        angle = 2 * np.pi * phase / t.period
        columns += [np.sin(angle), np.cos(angle)]
        names += ["phase_sin", "phase_cos"]
    for j, col in enumerate(config.covariates):
        columns.append((frame[col].to_numpy(dtype=float)[skip:] - t.cov_mean[j]) / t.cov_std[j])
        names.append(col)
    return np.stack(columns, axis=1).astype(np.float32), names


def base_forecast(u: np.ndarray, origins: np.ndarray, horizon: int, period: int, level_window: int,
                  target: str) -> np.ndarray:
    """What the network adds to, per origin: seasonal naive (residual) or the recent level. (N, H)."""
    if target == "level":
        level = rolling_level(u, level_window)[origins]
        return np.repeat(level[:, None], horizon, axis=1)
    h = np.arange(1, horizon + 1)
    offsets = h - period * np.ceil(h / period).astype(int) if period > 1 else np.zeros(horizon, int)
    return u[origins[:, None] + offsets[None, :]]


def windows(prep: Prepared, origins: np.ndarray, config: Config) -> Windows:
    """Input windows ending at each origin, and their targets where the future is known."""
    import torch  # here, not at the top: the dashboard's first page needs no torch (1 s to import)

    L, H = config.lookback, config.horizon
    origins = np.asarray(origins, dtype=int)
    feats = torch.from_numpy(prep.features)
    X = feats.unfold(0, L, 1).permute(0, 2, 1)[origins - L + 1]  # (N, L, F)
    base = base_forecast(prep.u, origins, H, prep.transform.period, prep.transform.level_window, config.target)
    target_idx = origins[:, None] + np.arange(1, H + 1)[None, :]
    known = target_idx < prep.n
    future = np.where(known, prep.u[np.minimum(target_idx, prep.n - 1)], np.nan)
    Y = torch.from_numpy(((future - base) / prep.transform.scale).astype(np.float32))  # (N, H)
    return Windows(origins, X.contiguous(), Y, base)


def split_origins(prep: Prepared, config: Config) -> tuple[np.ndarray, np.ndarray]:
    """Training origins (targets inside the training part) and validation origins."""
    first = max(config.lookback, config.period) - 1
    H = config.horizon
    train = np.arange(first, prep.train_end - H)
    val = np.arange(max(first, prep.train_end - H), prep.val_end - H)
    return train, val


def to_values(prep: Prepared, origins: np.ndarray, base: np.ndarray, scaled: np.ndarray) -> np.ndarray:
    """Network output (N, H) in scaled units -> forecasts in the original units (N, H)."""
    u_hat = base + scaled * prep.transform.scale
    if prep.transform.difference:
        u_hat = prep.v[origins][:, None] + np.cumsum(u_hat, axis=1)
    return np.exp(u_hat) if prep.transform.log else u_hat


def future_index(index: pd.Index, horizon: int, freq: str | None) -> pd.Index:
    """The `horizon` steps after the last one."""
    if isinstance(index, pd.DatetimeIndex) and freq:
        return pd.date_range(index[-1], periods=horizon + 1, freq=freq)[1:]
    last = int(index[-1]) if len(index) else -1
    return pd.RangeIndex(last + 1, last + 1 + horizon)
