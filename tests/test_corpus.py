"""The real-file corpus, end to end through the command line (issue 15): every series of the accuracy
corpus (bench/series.py, both groups), the raw files in ../shared/data and generated look-alikes of
common exports go through `train` (1 epoch, 4 units, one thread), a reload of the saved run,
`forecast --run`, `backtest --run` (2 origins) and `inspect --run --season`.

Each case ends either with a saved run that reloads and serves the three other commands, or with a
clean refusal: exit status 2 and one line `error: ...` on stderr. Never an internal error, never a
traceback, never a half-written run."""
from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from bench.series import SERIES, SeriesUnavailable
from lstm_forecast.cli import main
from lstm_forecast.runs import load_run

REPO = Path(__file__).resolve().parents[1]
SHARED = (REPO / ".." / "shared" / "data").resolve()
TRAIN = ["--epochs", "1", "--hidden", "4", "--threads", "1", "--quiet"]
ORIGINS = ["--origins", "2", "--threads", "1", "--quiet"]


def cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        rc = main([str(a) for a in argv])
    return rc, out.getvalue(), err.getvalue()


def refused_cleanly(rc: int, err: str) -> bool:
    """Status 2 and exactly one line, `error: ...`: a user mistake said in the project's words."""
    lines = [line for line in err.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("error: ")]
    return rc == 2 and len(errors) == 1 and errors == lines[-1:] and "internal error" not in err \
        and "Traceback" not in err


def end_to_end(tmp_path: Path, source: list[str], extra: tuple[str, ...] = ()) -> str:
    """Train, reload, forecast, backtest and inspect; 'trained' or 'refused' (a clean status 2)."""
    folder = tmp_path / "run"
    rc, out, err = cli("train", *source, *TRAIN, *extra, "--out", folder)
    if rc != 0:
        assert refused_cleanly(rc, err), (rc, err[-2000:])
        assert not (folder / "config.json").exists(), "a refused training left a run behind"
        return "refused"
    assert "internal error" not in err and "Traceback" not in err, err[-2000:]
    run = load_run(folder)
    assert run.config.epochs == 1 and json.loads((folder / "config.json").read_text())
    forecast = tmp_path / "forecast.csv"
    rc, out, err = cli("forecast", "--run", folder, *source, "--out", forecast)
    assert rc == 0, ("forecast", rc, err[-2000:])
    frame = pd.read_csv(forecast)
    assert {"timestamp", "forecast"} <= set(frame.columns) and frame["forecast"].notna().any()
    rc, out, err = cli("backtest", "--run", folder, *ORIGINS)
    assert rc == 0, ("backtest", rc, err[-2000:])
    assert "origins" in out
    traces = tmp_path / "season.csv"
    rc, out, err = cli("inspect", "--run", folder, "--season", "--out", traces)
    assert rc == 0, ("inspect", rc, err[-2000:])
    assert len(pd.read_csv(traces)) > 0
    return "trained"


# -- the accuracy corpus -------------------------------------------------------------------------

# Known failures, each a bug report: {name: reason}; strict, so a fix shows up as XPASS.
BENCH_XFAIL: dict[str, str] = {}


@pytest.mark.parametrize("name", [
    pytest.param(n, marks=pytest.mark.xfail(strict=True, reason=BENCH_XFAIL[n])) if n in BENCH_XFAIL else n
    for n in SERIES])
def test_every_corpus_series_trains_or_is_refused_cleanly(name, tmp_path):
    entry = SERIES[name]
    try:
        text = entry.read()
    except SeriesUnavailable as err:
        pytest.skip(str(err))
    path = tmp_path / f"{name}.csv"
    path.write_bytes(text)
    source = ["--csv", path, "--value-col", entry.value_col]
    if entry.time_col is None:  # with a separate clock column, the loader's detection is what is tested
        source += ["--date-col", entry.date_col]
    outcome = end_to_end(tmp_path, source, ("--season", str(entry.season), "--horizon", str(entry.horizon)))
    assert outcome == "trained", f"{name}: a corpus series the benchmark scores was refused"


# -- the raw files beside the repository ---------------------------------------------------------

RAW = [("messy/air_quality_uci_raw.csv", ()), ("messy/melbourne_min_temp_raw.csv", ()),
       ("real/ili_weekly_raw.csv", ("--value-col", "OT")), ("real/wind_15min_raw.csv", ("--value-col", "target"))]


@pytest.mark.parametrize("relative, hints", RAW, ids=[r for r, _ in RAW])
def test_raw_files_train_save_and_reopen(relative, hints, tmp_path):
    path = SHARED / relative
    if not SHARED.is_dir():
        pytest.skip(f"{SHARED} is absent: the raw files live beside the repository on developers' machines only")
    assert path.is_file(), f"{path} is missing from {SHARED}"
    assert end_to_end(tmp_path, ["--csv", path, *hints]) == "trained"


