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

from dataclasses import asdict, dataclass, field, fields

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .baselines import Ets, fitted_baselines
from .config import Config
from .data.series import LoadedSeries
from .errors import UserError
from .seasonality import PeriodChoice, infer_period, phase_and_cycle

if TYPE_CHECKING:
    import torch

MAX_DEFAULT_HORIZON = 96
MAX_DEFAULT_LOOKBACK = 120  # steps; the residual target reads last season directly, so long windows buy little
MIN_TRAIN_WINDOWS = 4
MIN_POINTS = 16  # fewer cannot hold a lookback, training windows, a validation part and a holdout


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
    anchor: str | int | None = None  # first training time stamp (or step number): phases of new data count from it
    base: str = "seasonal_naive"  # what the network corrects (target residual): see BASES
    base_params: dict | None = None  # the fitted Ets (Ets.to_dict) when the base is "ets"
    window_ref: float | None = None  # mean |step change| on the training part: per-window scales are relative to it

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: object) -> "Transform":
        """A Transform read from a run's config.json, every field checked: UserError naming the first bad one
        (a scale of 0, a string or NaN would give all-NaN forecasts, an unknown base an internal error)."""
        if not isinstance(d, dict):
            raise UserError("config.json's transform is not a table of settings; retrain the run")
        names = [f.name for f in fields(cls)]
        unknown = sorted(set(d) - set(names))
        missing = [n for n in ("log", "difference", "period", "level_window", "scale") if n not in d]
        if unknown or missing:
            raise UserError(f"config.json's transform has unknown fields {unknown[:3]} or lacks {missing[:3]}; "
                            "retrain the run")

        def bad(name: str, what: str) -> UserError:
            text = repr(d.get(name))
            return UserError(f"config.json's transform.{name} ({text[:40]}) must be {what}; retrain the run")

        for name in ("log", "difference"):
            if not isinstance(d[name], bool):
                raise bad(name, "true or false")
        for name in ("period", "level_window"):
            if not _count(d[name]):
                raise bad(name, f"a whole number from 1 to {MAX_STEPS:,}")
        if not _finite(d["scale"]) or not d["scale"] > 0:
            raise bad("scale", "a finite positive number")
        for name in ("cov_mean", "cov_std"):
            value = d.get(name, [])
            if not isinstance(value, list) or not all(_finite(v) for v in value) or len(value) > MAX_STEPS:
                raise bad(name, "a list of finite numbers")
        if len(d.get("cov_mean", [])) != len(d.get("cov_std", [])) or not all(v > 0 for v in d.get("cov_std", [])):
            raise bad("cov_std", "positive numbers, one per covariate mean")
        anchor = d.get("anchor")
        if anchor is not None and not (isinstance(anchor, str) and len(anchor) <= 64) \
                and not (isinstance(anchor, int) and not isinstance(anchor, bool) and abs(anchor) < 2**63):
            raise bad("anchor", "a time stamp, a step number or null")
        base = d.get("base", "seasonal_naive")
        if base not in BASES:
            raise bad("base", f"one of {', '.join(BASES)}")
        params = d.get("base_params")
        if params is not None and not isinstance(params, dict):
            raise bad("base_params", "a table of Holt-Winters parameters or null")
        if base == "ets" and not _ets_params_ok(params):
            raise bad("base_params", "the fitted Holt-Winters parameters (period, spec, params, initial_seasons)")
        ref = d.get("window_ref")
        if ref is not None and not (_finite(ref) and ref > 0):
            raise bad("window_ref", "a finite positive number or null")
        return cls(**d)


MAX_STEPS = 10_000_000  # as Config's bounds on period, lookback and horizon


