"""The bundled sample files, their registry, and the synthetic generator."""
import numpy as np
import pandas as pd
import pytest
from statsmodels.tsa.stattools import acf
from statsmodels.tsa.tsatools import detrend

from lstm_forecast.data.samples import DATA_DIR, SAMPLES, load_sample, make_synthetic
from lstm_forecast.errors import UserError

# name, rows, freq
EXPECTED = [
    ("airline", 144, "MS"),
    ("seattle_hourly_temp", 8760, "h"),
    ("seattle_daily_weather", 1461, "D"),
    ("co2_weekly", 1931, "W-SAT"),
    ("sunspots_yearly", 309, "YS-JAN"),
    ("synthetic", 2000, "h"),
]
FILE_SAMPLES = [s for s in SAMPLES.values() if s.file is not None]


def test_registry_covers_exactly_the_expected_samples():
    assert sorted(SAMPLES) == sorted(name for name, _, _ in EXPECTED)
    assert all(key == sample.name for key, sample in SAMPLES.items())


@pytest.mark.parametrize("sample", FILE_SAMPLES, ids=lambda s: s.name)
def test_sample_file_is_a_small_clean_utf8_csv(sample):
    assert sample.file.parent == DATA_DIR
    raw = sample.file.read_bytes()
    assert len(raw) < 1_000_000
    text = raw.decode("utf-8")  # raises if not UTF-8
    assert not text.startswith("\ufeff") and "\r" not in text
    header = text.split("\n", 1)[0].split(",")
    assert header[0] == sample.date_col and sample.value_col in header


@pytest.mark.parametrize(("name", "rows", "freq"), EXPECTED)
def test_sample_loads_regular_and_complete(name, rows, freq):
    loaded = load_sample(name)
    sample = SAMPLES[name]
    index = loaded.frame.index

    assert (loaded.freq, sample.freq) == (freq, freq)
    assert len(loaded.frame) == rows
    assert loaded.value_col == sample.value_col and sample.value_col in loaded.frame.columns
    assert index.is_monotonic_increasing and index.is_unique
    assert index.equals(pd.date_range(index[0], periods=rows, freq=freq))
    assert not loaded.frame.isna().any().any()


@pytest.mark.parametrize("sample", FILE_SAMPLES, ids=lambda s: s.name)
def test_sample_files_need_no_repair(sample):
    assert load_sample(sample.name).report == []


@pytest.mark.parametrize("name", list(SAMPLES))
def test_declared_period_is_a_season_of_the_data(name):
    sample, series = SAMPLES[name], load_sample(name).series
    correlation = acf(detrend(series.to_numpy(), order=1), nlags=sample.period)
    assert correlation[sample.period] > max(0.5, correlation[sample.period // 2])
    assert 0 < sample.default_horizon <= len(series) // 4


def test_airline_is_the_classic_series():
    series = load_sample("airline").series
    assert len(series) == 144
    assert series.iloc[:3].tolist() == [112, 118, 132]
    assert series.iloc[-1] == 432
    assert series.index[0] == pd.Timestamp("1949-01-01") and series.index[-1] == pd.Timestamp("1960-12-01")
    text = (DATA_DIR / "airline_passengers.csv").read_text(encoding="utf-8")
    assert text.startswith("Month,Passengers\n1949-01,112\n")


def test_hourly_sample_has_a_strong_daily_cycle():
    series = load_sample("seattle_hourly_temp").series
    correlation = acf(series.to_numpy(), nlags=24)
    assert len(series) >= 2000
    assert correlation[24] > 0.5
    assert correlation[24] > correlation[12]  # half a day apart is the opposite phase


def test_unknown_sample_name_lists_the_valid_ones():
    with pytest.raises(UserError, match=r"unknown sample 'nope'.*'airline'"):
        load_sample("nope")


def test_synthetic_is_deterministic_per_seed():
    first, again = make_synthetic(300, seed=3), make_synthetic(300, seed=3)
    other = make_synthetic(300, seed=4)
    pd.testing.assert_frame_equal(first.frame, again.frame)
    assert not np.allclose(first.series.to_numpy(), other.series.to_numpy())


@pytest.mark.parametrize(
    ("n", "freq", "index_type"),
    [
        (100, "h", pd.DatetimeIndex),
        (50, "D", pd.DatetimeIndex),
        (40, "MS", pd.DatetimeIndex),
        (30, None, pd.RangeIndex),
    ],
)
def test_synthetic_has_requested_length_and_freq(n, freq, index_type):
    loaded = make_synthetic(n, freq=freq, start="2020-01-01")
    assert len(loaded.frame) == n and isinstance(loaded.frame.index, index_type)
    assert loaded.freq == freq
    assert (loaded.date_col is None) == (freq is None)
    assert list(loaded.frame.columns) == ["value"] and loaded.value_col == "value"
    assert loaded.source == "synthetic" and loaded.report[0].startswith("synthetic series:")
    if freq is not None:
        assert loaded.frame.index[0] == pd.Timestamp("2020-01-01") and loaded.frame.index.freqstr == freq


@pytest.mark.parametrize(
    ("periods", "amplitudes"), [((24, 168), (10.0, 4.0)), ((7,), (3.0,)), ((12, 50), (5.0, 2.0))]
)
def test_synthetic_acf_peaks_at_its_first_period(periods, amplitudes):
    first = periods[0]
    series = make_synthetic(1500, periods=periods, amplitudes=amplitudes, trend=0.0, noise=1.0).series
    correlation = acf(series.to_numpy(), nlags=2 * first)
    around = range(first // 2, first + first // 2 + 1)
    assert max(around, key=lambda lag: correlation[lag]) == first


def test_synthetic_trend_and_level_show_in_the_values():
    flat = make_synthetic(480, periods=(24,), amplitudes=(5.0,), trend=0.0, noise=0.0, level=7.0)
    rising = make_synthetic(480, periods=(24,), amplitudes=(5.0,), trend=0.5, noise=0.0, level=7.0)
    assert flat.series.mean() == pytest.approx(7.0)
    assert flat.series.iloc[0] == pytest.approx(2.0)  # each season starts at its trough
    assert (rising.series - flat.series).iloc[-1] == pytest.approx(0.5 * 479)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"n": 0}, "at least 1"),
        ({"periods": (24, 168), "amplitudes": (1.0,)}, "one amplitude per period"),
        ({"periods": (1,), "amplitudes": (1.0,)}, "at least 2 steps"),
        ({"noise": -1.0}, "standard deviation"),
        ({"freq": "not-a-freq"}, "pandas frequency"),
    ],
)
def test_synthetic_rejects_impossible_arguments(kwargs, message):
    with pytest.raises(UserError, match=message):
        make_synthetic(**kwargs)