# -- generated look-alikes of common exports ------------------------------------------------------


def _yahoo_export(path: Path) -> None:
    """A stock export as Yahoo's download button writes it, with a 30-day flat stretch (a halted stock)."""
    rng = np.random.default_rng(0)
    days = pd.bdate_range("2021-01-04", periods=400)
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, len(days))))
    close[200:230] = close[200]
    pd.DataFrame({"Date": days.strftime("%Y-%m-%d"), "Open": close * 0.99, "High": close * 1.01,
                  "Low": close * 0.98, "Close": close, "Adj Close": close * 0.97,
                  "Volume": rng.integers(1_000, 9_000, len(days))}).to_csv(path, index=False)


def _exchange_rate(path: Path) -> None:
    """The exchange-rate table of forecasting papers: date, columns named 0..6, the target OT."""
    rng = np.random.default_rng(1)
    days = pd.date_range("1990-01-01", periods=600, freq="D")
    table = {"date": days.strftime("%Y/%m/%d %H:%M")}
    for k in range(7):
        table[str(k)] = 1 + np.cumsum(rng.normal(0, 0.005, len(days)))
    table["OT"] = 0.8 + np.cumsum(rng.normal(0, 0.005, len(days)))
    pd.DataFrame(table).to_csv(path, index=False)


def _month_first_temps(path: Path) -> None:
    """Daily temperatures with month-first dates (07/04/2019) and a yearly cycle."""
    rng = np.random.default_rng(2)
    days = pd.date_range("2018-01-01", periods=900, freq="D")
    temp = 15 + 8 * np.sin(2 * np.pi * np.arange(len(days)) / 365.25) + rng.normal(0, 1.5, len(days))
    pd.DataFrame({"DATE": days.strftime("%m/%d/%Y"), "TAVG": temp.round(1)}).to_csv(path, index=False)


def _daily_no_season(path: Path) -> None:
    rng = np.random.default_rng(3)
    days = pd.date_range("2022-01-01", periods=300, freq="D")
    pd.DataFrame({"date": days.strftime("%Y-%m-%d"), "level": 50 + np.cumsum(rng.normal(0, 1, 300))}).to_csv(
        path, index=False)


def _weekly_walk(path: Path) -> None:
    rng = np.random.default_rng(4)
    weeks = pd.date_range("2015-01-04", periods=260, freq="W-SUN")
    pd.DataFrame({"week": weeks.strftime("%Y-%m-%d"), "count": 500 + np.cumsum(rng.normal(0, 10, 260))}).to_csv(
        path, index=False)


def _short(n: int, freq: str):
    def write(path: Path) -> None:
        stamps = pd.date_range("2020-01-01", periods=n, freq=freq)
        pd.DataFrame({"date": stamps.strftime("%Y-%m-%d"), "value": 10 + np.arange(n) % 5}).to_csv(path, index=False)
    return write


GENERATED = {
    "yahoo_export": (_yahoo_export, ()),
    "yahoo_export_adj_close": (_yahoo_export, ("--value-col", "Adj Close")),
    "exchange_rate_like": (_exchange_rate, ("--value-col", "OT")),
    "month_first_temps": (_month_first_temps, ()),
    "daily_no_season": (_daily_no_season, ()),
    "daily_no_season_season_1": (_daily_no_season, ("--season", "1")),
    "weekly_random_walk": (_weekly_walk, ()),
    "weekly_random_walk_season_1": (_weekly_walk, ("--season", "1")),
    "short_daily_40": (_short(40, "D"), ()),
    "short_monthly_24": (_short(24, "MS"), ()),
    "short_daily_8": (_short(8, "D"), ()),
    "short_daily_3": (_short(3, "D"), ()),
}
GENERATED_XFAIL: dict[str, str] = {}


@pytest.mark.parametrize("case", [
    pytest.param(c, marks=pytest.mark.xfail(strict=True, reason=GENERATED_XFAIL[c])) if c in GENERATED_XFAIL else c
    for c in GENERATED])
def test_generated_exports_train_or_are_refused_cleanly(case, tmp_path):
    write, hints = GENERATED[case]
    path = tmp_path / f"{case}.csv"
    write(path)
    outcome = end_to_end(tmp_path, ["--csv", path], hints)
    if not case.startswith("short_daily_"):  # only the shortest may be refused
        assert outcome == "trained"


SAMPLES = {
    "seattle_daily_weather_temp_min": (["--sample", "seattle_daily_weather", "--value-col", "temp_min_c"], ()),
    "airline_season_1": (["--sample", "airline"], ("--season", "1")),
}


@pytest.mark.parametrize("case", list(SAMPLES))
def test_bundled_samples_with_unusual_choices_train(case, tmp_path):
    source, extra = SAMPLES[case]
    assert end_to_end(tmp_path, source, extra) == "trained"
