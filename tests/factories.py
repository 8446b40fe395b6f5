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


def gappy_two_columns(n: int = 300, lead: int = 5, gap: tuple[int, int] = (100, 112), seed: int = 0):
    """A CSV read by the real loader: hourly `a` (complete) and `b`, whose first `lead` cells and the
    cells of rows gap[0]..gap[1]-1 are empty (trimmed, then filled by interpolation).

    Returns (loaded, b, filled): `b` the written values of the trimmed target (NaN where empty),
    `filled` the positions in that trimmed frame the loader filled in.
    """
    import numpy as np
    import pandas as pd

    from lstm_forecast.data.loading import load_csv

    rng = np.random.default_rng(seed)
    t = np.arange(n)
    a = 10 + np.sin(2 * np.pi * t / 12) + 0.1 * rng.standard_normal(n)
    b = 50 + 5 * np.sin(2 * np.pi * t / 12) + rng.standard_normal(n)  # noisy: interpolation is visibly wrong
    b[:lead] = np.nan
    b[gap[0]:gap[1]] = np.nan
    frame = pd.DataFrame({"date": pd.date_range("2024-01-01", periods=n, freq="h"), "a": a, "b": b})
    loaded = load_csv(frame.to_csv(index=False).encode(), freq="h").with_value("b")
    return loaded, b[lead:], np.arange(gap[0] - lead, gap[1] - lead)


def scale_by_hand(written, upto: int, lag: int) -> tuple[float, int]:
    """Mean |y_t - y_(t-lag)| over written[:upto] where both were written (NaN: filled), and the
    number of differences left out."""
    import numpy as np

    y = np.asarray(written[:upto], dtype=float)
    d = y[lag:] - y[:-lag]
    kept = ~np.isnan(d)
    return float(np.mean(np.abs(d[kept]))), int((~kept).sum())


def app_over_saved_run(run, tmp_path: Path, monkeypatch, script):
    """AppTest of `script` with a copy of `run` saved as the only run of a fresh runs folder."""
    import copy

    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from lstm_forecast.runs import save_run

    root = tmp_path / "runs"
    save_run(copy.deepcopy(run), root / run.run_id)
    monkeypatch.setenv("LSTM_FORECAST_RUNS", str(root))
    st.cache_data.clear()
    at = AppTest.from_function(script, default_timeout=120).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def inside_over_sine():
    """An AppTest script: the Look-inside step over `sine_series(n=300)` and the runs trained on it."""
    from lstm_forecast.ui.compare_step import runs_for
    from lstm_forecast.ui.inside_step import show_inside
    from tests.factories import sine_series

    loaded = sine_series(n=300)
    runs, _ = runs_for(loaded)
    show_inside(loaded, runs)
