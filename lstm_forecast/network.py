"""The network on the baselines' contract (DESIGN 16): fit, then `forecast_from(y, origins, horizon)`.

A `NetworkForecaster` is built from the `Prepared` series it forecasts (its model space, features and
fitted transform). `fit` trains a network on that series' training part, stopping early on its
validation part; `trained` wraps a network that is already trained (a saved run, a global model's
member). Either way `forecast_from` gives (N, H) forecasts in the original units, row k read from
the data up to `origins[k]` only, exactly as a baseline's, so `evaluation/` scores both alike.
"""
from __future__ import annotations

import copy
from typing import TYPE_CHECKING

import numpy as np

from .config import Config
from .prepare import Prepared, Windows, train_val_windows, windows

if TYPE_CHECKING:  # torch loads on first use: the dashboard's first page needs no torch
    import torch

    from .model import Forecaster
    from .train import FitResult, ProgressCallback


def cross_split(prep: Prepared, config: Config) -> int | None:
    """Where `fit` splits the validation part for calibration "cross" (None for the other calibrations)."""
    return prep.cross_split if config.calibration == "cross" else None


class NetworkForecaster:
    """A network over one prepared series. `model_` and `result_` are set by `fit` (or given)."""

    name = "model"

    def __init__(self, prep: Prepared, config: Config, model: "Forecaster | None" = None) -> None:
        self.prep, self.config = prep, config
        self.model_ = model
        self.result_: FitResult | None = None

    @classmethod
    def trained(cls, prep: Prepared, config: Config, model: "Forecaster") -> "NetworkForecaster":
        return cls(prep, config, model)

    def fit(self, callback: ProgressCallback | None = None, *, device: "torch.device", threads: int | None = None,
            split: tuple[Windows, Windows] | None = None) -> "NetworkForecaster":
        """Train a fresh network (seeded by the config) on the prepared training part; it ends on the CPU.

        split: the (training, validation) windows when the caller has built them already."""
        import torch  # deferred: torch (1 s)

        from .model import build_model  # deferred: model.py imports torch
        from .train import fit_model  # deferred: train.py imports torch

        train_w, val_w = split or train_val_windows(self.prep, self.config)
        torch.manual_seed(self.config.seed)
        self.model_ = build_model(len(self.prep.feature_names), self.config)
        self.result_ = fit_model(self.model_, train_w, val_w, self.config, device, callback, threads=threads,
                                 cross_split=cross_split(self.prep, self.config))
        self.model_.cpu()
        return self

    def cross_calibration(self, y: np.ndarray, origins: np.ndarray, states: tuple[dict, dict]) -> np.ndarray:
        """(N, H) forecasts from `origins` for calibrating: at a target before `prep.cross_split` the network
        best on the targets from it on, at a target from it on the network best before it. Neither chose
        its weights on the targets it forecasts here (Config.calibration "cross")."""
        before, after = [], []
        for state, out in ((states[1], before), (states[0], after)):
            model = copy.deepcopy(self.model_)
            model.load_state_dict(state)
            out.append(NetworkForecaster.trained(self.prep, self.config, model).forecast_from(y, origins, self.config.horizon))
        skip = 1 if self.prep.transform.difference else 0
        at = np.asarray(origins)[:, None] - skip + np.arange(1, self.config.horizon + 1)[None, :]  # (N, H) in u
        return np.where(at < self.prep.cross_split, before[0], after[0])

    def forecast_from(self, y: np.ndarray, origins, horizon: int) -> np.ndarray:
        """(N, H) forecasts from positions `origins` of `y`, the original series `prep` was built from."""
        import torch  # deferred: torch (1 s)

        from .train import predict  # deferred: train.py imports torch

        if self.model_ is None:
            raise ValueError("the network is not trained: call fit first")
        if horizon != self.config.horizon:
            raise ValueError(f"the network forecasts {self.config.horizon} steps, not {horizon}: its head is "
                             "that wide")
        skip = 1 if self.prep.transform.difference else 0  # u[k] is y[k + 1] when differencing
        if len(y) != self.prep.n + skip:
            raise ValueError(f"y has {len(y)} points, the prepared series {self.prep.n + skip}: pass the series "
                             "the forecaster was built from")
        o = np.asarray(origins, dtype=int) - skip
        first = self.config.lookback - 1
        if o.size and (o.min() < first or o.max() >= self.prep.n):
            raise ValueError(f"origins must lie in [{first + skip}, {len(y) - 1}] (a full lookback of "
                             f"{self.config.lookback}), got {o.min() + skip}..{o.max() + skip}")
        w = windows(self.prep, o, self.config)
        return w.values(predict(self.model_, w, torch.device("cpu")))  # (N, H)
