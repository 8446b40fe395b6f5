"""Honest baselines, on the networks' contract: fit on a history, then forecast from any origin.

`fit(history, period)` returns a fitted baseline with
- `forecast(horizon)`: the next `horizon` steps after the fitted history, (H,);
- `forecast_from(y, origins, horizon)`: the fitted model applied at many origins of a longer series
  `y` without refitting, (N, H). Row k reads y[: origins[k] + 1] only.

The one-shot functions `naive(history, horizon, period)` etc. keep the old contract for callers
that want a single forecast.
"""
from __future__ import annotations

import hashlib
import time
import warnings
from collections import OrderedDict
from dataclasses import dataclass, field

import numpy as np

ETS_MAX_HISTORY = 2000  # steps; Holt-Winters on longer histories gains little and costs seconds
ETS_ESTIMATED_MAX_PERIOD = 52  # beyond this many seasonal states, start them by the heuristic, not by optimising each


def _season_offsets(horizon: int, period: int) -> np.ndarray:
    """For h = 1..H, the offset of the last observed step in the same phase: h - period*ceil(h/period) (<= 0)."""
    h = np.arange(1, horizon + 1)
    return h - period * np.ceil(h / period).astype(int)


def _origins(y: np.ndarray, origins) -> np.ndarray:
    o = np.asarray(origins, dtype=int)
    if o.size and (o.min() < 0 or o.max() >= len(y)):
        raise ValueError(f"origins must lie in [0, {len(y) - 1}], got {o.min()}..{o.max()}")
    return o


@dataclass
class Naive:
    """Every step equals the last value."""

    name: str = "naive"

    def fit(self, history: np.ndarray, period: int = 1) -> "Naive":
        self.last_ = float(np.asarray(history, dtype=float)[-1])
        return self

    def forecast(self, horizon: int) -> np.ndarray:
        return np.full(horizon, self.last_)

    def forecast_from(self, y: np.ndarray, origins, horizon: int) -> np.ndarray:
        o = _origins(y, origins)
        return np.repeat(np.asarray(y, dtype=float)[o][:, None], horizon, axis=1)


@dataclass
class SeasonalNaive:
    """Every step equals the value one season earlier ("same as last season"); naive without a season."""

    name: str = "seasonal_naive"

    def fit(self, history: np.ndarray, period: int = 1) -> "SeasonalNaive":
        self.history_, self.period_ = np.asarray(history, dtype=float), int(period)
        return self

    def forecast(self, horizon: int) -> np.ndarray:
        y, p = self.history_, self.period_
        if p <= 1 or len(y) < p:
            return np.full(horizon, y[-1])
        return np.resize(y[-p:], horizon)  # repeats the season for horizons > period

    def forecast_from(self, y: np.ndarray, origins, horizon: int) -> np.ndarray:
        y, o, p = np.asarray(y, dtype=float), _origins(y, origins), self.period_
        if p <= 1:
            return np.repeat(y[o][:, None], horizon, axis=1)
        idx = o[:, None] + _season_offsets(horizon, p)[None, :]  # (N, H)
        short = o < p - 1  # fewer than one season seen: naive, as `forecast` does
        out = y[np.maximum(idx, 0)]
        out[short] = y[o[short]][:, None]
        return out


@dataclass
class Drift:
    """The line from the first to the last value, extended."""

    name: str = "drift"

    def fit(self, history: np.ndarray, period: int = 1) -> "Drift":
        self.history_ = np.asarray(history, dtype=float)
        return self

    def forecast(self, horizon: int) -> np.ndarray:
        y = self.history_
        slope = (y[-1] - y[0]) / max(len(y) - 1, 1)
        return y[-1] + slope * np.arange(1, horizon + 1)

    def forecast_from(self, y: np.ndarray, origins, horizon: int) -> np.ndarray:
        y, o = np.asarray(y, dtype=float), _origins(y, origins)
        slope = (y[o] - y[0]) / np.maximum(o, 1)
        return y[o][:, None] + slope[:, None] * np.arange(1, horizon + 1)[None, :]