def _finite(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and bool(np.isfinite(value))


def _count(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= MAX_STEPS


def _ets_params_ok(params: object) -> bool:
    """The shape Ets.to_dict writes: null stands for "not applicable" (no season: smoothing_seasonal)."""
    if not isinstance(params, dict) or not _count(params.get("period")) or not isinstance(params.get("spec"), dict):
        return False
    spec, values, seasons = params["spec"], params.get("params"), params.get("initial_seasons")
    if not set(spec) <= {"trend", "damped_trend", "seasonal", "seasonal_periods", "initialization_method"} \
            or spec.get("seasonal") not in (None, "add", "mul") or spec.get("trend") not in (None, "add", "mul") \
            or not isinstance(spec.get("damped_trend", False), bool) or not isinstance(values, dict):
        return False  # the spec goes to statsmodels as keyword arguments: only the ones Ets writes
    if spec.get("seasonal") and spec.get("seasonal_periods") != params["period"]:
        return False
    needed = ("smoothing_level", "smoothing_trend", "damping_trend", "initial_level", "initial_trend")
    if not all(_finite(values.get(k)) for k in needed):
        return False
    if spec.get("seasonal"):
        return (_finite(values.get("smoothing_seasonal")) and isinstance(seasons, list)
                and len(seasons) == params["period"] and all(_finite(v) for v in seasons))
    return isinstance(seasons, list)


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
    ets: object | None = None  # (fitted Ets, its states_from) over this series, when Holt-Winters is a base
    calibration_size: int = 0  # u[val_end - calibration_size:val_end] calibrates the intervals; no choice reads it

    @property
    def select_end(self) -> int:
        """u[train_end:select_end] chooses the epoch, whether to keep the network, and the base."""
        return self.val_end - self.calibration_size

    @property
    def cross_split(self) -> int:
        """Where the selecting part's second half starts: calibration "cross" calibrates each half's
        residuals with the network that was best on the other half."""
        return self.train_end + (self.select_end - self.train_end) // 2

    @property
    def calibration_start(self) -> int:
        """Where the residuals that calibrate the intervals start: after the selecting part, or (runs
        without a calibration part) the validation part's start."""
        return self.select_end if self.calibration_size else self.train_end

    @property
    def n(self) -> int:
        return len(self.u)

    def first_origin(self, config: Config) -> int:
        """The first origin with a full lookback (and, under a Holt-Winters base, a filtered state)."""
        first = max(config.lookback, config.period) - 1
        if self.transform.base == "ets" and config.target != "level" and self.ets is not None:
            first = max(first, self.ets[1][1])
        return first

    def base(self, origins: np.ndarray, horizon: int, kind: str) -> np.ndarray:
        """(N, H) the base forecast of `kind` from each origin, in model space."""
        if kind != "ets":
            t = self.transform
            return base_forecast(self.u, origins, horizon, t.period, t.level_window, kind)
        fitted, states = self.ets
        values = fitted.forecast_states(states, origins, horizon)  # original units
        if self.transform.log:
            return np.log(np.maximum(values, ETS_BASE_FLOOR * np.median(self.y)))
        return values


class Windows:
    """Input windows ending at each origin and their scaled targets, drawn per batch.

    Windows are views into one feature array (T, F) and one model-space series (T,): a batch is
    gathered when asked for, never a copy per origin, so memory stays flat in the series length
    (DESIGN 2, 15). Targets at positions >= `limit` are masked (NaN): a training window never
    scores a step past the training part, a validation window only the validation part
    (targets before `start` are masked too).
    """

    def __init__(self, prep: "Prepared", origins: np.ndarray, config: Config, limit: int | None = None,
                 start: int = 0) -> None:
        # deferred: torch
        import torch  # here, not at the top: the dashboard's first page needs no torch (1 s to import)

        self.origins = np.asarray(origins, dtype=np.int64)  # (N,) position of the last observed step
        self.lookback, self.horizon = config.lookback, config.horizon
        self.limit = prep.n if limit is None else int(limit)
        self.start = int(start)
        self._prep, self._config = prep, config
        feats = torch.from_numpy(prep.features)  # (T, F), shared, not copied
        self._view = feats.unfold(0, self.lookback, 1)  # (T-L+1, F, L): window k starts at step k
        self._steps = np.arange(1, self.horizon + 1)
        self._ratio = window_ratios(prep, self.lookback)  # (T,) or None: each window's scale / the global one

    def __len__(self) -> int:
        return len(self.origins)

    def to(self, device) -> "Windows":
        """The same windows with the feature array moved to `device` once."""
        self._view = self._view.to(device)
        return self

    def inputs(self, idx) -> "torch.Tensor":
        """(B, L, F) float32 inputs of windows `idx` (ints or a bool mask over the N windows)."""
        import torch  # deferred: torch

        o = self.origins[np.asarray(idx)]
        starts = torch.as_tensor(o - self.lookback + 1, device=self._view.device)
        X = self._view[starts].transpose(1, 2)  # (B, L, F), gathered: a copy of these B windows only
        if self._ratio is not None:  # level_gap and change in the window's own scale
            inverse = torch.as_tensor(1.0 / self._ratio[o], dtype=X.dtype, device=X.device)
            X = X.contiguous()
            X[:, :, :N_SCALED_FEATURES] *= inverse[:, None, None]
        return X

    def scales(self, idx=slice(None)) -> np.ndarray:
        """(B,) the unit of each window's targets and outputs, in model space."""
        scale = self._prep.transform.scale
        o = self.origins[idx]
        return scale * (self._ratio[o] if self._ratio is not None else np.ones(len(o)))

    def values(self, scaled: np.ndarray, idx=slice(None)) -> np.ndarray:
        """Network outputs (B, H) of windows `idx` -> forecasts in the original units (B, H)."""
        return to_values(self._prep, self.origins[idx], self.base(idx), scaled, self.scales(idx))

    def base(self, idx=slice(None)) -> np.ndarray:
        """(B, H) what the network adds to, in model space."""
        t = self._prep.transform
        kind = "level" if self._config.target == "level" else t.base
        return self._prep.base(self.origins[idx], self.horizon, kind)

    def targets(self, idx=slice(None)) -> "torch.Tensor":
        """(B, H) float32 scaled targets, NaN where the step is unknown or outside [start, limit)."""
        import torch  # deferred: torch

        o = self.origins[idx]
        at = o[:, None] + self._steps[None, :]  # (B, H) target positions
        u = self._prep.u
        future = np.where((at < self.limit) & (at >= self.start), u[np.minimum(at, len(u) - 1)], np.nan)
        return torch.from_numpy(((future - self.base(idx)) / self.scales(idx)[:, None]).astype(np.float32))

    def batch(self, idx) -> tuple["torch.Tensor", "torch.Tensor"]:
        return self.inputs(idx), self.targets(idx)

    @property
    def X(self) -> "torch.Tensor":
        """Every window's inputs at once (N, L, F): a copy, for small sets (forecast origins, tests)."""
        return self.inputs(np.arange(len(self)))

    @property
    def Y(self) -> "torch.Tensor":
        return self.targets()


class TensorWindows:
    """Windows given as tensors X (N, L, F) and Y (N, H): for tests and benchmarks of `fit`."""

    def __init__(self, X, Y) -> None:
        self.X, self.Y = X, Y
        self.origins = np.arange(len(X))

    def __len__(self) -> int:
        return len(self.X)

    def to(self, device) -> "TensorWindows":
        self.X, self.Y = self.X.to(device), self.Y.to(device)
        return self

    def batch(self, idx):
        return self.X[idx], self.Y[idx]


def decide_season(loaded: LoadedSeries, config: Config) -> PeriodChoice:
    """The season for this data and config, decided once: the data panel shows it, training uses it.

    It is chosen without the future: never from the holdout, nor from the last 20%. The part left
    out is fixed before the period is known, and a default horizon never exceeds it.
    """
    values = loaded.frame[config.value_col or loaded.value_col].to_numpy(dtype=float)
    n = len(values)
    if n < MIN_POINTS:
        raise UserError(f"the series has only {n} points; training, validating and scoring a forecast needs at "
                        f"least {MIN_POINTS}; use a longer series")
    return infer_period(values[:max(n - _unseen(config, n), 3)], loaded.freq, override=config.period)


def _unseen(config: Config, n: int) -> int:
    """Points at the end that no choice made from the data may look at."""
    return max(config.horizon or min(MAX_DEFAULT_HORIZON, n // 4), n // 5, 1)


def resolve(config: Config, loaded: LoadedSeries) -> tuple[Config, str]:
    """Fill period, horizon, lookback and val_size from the data. Returns the config and a period note."""
    choice = decide_season(loaded, config)
    n = len(loaded.frame)
    unseen = _unseen(config, n)
    period = choice.period
    horizon = config.horizon or min(_default_horizon(period, n), unseen)
    lookback = config.lookback or max(min(2 * period, MAX_DEFAULT_LOOKBACK), 2 * horizon, 8)
    val_size = config.val_size or max(horizon, n // 10)
    calibration = None
    if config.calibration == "part":
        calibration = val_size // 2 if config.calibration_size is None else config.calibration_size
    if calibration is not None and calibration >= val_size:
        raise UserError(f"`calibration_size` ({calibration}) must be smaller than the validation part ({val_size} "
                        "steps): the steps before it choose the epoch and the base; lower it or raise val_size")
    if config.lookback is None:  # a short series gets a shorter default window rather than an error
        room = n - (2 * horizon + val_size + MIN_TRAIN_WINDOWS)
        lookback = max(2, min(lookback, room))
    resolved = Config.from_dict({**config.to_dict(), "value_col": config.value_col or loaded.value_col,
                                 "period": period, "horizon": horizon, "lookback": lookback,
                                 "val_size": val_size, "calibration_size": calibration})
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
        anchor = (str(index[0]) if isinstance(index, pd.DatetimeIndex) else int(index[0])) if len(index) else None
        ref = float(np.mean(np.abs(np.diff(u[:train_end])))) if config.window_scale else None
        transform = Transform(use_log, difference, period, level_window, scale, cov_mean, cov_std, anchor,
                              window_ref=ref if ref and np.isfinite(ref) and ref > 1e-12 else None)
        prep = Prepared(index, y_all[skip:], v_all[skip:], u, np.empty((n, 0), np.float32), [], transform,
                        train_end, val_end, calibration_size=config.calibration_size or 0)
        candidates = BASES if config.base == "auto" else (config.base,)
        if "ets" in candidates and (difference or n > ETS_BASE_MAX_POINTS):
            candidates = tuple(c for c in candidates if c != "ets") or ("seasonal_naive",)
        if "ets" in candidates:
            prep.ets = _ets_base(y_all, train_end, period, None, frame.index)
            if prep.ets is None:
                candidates = tuple(c for c in candidates if c != "ets") or ("seasonal_naive",)
        transform.base = choose_base(prep, config, candidates)
        if transform.base == "ets":
            start = prep.ets[1][1]
            label = frame.index[start]
            transform.base_params = {**prep.ets[0].to_dict(),
                                     "start_anchor": str(label) if isinstance(frame.index, pd.DatetimeIndex) else int(label)}
        ets = prep.ets  # kept when computed: what the other bases would have been stays inspectable
    else:
        ets = _ets_base(y_all, 0, period, transform.base_params, frame.index) if transform.base == "ets" else None
    features, names = _features(u, index, frame, config, transform, skip)
    return Prepared(index, y_all[skip:], v_all[skip:], u, features, names, transform, train_end, val_end, ets,
                    config.calibration_size or 0)


def _check_length(n: int, config: Config, train_end: int) -> None:
    first_origin = max(config.lookback, config.period) - 1
    n_train = train_end - 1 - first_origin  # training origins: first_origin .. train_end - 2
    if n_train < MIN_TRAIN_WINDOWS:
        need = first_origin + 1 + MIN_TRAIN_WINDOWS + config.val_size + config.horizon
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
                  kind: str) -> np.ndarray:
    """What the network adds to, per origin, in model space (N, H): "seasonal_naive" (same as last
    season), "naive" (the last value) or "level" (the recent level, for target "level")."""
    if kind == "level":
        level = rolling_level(u, level_window)[origins]
        return np.repeat(level[:, None], horizon, axis=1)
    h = np.arange(1, horizon + 1)
    seasonal = kind == "seasonal_naive" and period > 1
    offsets = h - period * np.ceil(h / period).astype(int) if seasonal else np.zeros(horizon, int)
    return u[origins[:, None] + offsets[None, :]]


N_SCALED_FEATURES = 2  # level_gap and change: the features measured in the series' unit
MIN_WINDOW_RATIO = 0.05  # a flat window's scale is floored at this share of the training part's


def window_ratios(prep: "Prepared", lookback: int) -> np.ndarray | None:
    """(T,) each window's mean |step change| over its lookback, relative to the training part's
    (`Transform.window_ref`); None when per-window scaling is off.

    Real series change volatility over decades (gas production, sales): one global unit makes an old,
    volatile stretch dominate the training loss and the network over-correct the calm present.
    Measuring each window in its own unit keeps every stretch comparable (in the spirit of
    DeepAR's per-window scaling).
    """
    ref = prep.transform.window_ref
    if not ref:
        return None
    change = np.abs(np.diff(prep.u, prepend=prep.u[0]))
    total = np.concatenate([[0.0], np.cumsum(change)])
    ends = np.arange(len(prep.u))
    starts = np.maximum(ends - lookback + 1, 1)  # step 0 has no change before it
    width = np.maximum(ends - starts + 1, 1)
    mean = (total[ends + 1] - total[starts]) / width
    return np.maximum(mean / ref, MIN_WINDOW_RATIO)


BASES = ("seasonal_naive", "naive", "ets")  # candidates for base "auto", in order of preference on a tie
BASE_CHOICE_ORIGINS = 2000  # the most recent origins whose base errors choose the base
ETS_BASE_MAX_POINTS = 50_000  # filtering Holt-Winters through the whole series costs ~15 us a step
ETS_BASE_FLOOR = 1e-6  # of the median value: a Holt-Winters forecast <= 0 on a log scale is clipped here


def choose_base(prep: Prepared, config: Config, candidates: tuple[str, ...]) -> str:
    """The base with the lowest mean absolute error on the validation part, at every horizon step.

    Every candidate forecasts data it was not fitted on there (Holt-Winters is fitted on the training
    part): in-sample errors would favour the fitted one. Like early stopping, this choice reads the
    validation part and never the holdout.
    """
    if len(candidates) == 1:
        return candidates[0]
    start, end, H = prep.train_end, prep.select_end, config.horizon
    first = max(config.lookback, config.period) - 1
    if prep.ets is not None:
        first = max(first, prep.ets[1][1])  # Holt-Winters' states start where its fit started
    origins = np.arange(max(first, start - H), end - 1)[-BASE_CHOICE_ORIGINS:]
    if len(origins) == 0:
        return candidates[0]
    at = origins[:, None] + np.arange(1, H + 1)[None, :]
    known = (at >= start) & (at < end)
    truth = prep.u[np.minimum(at, end - 1)]
    errors = {kind: float(np.mean(np.abs(truth - prep.base(origins, H, kind))[known])) for kind in candidates}
    return min(candidates, key=lambda k: (errors[k], candidates.index(k)))


def _ets_base(y: np.ndarray, train_end: int, period: int, params: dict | None, index: pd.Index):
    """(Ets, its states over y from where its fit started): fitted on y[:train_end] (shared with the ETS
    baseline's fit), or rebuilt from a run's stored parameters. Applied to data that holds the step the
    fit started at (a backtest, the same file), the states are the fitted ones from there; on other data
    they are filtered from its first step (a burn-in of a few seasons)."""
    fitted = Ets.from_dict(params) if params is not None else fitted_baselines(y[:train_end], period)["ets"]
    if params is None:
        start = fitted.offset_
    else:
        anchor = params.get("start_anchor")
        where = _position(index, anchor) if anchor is not None else None
        start = where if where is not None else 0
    if fitted.result_ is None:
        return None
    if fitted.spec_.get("seasonal") == "mul" and not np.all(y > 0):
        if params is None:
            return None  # a multiplicative season cannot follow values <= 0: another base is chosen
        raise UserError("this run's Holt-Winters base has a multiplicative season, and the new data has values "
                        "<= 0; use data on the same scale as the training data")
    return fitted, fitted.states_from(y, start)


def _position(index: pd.Index, label) -> int | None:
    """Where `label` (a time stamp as text, or a step number) is in `index`; None when absent."""
    try:
        key = pd.Timestamp(label) if isinstance(index, pd.DatetimeIndex) else int(label)
        found = index.get_indexer([key])[0]
    except (ValueError, TypeError):
        return None
    return int(found) if found >= 0 else None


def windows(prep: Prepared, origins: np.ndarray, config: Config, limit: int | None = None, start: int = 0) -> Windows:
    """Windows ending at each origin; targets outside [start, limit) (default: all known) are masked."""
    return Windows(prep, origins, config, limit, start)


def split_origins(prep: Prepared, config: Config) -> tuple[np.ndarray, np.ndarray]:
    """Training and validation origins; each judges only targets on its own side of the split.

    Training origins run up to the step before the validation part, their targets masked at
    `train_end`; validation origins are every origin with at least one target inside the
    selecting part of validation [train_end, select_end), masked outside it. So every such step is
    judged at every horizon step, and none of it was a training target (`windows(..., limit=...)`).
    """
    first = prep.first_origin(config)
    H = config.horizon
    train = np.arange(first, prep.train_end - 1)
    val = np.arange(max(first, prep.train_end - H), prep.select_end - 1)
    return train, val


def calibration_origins(prep: Prepared, config: Config) -> np.ndarray:
    """Origins with at least one target in the calibration part [calibration_start, val_end): the
    selecting part's own origins for runs without a calibration part."""
    first = prep.first_origin(config)
    return np.arange(max(first, prep.calibration_start - config.horizon), prep.val_end - 1)


def train_val_windows(prep: Prepared, config: Config) -> tuple[Windows, Windows]:
    """Training windows (targets masked from train_end) and validation windows (only the validation part)."""
    train, val = split_origins(prep, config)
    return (windows(prep, train, config, limit=prep.train_end),
            windows(prep, val, config, limit=prep.select_end, start=prep.train_end))


def to_values(prep: Prepared, origins: np.ndarray, base: np.ndarray, scaled: np.ndarray,
              scales: np.ndarray | None = None) -> np.ndarray:
    """Network output (N, H) in scaled units -> forecasts in the original units (N, H).

    scales: (N,) each window's unit (Windows.scales); the global scale when None."""
    unit = prep.transform.scale if scales is None else np.asarray(scales)[:, None]
    u_hat = base + scaled * unit
    if prep.transform.difference:
        u_hat = prep.v[origins][:, None] + np.cumsum(u_hat, axis=1)
    return np.exp(u_hat) if prep.transform.log else u_hat


def future_index(index: pd.Index, horizon: int, freq: str | None) -> pd.Index:
    """The `horizon` steps after the last one."""
    if isinstance(index, pd.DatetimeIndex) and freq:
        return pd.date_range(index[-1], periods=horizon + 1, freq=freq)[1:]
    last = int(index[-1]) if len(index) else -1
    return pd.RangeIndex(last + 1, last + 1 + horizon)
