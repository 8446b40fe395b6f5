"""What every forecaster gives evaluation: points and intervals in one shape (DESIGN 16).

A forecaster is anything with `forecast_from(y, origins, horizon) -> (N, H)`: the baselines
(baselines.py) and the network (network.NetworkForecaster) alike. `forecasts` asks each for its
points at the same origins; `Forecast` carries them with their conformal band, every array (N, H).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping, Protocol

import numpy as np

from . import intervals as I


class Forecaster(Protocol):
    """The contract: row k of the (N, H) result reads y[: origins[k] + 1] only."""

    def forecast_from(self, y: np.ndarray, origins, horizon: int) -> np.ndarray: ...


@dataclass
class Forecast:
    """Point forecasts and their band at N origins, each (N, H); no band when nothing calibrated it."""

    points: np.ndarray  # (N, H)
    bands: dict[str, np.ndarray] = field(default_factory=dict)  # lower_80, upper_80, lower_95, upper_95: (N, H)

    @classmethod
    def calibrated(cls, points: np.ndarray, calibration: I.Calibration | None) -> "Forecast":
        return cls(points, I.bounds(points, calibration) if calibration is not None else {})

    def columns(self, rows=slice(None)) -> dict[str, np.ndarray]:
        """{"forecast": ..., "lower_80": ..., ...} of `rows`, each flattened origin-major."""
        return {"forecast": self.points[rows].reshape(-1), **{k: v[rows].reshape(-1) for k, v in self.bands.items()}}


def forecasts(methods: Mapping[str, Forecaster], y: np.ndarray, origins, horizon: int) -> dict[str, np.ndarray]:
    """Every method's (N, H) points from the same origins of the same series."""
    return {name: method.forecast_from(y, origins, horizon) for name, method in methods.items()}
