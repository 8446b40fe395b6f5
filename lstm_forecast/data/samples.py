"""The bundled sample series (CSV files in the repository's `data/`) and a synthetic generator.

Sources, licences and cleaning of each file are in `data/README.md`.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import UserError
from .loading import load_csv
from .series import LoadedSeries
from .source import Source

DATA_DIR = Path(__file__).resolve().parents[2] / "data"


@dataclass(frozen=True)
class Sample:
    """One entry of the sample dropdown: where the data is and what to expect of it."""

    name: str  # registry key, short and stable
    file: Path | None  # CSV under DATA_DIR; None for the generated series
    date_col: str | None
    value_col: str
    description: str  # one line for a dropdown
    freq: str | None  # pandas frequency string of the regular index
    period: int  # the true (expected) season, in steps
    default_horizon: int  # steps to forecast unless the user says otherwise


SAMPLES: dict[str, Sample] = {
    sample.name: sample
    for sample in [
        Sample(
            name="airline",
            file=DATA_DIR / "airline_passengers.csv",
            date_col="Month",
            value_col="Passengers",
            description="Airline passengers, monthly 1949-1960 (144 points, trend + growing yearly season)",
            freq="MS",
            period=12,
            default_horizon=12,
        ),
        Sample(
            name="seattle_hourly_temp",
            file=DATA_DIR / "seattle_hourly_temp.csv",
            date_col="time",
            value_col="temp_f",
            description="Seattle temperature (deg F), hourly 2010 (8,760 points, daily cycle)",
            freq="h",
            period=24,
            default_horizon=24,
        ),
        Sample(
            name="seattle_daily_weather",
            file=DATA_DIR / "seattle_daily_weather.csv",
            date_col="date",
            value_col="temp_max_c",
            description="Seattle daily max temperature (deg C) 2012-2015, with rain and wind (1,461 points)",
            freq="D",
            period=365,
            default_horizon=14,
        ),
        Sample(
            name="co2_weekly",
            file=DATA_DIR / "mauna_loa_co2_weekly.csv",
            date_col="week",
            value_col="co2_ppmv",
            description="Mauna Loa CO2 (ppmv), weekly 1965-2001 (1,931 points, trend + yearly season)",
            freq="W-SAT",
            period=52,
            default_horizon=52,
        ),
        Sample(
            name="sunspots_yearly",
            file=DATA_DIR / "sunspots_yearly.csv",
            date_col="year",
            value_col="sunspots",
            description="Sunspot number, yearly 1700-2008 (309 points, irregular ~11-year cycle)",
            freq="YS-JAN",
            period=11,
            default_horizon=11,
        ),
        Sample(
            name="synthetic",
            file=None,
            date_col="time",
            value_col="value",
            description="Synthetic hourly series: trend + daily and weekly sines + noise (2,000 points)",
            freq="h",
            period=24,
            default_horizon=24,
        ),
    ]
}


def load_sample(name: str) -> LoadedSeries:
    """Load a bundled sample by its registry key (see `SAMPLES`)."""
    sample = SAMPLES.get(name)
    if sample is None:
        raise UserError(f"unknown sample {name!r}; choose one of {list(SAMPLES)}")
    if sample.file is None:
        loaded = make_synthetic()
    else:
        loaded = load_csv(  # the files are clean: no sentinel detection, the grid is known
            sample.file, date_col=sample.date_col, value_col=sample.value_col, na_values=[], freq=sample.freq
        )
        loaded.source = f"sample:{sample.name}"
    loaded.origin = Source("sample", sample=name, value_col=loaded.value_col)
    return loaded


def make_synthetic(
    n: int = 2000,
    *,
    freq: str | None = "h",
    start: str | pd.Timestamp = "2024-01-01",
    periods: tuple[int, ...] = (24, 168),
    amplitudes: tuple[float, ...] = (10.0, 4.0),
    trend: float = 0.01,
    noise: float = 1.0,
    level: float = 50.0,
    seed: int = 0,
) -> LoadedSeries:
    """A series whose seasons are known: level + trend*t + sum of sines + Gaussian noise.

    n: number of steps. periods: season lengths in steps; amplitudes: their half peak-to-trough
    heights (same length as periods). trend: change per step. noise: standard deviation.
    Each season starts at its trough (a -cos wave), so with hourly data the daily cycle is lowest
    at midnight. freq None gives a RangeIndex of steps instead of dates. Same seed, same series.
    """
    periods, amplitudes = tuple(periods), tuple(amplitudes)
    check_synthetic_args(n=n, periods=periods, amplitudes=amplitudes, noise=noise)
    steps = np.arange(n, dtype=float)  # (n,)
    values = level + trend * steps
    for period, amplitude in zip(periods, amplitudes):
        values = values - amplitude * np.cos(2.0 * np.pi * steps / period)
    values = values + noise * np.random.default_rng(seed).standard_normal(n)

    if freq is None:
        index, date_col = pd.RangeIndex(n, name="step"), None
    else:
        try:
            index = pd.date_range(start=start, periods=n, freq=freq, name="time")
        except ValueError as exc:
            raise UserError(
                f"synthetic series: cannot build dates from start={start!r}, freq={freq!r} ({exc}); "
                "use a pandas frequency such as 'h', 'D' or 'MS' and an ISO date"
            ) from exc
        date_col, freq = "time", index.freqstr
    described = ", ".join(f"period {p} amplitude {a:g}" for p, a in zip(periods, amplitudes))
    report = [
        f"synthetic series: {n} steps, level {level:g}, trend {trend:g} per step, "
        f"seasons [{described}], noise sd {noise:g}, seed {seed}"
    ]
    frame = pd.DataFrame({"value": values}, index=index)
    return LoadedSeries(frame, "value", date_col=date_col, freq=freq, source="synthetic", report=report)


def check_synthetic_args(
    *, n: int, periods: tuple[int, ...], amplitudes: tuple[float, ...], noise: float
) -> None:
    """Raise UserError, naming the fix, when the generator's arguments cannot make a series."""
    if n < 1:
        raise UserError(f"synthetic series: n ({n}) must be at least 1; ask for a positive number of steps")
    if len(periods) != len(amplitudes):
        raise UserError(
            f"synthetic series: {len(periods)} periods {list(periods)} but {len(amplitudes)} amplitudes "
            f"{list(amplitudes)}; give one amplitude per period"
        )
    if any(p < 2 for p in periods):
        raise UserError(
            f"synthetic series: periods {list(periods)} must all be at least 2 steps; drop or raise them"
        )
    if noise < 0:
        raise UserError(f"synthetic series: noise ({noise}) is a standard deviation; use a value >= 0")
