"""Small panels for the scale tests: long CSV text with good and bad series, and generated panels."""
from __future__ import annotations

import numpy as np
import pandas as pd

from lstm_forecast.data.samples import make_synthetic
from lstm_forecast.scale.panel import panel_from_series


def long_csv(ids=("a", "b", "c"), n: int = 240, levels=(10.0, 1000.0, 0.5), sep: str = ",",
             decimal: str = ".") -> str:
    """Hourly sines around each level, one row per id and hour, as a long CSV text."""
    rng = np.random.default_rng(0)
    rows = []
    for sid, level in zip(ids, levels):
        stamps = pd.date_range("2024-01-01", periods=n, freq="h")
        values = level * (1 + 0.2 * np.sin(2 * np.pi * np.arange(n) / 24)) + rng.normal(0, 0.02 * level, n)
        rows += [(sid, t.strftime("%Y-%m-%d %H:%M"), f"{v:.5f}".replace(".", decimal)) for t, v in zip(stamps, values)]
    frame = pd.DataFrame(rows, columns=["id", "time", "value"])
    return frame.to_csv(index=False, sep=sep, lineterminator="\n")


def small_panel(k: int = 3, n: int = 300, levels=(0.1, 10.0, 1e5), periods=(24,)):
    """k generated hourly series whose levels differ by orders of magnitude."""
    series = {}
    for i in range(k):
        level = levels[i % len(levels)]
        loaded = make_synthetic(n, periods=periods, amplitudes=tuple(0.2 * level for _ in periods), trend=0.0,
                                noise=0.03 * level, level=level, seed=i)
        loaded.source = f"s{i}"
        series[f"s{i}"] = loaded
    return panel_from_series(series, source="test panel")