@dataclass
class Ets:
    """Holt-Winters exponential smoothing (statsmodels), damped additive trend.

    The season is multiplicative when every value is positive and that fits better (AIC),
    additive otherwise; it is left out when fewer than two full seasons are available. Long
    seasons (more than ETS_ESTIMATED_MAX_PERIOD steps) start their seasonal states by the
    heuristic decomposition rather than optimising hundreds of them. At most the last
    ETS_MAX_HISTORY steps are used.

    `forecast_from` reuses the fitted smoothing parameters and initial states: statsmodels filters
    the longer series once with them, and each origin's forecast is read from the filtered level,
    trend and season at that origin (`_forecast_at`; the tests check it against statsmodels' own
    `forecast` from every origin). `forecast` uses the same function at the fitted history's end.
    """

    name: str = "ets"
    fit_seconds_: float = field(default=0.0, init=False)

    def fit(self, history: np.ndarray, period: int = 1) -> "Ets":
        from statsmodels.tsa.holtwinters import ExponentialSmoothing  # deferred: statsmodels

        start = time.perf_counter()
        y = np.asarray(history, dtype=float)
        self.offset_ = max(len(y) - ETS_MAX_HISTORY, 0)  # where the fitted history starts in `history`
        y = y[self.offset_:]
        self.period_, self.result_, self.spec_ = int(period), None, None
        options: list[str | None] = [None]
        if 1 < period and len(y) >= 2 * period:
            options = ["add", "mul"] if np.all(y > 0) else ["add"]
        best_aic = np.inf
        for seasonal in options:
            spec = dict(trend="add", damped_trend=True, seasonal=seasonal,
                        seasonal_periods=period if seasonal else None,
                        initialization_method="heuristic" if seasonal and period > ETS_ESTIMATED_MAX_PERIOD
                        else "estimated")
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    result = ExponentialSmoothing(y, **spec).fit()
            except (ValueError, np.linalg.LinAlgError):
                continue
            if np.isfinite(result.aic) and result.aic < best_aic:
                self.result_, self.spec_, best_aic = result, spec, result.aic
        self.last_ = float(y[-1])
        self.fit_seconds_ = time.perf_counter() - start
        return self

    @property
    def description(self) -> str:
        if self.spec_ is None:
            return "no model converged: naive"
        season = self.spec_["seasonal"]
        return f"damped trend, {season + 'itive' if season == 'add' else season + 'tiplicative' if season else 'no'} season"

    def forecast(self, horizon: int) -> np.ndarray:
        if self.result_ is None:
            return np.full(horizon, self.last_)
        r = self.result_
        states = (np.asarray(r.level, dtype=float), np.asarray(r.trend, dtype=float), self._season(r.season))
        out = self._forecast_at(states, np.array([len(r.level) - 1]), horizon)[0]
        return out if np.all(np.isfinite(out)) else np.full(horizon, self.last_)

    def forecast_from(self, y: np.ndarray, origins, horizon: int) -> np.ndarray:
        y, o = np.asarray(y, dtype=float), _origins(y, origins)
        if self.result_ is None or not o.size:
            return np.repeat(y[o][:, None], horizon, axis=1)
        if o.min() < self.offset_:
            raise ValueError(f"origins before the fitted history's start ({self.offset_}) cannot be forecast")
        out = self._forecast_at(self._states(y[self.offset_: o.max() + 1]), o - self.offset_, horizon)
        bad = ~np.all(np.isfinite(out), axis=1)
        out[bad] = y[o[bad]][:, None]
        return out

    def to_dict(self) -> dict | None:
        """What `from_dict` needs to filter and forecast again (JSON-safe); None when no model converged."""
        if self.result_ is None:
            return None
        p = self.result_.params
        keys = ("smoothing_level", "smoothing_trend", "smoothing_seasonal", "damping_trend", "initial_level",
                "initial_trend")
        return {"spec": {k: v for k, v in self.spec_.items()}, "period": self.period_, "offset": self.offset_,
                "params": {k: (None if p[k] is None else float(p[k])) for k in keys},
                "initial_seasons": [float(v) for v in np.atleast_1d(p["initial_seasons"])] if self.spec_["seasonal"] else []}

    @classmethod
    def from_dict(cls, d: dict) -> "Ets":
        """A fitted Ets rebuilt from `to_dict`, able to filter new data (`states_from`) and forecast."""
        fitted = cls()
        fitted.period_, fitted.spec_, fitted.offset_ = int(d["period"]), dict(d["spec"]), 0
        fitted.result_ = _Params({**d["params"], "initial_seasons": np.asarray(d["initial_seasons"], dtype=float)})
        fitted.last_ = float("nan")
        return fitted

    def states_from(self, y: np.ndarray, start: int = 0):
        """Level, trend and season filtered through y[start:], started from the fitted initial states.

        With `start` where the fitted history began (`offset_` in the series it was fitted on) the
        states are exactly the fitted ones; anywhere else the first seasons are a burn-in. For
        forecasts from many origins: `forecast_states`.
        """
        return self._states(np.asarray(y, dtype=float)[start:]), int(start)

    def forecast_states(self, states, at: np.ndarray, horizon: int) -> np.ndarray:
        """(N, H) forecasts from positions `at` (in the series given to `states_from`, >= its start)."""
        filtered, start = states
        at = np.asarray(at, dtype=int) - start
        if at.size and at.min() < 0:
            raise ValueError(f"origins before the filtered stretch's start ({start}) have no Holt-Winters state")
        return self._forecast_at(filtered, at, horizon)

    def _forecast_at(self, states, at: np.ndarray, horizon: int) -> np.ndarray:
        """The damped-trend forecast function at positions `at` of the filtered states, (N, H).

        y_(t+h) = (l_t + (phi + ... + phi^h) b_t) (+ or x) s_(t+h-m*ceil(h/m)): the latest seasonal
        estimate of each phase (Hyndman & Athanasopoulos, FPP3 8.3). statsmodels' own `forecast`
        agrees except at h = m, 2m, ..., where it reads that phase's state one cycle older.
        """
        level, trend, season = states
        phi = self.result_.params["damping_trend"]
        phi_h = np.cumsum(phi ** np.arange(1, horizon + 1))  # (H,)
        out = level[at][:, None] + trend[at][:, None] * phi_h[None, :]  # (N, H)
        seasonal = self.spec_["seasonal"]
        if seasonal:
            phase_state = season[at[:, None] + _season_offsets(horizon, self.period_)[None, :]]  # (N, H)
            out = out * phase_state if seasonal == "mul" else out + phase_state
        return out

    def _season(self, filtered_season) -> "_NegIndexed | None":
        if not self.spec_["seasonal"]:
            return None
        initial = np.asarray(self.result_.params["initial_seasons"], dtype=float)
        return _NegIndexed(np.concatenate([initial, np.asarray(filtered_season, dtype=float)]), self.period_)

    def _states(self, y: np.ndarray):
        """Level, trend and season filtered through `y` with the fitted parameters and initial
        states (statsmodels' own filter); `season` indexed from -period."""
        from statsmodels.tsa.holtwinters import ExponentialSmoothing  # deferred: statsmodels

        params = self.result_.params
        spec = {k: v for k, v in self.spec_.items() if k != "initialization_method"}
        known = dict(initial_level=params["initial_level"], initial_trend=params["initial_trend"])
        if spec["seasonal"]:
            known["initial_seasonal"] = params["initial_seasons"]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            filtered = ExponentialSmoothing(y, initialization_method="known", **known, **spec).fit(
                smoothing_level=params["smoothing_level"], smoothing_trend=params["smoothing_trend"],
                smoothing_seasonal=params["smoothing_seasonal"] if spec["seasonal"] else None,
                damping_trend=params["damping_trend"], optimized=False)
        return (np.asarray(filtered.level, dtype=float), np.asarray(filtered.trend, dtype=float),
                self._season(filtered.season))


