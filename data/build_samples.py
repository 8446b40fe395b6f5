"""Rebuild the bundled sample CSVs from the packages they were taken from (provenance, not runtime).

Nothing in `lstm_forecast` imports this. It records exactly what was done to each file:

    pip install vega_datasets                      # not a project requirement
    pip download --no-deps sktime==1.2.0 -d /tmp/w && unzip -o /tmp/w/sktime-*.whl \
        'sktime/datasets/data/Airline/Airline.csv' -d /tmp/w
    python data/build_samples.py --airline /tmp/w/sktime/datasets/data/Airline/Airline.csv

See data/README.md for sources, licences and the cleaning of each file.
"""
from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd
import statsmodels.datasets
import vega_datasets

DATA_DIR = Path(__file__).resolve().parent
VEGA_DIR = Path(vega_datasets.__file__).resolve().parent / "_data"
STATSMODELS_DIR = Path(statsmodels.datasets.__file__).resolve().parent


def write(frame: pd.DataFrame, name: str) -> None:
    """Write a clean UTF-8, comma-separated, LF-terminated CSV into data/."""
    frame.to_csv(DATA_DIR / name, index=False, encoding="utf-8", lineterminator="\n")


def build_airline(airline_csv: Path) -> None:
    raw = pd.read_csv(airline_csv)  # Date (YYYY-MM), Passengers
    write(raw.rename(columns={"Date": "Month"})[["Month", "Passengers"]], "airline_passengers.csv")


def build_seattle_hourly() -> None:
    raw = pd.read_csv(VEGA_DIR / "seattle-temps.csv")  # date 'YYYY/MM/DD HH:MM', temp (deg F)
    series = pd.Series(raw["temp"].to_numpy(), index=pd.to_datetime(raw["date"], format="%Y/%m/%d %H:%M"))
    full = series.asfreq("h").interpolate(method="time")  # one missing hour: 2010-03-14 03:00
    out = pd.DataFrame({"time": full.index.strftime("%Y-%m-%d %H:%M"), "temp_f": full.round(2).to_numpy()})
    write(out, "seattle_hourly_temp.csv")


def build_seattle_daily() -> None:
    # columns: date, precipitation, temp_max, temp_min, wind, weather
    raw = pd.read_csv(VEGA_DIR / "seattle-weather.csv")
    out = pd.DataFrame({
        "date": pd.to_datetime(raw["date"], format="%Y/%m/%d").dt.strftime("%Y-%m-%d"),
        "temp_max_c": raw["temp_max"],
        "temp_min_c": raw["temp_min"],
        "precipitation_mm": raw["precipitation"],
        "wind_ms": raw["wind"],
    })
    write(out, "seattle_daily_weather.csv")


def build_co2_weekly() -> None:
    raw = pd.read_csv(STATSMODELS_DIR / "co2" / "co2.csv")  # date YYYYMMDD (Saturdays), co2 (ppmv)
    series = pd.Series(raw["co2"].to_numpy(), index=pd.to_datetime(raw["date"].astype(str), format="%Y%m%d"))
    series = series.loc["1965-01-01":]  # drop 1958-1964: gaps up to 18 weeks long
    full = series.interpolate(method="time")  # 12 single weeks, longest run 4 weeks
    out = pd.DataFrame({"week": full.index.strftime("%Y-%m-%d"), "co2_ppmv": full.round(2).to_numpy()})
    write(out, "mauna_loa_co2_weekly.csv")


def build_sunspots_yearly() -> None:
    raw = pd.read_csv(STATSMODELS_DIR / "sunspots" / "sunspots.csv")  # YEAR, SUNACTIVITY
    out = pd.DataFrame({
        "year": raw["YEAR"].astype(int).map(lambda y: f"{y:04d}-01-01"),
        "sunspots": raw["SUNACTIVITY"],
    })
    write(out, "sunspots_yearly.csv")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--airline", type=Path, required=True, help="Airline.csv from the sktime wheel")
    args = parser.parse_args()
    build_airline(args.airline)
    build_seattle_hourly()
    build_seattle_daily()
    build_co2_weekly()
    build_sunspots_yearly()


if __name__ == "__main__":
    main()
