"""Row and column caps that cannot be walked around: rows counted by any line ending, columns
counted from the header line before parsing."""
from __future__ import annotations

import pytest

from lstm_forecast.data.loading import load_csv
from lstm_forecast.errors import UserError


def _rows(n: int, newline: str) -> bytes:
    lines = ["date,value"] + [f"2020-01-{i % 28 + 1:02d},{i}" for i in range(n)]
    return newline.join(lines).encode() + newline.encode()


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"], ids=["lf", "crlf", "cr"])
def test_row_cap_counts_every_line_ending(newline, monkeypatch):
    monkeypatch.setenv("LSTM_FORECAST_MAX_ROWS", "20")
    with pytest.raises(UserError, match=r"has 30 rows, over the 20-row limit; set LSTM_FORECAST_MAX_ROWS"):
        load_csv(_rows(30, newline))


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"], ids=["lf", "crlf", "cr"])
def test_row_cap_lets_a_file_at_the_cap_through(newline, monkeypatch):
    monkeypatch.setenv("LSTM_FORECAST_MAX_ROWS", "20")
    text = "date,value" + newline + newline.join(f"2020-01-{i + 1:02d},{i}" for i in range(20))  # no final end
    assert len(load_csv(text.encode()).frame) == 20


@pytest.mark.parametrize("sep", [",", ";", "\t"])
def test_column_cap_refuses_a_wide_header_before_parsing(sep, monkeypatch):
    monkeypatch.setenv("LSTM_FORECAST_MAX_COLUMNS", "50")
    header = sep.join(["date"] + [f"c{i}" for i in range(60)])
    rows = [sep.join(["2020-01-0" + str(d)] + ["1"] * 60) for d in (1, 2, 3)]
    with pytest.raises(UserError, match=r"line 1 .* has 61 fields, over the 50-column limit; "
                                        r"set LSTM_FORECAST_MAX_COLUMNS to raise it"):
        load_csv("\n".join([header, *rows]).encode())


def test_column_cap_default_refuses_60000_columns_but_not_a_normal_file():
    header = ",".join(["date"] + [f"c{i}" for i in range(60_000)])
    with pytest.raises(UserError, match="over the 10,000-column limit"):
        load_csv((header + "\n" + "\n".join(",".join(["2020-01-01"] + ["1"] * 60_000) for _ in range(3))).encode())
    assert load_csv(b"date,a,b\n2020-01-01,1,2\n2020-01-02,2,3\n2020-01-03,3,4\n").value_col in ("a", "b")


def test_column_cap_must_be_a_positive_number(monkeypatch):
    monkeypatch.setenv("LSTM_FORECAST_MAX_COLUMNS", "lots")
    with pytest.raises(UserError, match="LSTM_FORECAST_MAX_COLUMNS='lots' is not a positive number"):
        load_csv(b"date,value\n2020-01-01,1\n2020-01-02,2\n2020-01-03,3\n")
