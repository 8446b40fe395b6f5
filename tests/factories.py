"""Small data factories shared by the whole test-suite."""
from __future__ import annotations

from pathlib import Path

from lstm_forecast.data.samples import load_sample, make_synthetic
from lstm_forecast.data.series import LoadedSeries


def sine_series(
    n: int = 400, period: int = 24, freq: str | None = "h", noise: float = 0.1, seed: int = 0
) -> LoadedSeries:
    """A unit-amplitude sine around 10 with one season of `period` steps, no trend."""
    return make_synthetic(
        n, freq=freq, periods=(period,), amplitudes=(1.0,), trend=0.0, noise=noise, level=10.0, seed=seed
    )


def airline() -> LoadedSeries:
    """The classic monthly airline passengers, 1949-1960 (144 points)."""
    return load_sample("airline")


def write_csv(tmp_path: Path, text: str, name: str = "x.csv", encoding: str = "utf-8") -> Path:
    """Write `text` to tmp_path/name in `encoding` and return the path."""
    path = Path(tmp_path) / name
    path.write_bytes(text.encode(encoding))
    return path