class _Params:
    """The fitted parameters of an Ets rebuilt from JSON, read as statsmodels' results.params is."""

    def __init__(self, params: dict) -> None:
        self.params = params


class _NegIndexed:
    """An array indexed from -offset: a[i] reads data[i + offset]."""

    def __init__(self, data: np.ndarray, offset: int) -> None:
        self.data, self.offset = data, offset

    def __getitem__(self, idx):
        return self.data[np.asarray(idx) + self.offset]


BASELINES: dict[str, type] = {"naive": Naive, "seasonal_naive": SeasonalNaive, "drift": Drift, "ets": Ets}


def fit_all(history: np.ndarray, period: int) -> dict[str, object]:
    """Every baseline fitted on `history`."""
    return {name: cls().fit(history, period) for name, cls in BASELINES.items()}


CACHE_SIZE = 16  # fitted baselines kept per process: the dashboard trains many runs on one series
_CACHE: OrderedDict = OrderedDict()


def fitted_baselines(history: np.ndarray, period: int) -> dict[str, object]:
    """Every baseline fitted on `history`, reused across runs of the same data, part and season."""
    key = (hashlib.sha1(np.ascontiguousarray(history, dtype=float).tobytes()).hexdigest(), int(period))
    if key in _CACHE:
        _CACHE.move_to_end(key)
        return _CACHE[key]
    fitted = fit_all(history, period)
    _CACHE[key] = fitted
    while len(_CACHE) > CACHE_SIZE:
        _CACHE.popitem(last=False)
    return fitted


def _one_shot(cls):
    def forecast(history: np.ndarray, horizon: int, period: int = 1) -> np.ndarray:
        return cls().fit(history, period).forecast(horizon)

    forecast.__name__ = cls.name if isinstance(cls.name, str) else cls.__name__.lower()
    forecast.__doc__ = cls.__doc__
    return forecast


naive = _one_shot(Naive)
seasonal_naive = _one_shot(SeasonalNaive)
drift = _one_shot(Drift)
ets = _one_shot(Ets)
