"""The accuracy benchmark's corpus (bench/series.py): every series loads through the project's
CSV loader onto a regular grid, is long enough for a 3-origin rolling backtest, holds only finite
numbers, and has the season it claims."""
import socket
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from statsmodels.tsa.stattools import acf
from statsmodels.tsa.tsatools import detrend

from bench.series import GROUPS, SERIES, FileMissing, PackageMissing, load_series
from lstm_forecast.config import Config
from lstm_forecast.data.series import LoadedSeries
from lstm_forecast.errors import UserError
from lstm_forecast.prepare import prepare, resolve
from lstm_forecast.data.calendar import describe_frequency

ORIGINS = 3  # the benchmark scores this many rolling origins, `horizon` steps apart
REQUIRED = [s for s in SERIES.values() if not s.optional]
KIND_MINIMUM = {"hourly": 4, "daily": 6, "weekly": 3, "monthly": 8}  # what the benchmark promises
SERIES_MD = Path(__file__).resolve().parents[1] / "bench" / "SERIES.md"


def _kind(freq: str) -> str:
    """'hourly' for hourly and half-hourly grids; 'daily' for calendar and business days; else the name."""
    name = describe_frequency(freq)
    return {"30-minute": "hourly", "business-daily": "daily"}.get(name, name)


@pytest.fixture(scope="module")
def corpus():
    """Every series loaded once, with sockets refused: nothing may be downloaded at run time."""
    loaded = {}
    with pytest.MonkeyPatch.context() as mp:
        def refuse(*args, **kwargs):
            raise OSError("network use while loading the benchmark corpus")
        mp.setattr(socket.socket, "connect", refuse)
        mp.setattr(socket, "create_connection", refuse)
        for name in SERIES:
            try:
                loaded[name] = load_series(name)
            except (PackageMissing, FileMissing) as err:
                loaded[name] = err
    return loaded


def _get(corpus, name) -> LoadedSeries:
    result = corpus[name]
    if isinstance(result, PackageMissing):
        pytest.skip(f"{name}: {result}")
    if isinstance(result, FileMissing):
        if SERIES[name].optional:
            pytest.skip(f"{name} is optional: {result}")
        raise result
    return result


# -- the registry ---------------------------------------------------------------------------------


def test_registry_is_large_diverse_and_split_before_results():
    assert len(REQUIRED) >= 30
    assert all(key == s.name for key, s in SERIES.items())
    kinds = pd.Series([_kind(s.freq) for s in REQUIRED])
    for kind, minimum in KIND_MINIMUM.items():
        assert (kinds == kind).sum() >= minimum, kind
    groups = pd.Series([s.group for s in REQUIRED])
    assert set(groups) <= set(GROUPS)
    assert 0.25 <= (groups == "holdout").mean() <= 0.45  # about one third held out
    for kind in KIND_MINIMUM:  # spread over the frequencies
        assert {"tune", "holdout"} <= set(groups[kinds == kind]), kind


@pytest.mark.parametrize("entry", SERIES.values(), ids=lambda s: s.name)
def test_entry_is_documented(entry):
    assert entry.horizon >= 1 and entry.season >= 2
    assert entry.package and entry.source and ";" in entry.licence  # "package licence; data licence"
    assert entry.optional == (entry.package == "shared/data/messy")
    assert f"`{entry.name}`" in SERIES_MD.read_text(encoding="utf-8")


def test_unknown_name_names_the_choices():
    with pytest.raises(UserError, match="unknown benchmark series 'nope'.*airline"):
        load_series("nope")


# -- every series -----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(SERIES))
def test_series_loads_on_a_regular_grid(corpus, name):
    entry, loaded = SERIES[name], _get(corpus, name)
    index, values = loaded.frame.index, loaded.series.to_numpy()

    assert loaded.source == f"bench:{name}" and loaded.freq == entry.freq
    assert isinstance(index, pd.DatetimeIndex)
    assert index.equals(pd.date_range(index[0], periods=len(index), freq=entry.freq))
    assert np.isfinite(values).all()
    assert np.ptp(values) > 0


@pytest.mark.parametrize("name", list(SERIES))
def test_series_is_long_enough_for_a_rolling_backtest(corpus, name):
    """3 horizons to score plus 2 seasons of history, and the pipeline accepts the earliest
    origin's past, with the stated season and with the season it infers by default."""
    entry, loaded = SERIES[name], _get(corpus, name)
    n = len(loaded.frame)
    assert n >= ORIGINS * entry.horizon + 2 * entry.season
    for k in range(ORIGINS):
        part = LoadedSeries(loaded.frame.iloc[: n - k * entry.horizon], loaded.value_col, loaded.date_col,
                            loaded.freq, loaded.source)
        for period in (entry.season, None):
            config, _ = resolve(Config(horizon=entry.horizon, period=period), part)
            prepare(part, config)  # raises UserError when the series is too short, or breaks the log


@pytest.mark.parametrize("name", list(SERIES))
def test_stated_season_is_plausible(corpus, name):
    """The detrended autocorrelation is positive at the season; where the season is real, it also
    tops the autocorrelation half a season away (the trough of a cycle)."""
    entry, values = SERIES[name], _get(corpus, name).series.to_numpy()
    correlation = acf(detrend(values, order=1), nlags=entry.season, fft=True)
    assert correlation[entry.season] > 0
    if entry.seasonal:
        assert correlation[entry.season] > correlation[entry.season // 2]
