"""The number format (decimal and thousands marks) is decided from every cell, a separator is
removed only between groups of three digits, and cells that do not fit are counted, never
misread by a factor of 1,000."""
from __future__ import annotations

import numpy as np
import pytest

from lstm_forecast.data.loading import load_csv


def _load(values: list[str], sep: str = ";"):
    rows = [f"2020-01-{i + 1:02d}{sep}{v}" for i, v in enumerate(values)]
    return load_csv(("\n".join([f"date{sep}value", *rows]) + "\n").encode())


def _has(lines: list[str], *words: str) -> bool:
    return any(all(w in line for w in words) for line in lines)


@pytest.mark.parametrize(
    "values, expected",
    [
        # whole thousands late in a decimal-comma file: 1.005 is 1005, decided from the whole column
        (["2,5"] * 250 + ["1.005", "1.250"], [2.5] * 250 + [1005.0, 1250.0]),
        (["2,5", "1.005", "3,5", "1.250"], [2.5, 1005.0, 3.5, 1250.0]),
        (["1.234,5", "2.000,25", "17", "1.005"], [1234.5, 2000.25, 17.0, 1005.0]),
        (["1 234,5", "2\u00a0000,25", "17,0"], [1234.5, 2000.25, 17.0]),
        (["1.234.567", "2.000.000", "3"], [1234567.0, 2000000.0, 3.0]),
        (["1.5", "2.5", "1.005"], [1.5, 2.5, 1.005]),  # a decimal point: 1.005 stays 1.005
    ],
    ids=["thousands-after-200-rows", "mixed-thousands-and-decimals", "both-marks", "space-groups",
         "two-dot-groups", "dot-decimal"],
)
def test_reads_the_format_of_the_whole_column(values, expected):
    np.testing.assert_allclose(_load(values).series.to_numpy(), expected)


@pytest.mark.parametrize(
    "values, bad, fmt",
    [
        # switches from 1.234,5 to 12.5: 12.5 must not read as 125
        (["1.234,5", "1.300,5", "1.400,5", "1.500,5", "12.5", "1.600,5"], "'12.5'", "decimal comma, '.' between"),
        # 100 0 is not a group of three: never 1000
        (["100", "200", "100 0", "300", "400"], "'100 0'", "decimal point, no thousands mark"),
        # 1.23,5: the dot is not between groups of three
        (["1.234,5", "1.23,5", "2.000,5", "3.000,5"], "'1.23,5'", "decimal comma, '.' between"),
    ],
    ids=["format-switch", "space-not-a-group", "short-group"],
)
def test_cells_that_do_not_fit_are_missing_and_counted(values, bad, fmt):
    loaded = _load(values)
    position = next(i for i, v in enumerate(values) if repr(v) == bad)
    assert not loaded.observed[loaded.value_col].iloc[position]
    assert _has(loaded.report, "treated 1 cells that do not fit the file's number format", fmt, bad)
    neighbours = loaded.series.iloc[[position - 1, position + 1]].to_numpy()
    assert neighbours.min() <= loaded.series.iloc[position] <= neighbours.max()  # interpolated, not 125 or 1000


def test_many_cells_out_of_format_are_a_warning():
    loaded = _load(["1.234,5"] * 10 + ["12.5"] * 4)
    assert _has(loaded.warnings, "4 numbers do not fit the decimal comma", "write every number the same way")


def test_quoted_thousands_in_a_comma_file():
    loaded = _load(['"1,234.5"', '"2,000.25"', "17", '"1,005"'], sep=",")
    np.testing.assert_allclose(loaded.series.to_numpy(), [1234.5, 2000.25, 17.0, 1005.0])
