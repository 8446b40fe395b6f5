"""Write the malformed and messy CSV files of this folder, one per case (see README.md).

Run from the repository root: `python -m tests.data.bad.make_files`. The files are committed; this
script only records how they were made, so that a case can be rebuilt or added the same way.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from tests.data.messy_csv import beijing_csv, csv_text, daily_csv, epoch_csv, ett_csv, stock_csv

HERE = Path(__file__).resolve().parent


def days(n: int, start: str = "2021-01-01") -> pd.DatetimeIndex:
    return pd.date_range(start, periods=n, freq="D")


def wave(i: int) -> float:
    """A value that is neither constant nor a row counter: 20 + a weekly swing + a slow rise."""
    return round(20 + 3 * ((i % 7) - 3) + 0.1 * i, 2)


def files() -> dict[str, bytes]:
    """File name -> content."""
    out: dict[str, bytes] = {}
    text = lambda name, s, enc="utf-8": out.__setitem__(name, s.encode(enc))  # noqa: E731
    rows30 = [(f"{d:%Y-%m-%d}", wave(i)) for i, d in enumerate(days(30))]

    # -- refused: not a CSV of numbers over time
    out["empty.csv"] = b""
    text("header_only.csv", "date,value\n")
    out["binary.png"] = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00\x00\x00\x01\x00\x08\x06" + bytes(range(256))
    out["excel.xlsx"] = b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00" + b"[Content_Types].xml" + bytes(64)
    out["excel_97.xls"] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(120)
    text("all_text.csv", "date,city,weather\n2021-01-01,Paris,sunny\n2021-01-02,Rome,rain\n2021-01-03,Oslo,snow\n"
         "2021-01-04,Lima,fog\n")
    text("only_dates.csv", "date\n" + "\n".join(f"{d:%Y-%m-%d}" for d in days(10)) + "\n")
    text("two_rows.csv", csv_text(rows30[:2]))
    text("mistyped_year.csv", csv_text(rows30[:20] + [("2210-01-21", 31.5)] + rows30[21:]))
    text("huge_field.csv", csv_text(rows30[:3] + [(rows30[3][0], "9" * 140_000)] + rows30[4:]))
    lines = csv_text(rows30).splitlines()
    lines[6] = lines[6].replace(",", ',"', 1)
    text("unclosed_quote.csv", "\n".join(lines) + "\n")
    # -- refused until an argument fixes it
    rows = [(f"{d:%Y-%m-%d}", "" if i % 5 else wave(i), wave(i) + 1) for i, d in enumerate(days(10))]
    text("target_mostly_empty.csv", csv_text(rows, header="date,value,backup"))
    index = days(300, "2021-01-01").append(pd.date_range("2021-10-28", periods=600, freq="h"))
    text("daily_then_mostly_hourly.csv", csv_text([(f"{t:%Y-%m-%d %H:%M}", wave(i)) for i, t in enumerate(index)]))
    # -- encodings
    temperature = daily_csv().replace("value", "Température")
    out["utf16_bom.csv"] = temperature.encode("utf-16")
    out["utf16_le_no_bom.csv"] = temperature.encode("utf-16-le")
    text("cp1252.csv", temperature.replace("date,", "Datum (€),"), "cp1252")
    # -- number formats and separators
    text("decimal_commas.csv", "date;level\n" + "".join(f"{d};{v:.2f}\n".replace(".", ",") for d, v in rows30))
    text("thousands.csv", "date,sales\n" + "".join(f'{d},"{1000 * v:,.1f}"\n' for d, v in rows30))
    text("semicolons.csv", "date;a;b\n" + "".join(f"{d};{v};{2 * v}\n" for d, v in rows30))
    text("tabs_headerless.csv", "".join(f"{d}\t{v}\n" for d, v in rows30))
    # -- junk around and inside the data
    text("lines_above_header.csv", "Export of station 42\nGenerated 2021-02-01\n" + csv_text(rows30))
    text("footer_rows.csv", csv_text(rows30) + "Total,999\nSource: example office\n")
    junk = list(rows30)
    for i, cell in ((3, "?0.2"), (11, "n/a"), (17, "--")):
        junk[i] = (junk[i][0], cell)
    text("junk_cells.csv", csv_text(junk))
    sentinel = [(d, -200 if i % 9 == 4 else v) for i, (d, v) in enumerate([(f"{t:%Y-%m-%d}", wave(i)) for i, t in
                                                                           enumerate(days(90))])]
    text("sentinel_minus200.csv", csv_text(sentinel))
    text("sentinel_minus9999.csv", csv_text([(d, -9999 if v == -200 else v) for d, v in sentinel]))
    text("extra_fields.csv", csv_text(rows30[:10]) + "2021-01-11,5,oops\n" + csv_text(rows30[11:], header=None))
    # -- order, duplicates, gaps, grids
    text("duplicate_timestamps.csv", csv_text(rows30[:15] + [(rows30[14][0], 99.0)] + rows30[15:]))
    text("descending.csv", csv_text(rows30[::-1]))
    text("gaps.csv", csv_text([r for i, r in enumerate(rows30) if i not in (4, 5, 6, 20)]))
    stamps = [f"{d}" + (" 09:30" if i in (4, 9, 14) else "") for i, (d, _) in enumerate(rows30)]
    text("times_in_daily.csv", csv_text([(s, v) for s, (_, v) in zip(stamps, rows30)]))
    index = days(300).append(pd.date_range("2021-10-28", periods=100, freq="h"))
    text("daily_then_hourly.csv", csv_text([(f"{t:%Y-%m-%d %H:%M}", wave(i)) for i, t in enumerate(index)]))
    paris = pd.date_range("2021-03-27", periods=48, freq="h", tz="Europe/Paris")  # summer time starts on the 28th
    text("mixed_utc_offsets.csv", csv_text([(t.isoformat(), wave(i)) for i, t in enumerate(paris)], header="time,load"))
    text("few_distinct_dates.csv", csv_text([(f"2021-0{1 + i % 5}", wave(i)) for i, _ in enumerate(range(60))],
                                            header="period,value"))
    text("long_format_stores.csv", csv_text([(f"{days(20)[i // 3]:%Y-%m-%d}", "ABC"[i % 3], wave(i)) for i in range(60)],
                                            header="date,store,sales"))
    # -- the target and what is not one
    text("constant.csv", csv_text([(d, 5) for d, _ in rows30]))
    text("three_rows.csv", csv_text(rows30[:3]))
    text("row_counter_id.csv", csv_text([(i + 1, d, v) for i, (d, v) in enumerate(rows30)], header="id,date,sales"))
    text("markdown_header.csv", csv_text(rows30, header="date,![t](http://x)"))
    # -- time axes in other shapes
    text("epoch_ts_unsorted.csv", epoch_csv("ts", shuffle=True))
    text("epoch_mixed_units.csv", epoch_csv("ts", ms_every=4))
    text("date_hour_1_to_24.csv", csv_text([(f"2021-03-{1 + i // 24:02d}", i % 24 + 1, wave(i)) for i in range(72)],
                                           header="date,hour,load"))
    text("month_names.csv", csv_text([(1990 + i // 12, ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep",
                                                        "Oct", "Nov", "Dec"][i % 12], wave(i)) for i in range(36)],
                                     header="Year,Month,rainfall"))
    # -- real layouts in miniature
    text("beijing_pm25.csv", beijing_csv(96))
    text("stock_export.csv", stock_csv(40))
    text("ett_wide.csv", ett_csv(48))
    air = ["Date;Time;CO(GT);PT08.S1(CO);NMHC(GT);T;RH;;"]  # UCI Air Quality: -200 is missing
    comma = lambda x: f"{x:g}".replace(".", ",")  # noqa: E731
    for i, t in enumerate(pd.date_range("2004-03-10 18:00", periods=60, freq="h")):
        co = "-200" if i % 11 == 3 else comma(1 + (i % 6) / 2)
        nmhc = -200 if i % 5 else 150 + i
        air.append(f"{t:%d/%m/%Y};{t:%H.%M.%S};{co};{1000 + 7 * (i % 13)};{nmhc};{comma(11 + (i % 8) / 4)};"
                   f"{comma(50 + (i % 9) / 2)};;")
    text("air_quality_date_time.csv", "\r\n".join(air + [";;;;;;;;"] * 3) + "\r\n")
    return out


def main() -> None:
    for name, content in files().items():
        (HERE / name).write_bytes(content)
    print(f"wrote {len(files())} files to {HERE}")


if __name__ == "__main__":
    main()
