"""Cells of text to numbers: decimal and thousands marks, junk cells, missing-value markers."""
from __future__ import annotations

import re

import numpy as np
import pandas as pd

from ..errors import UserError

# Spaces inside numbers ('1 234,5'), the no-break space included. The character itself stands in
# the pattern: pyarrow's regex engine (pandas 3.0's str dtype) rejects the escape "\u00a0".
# The UI and CLI names of the option (load_csv's keep_markers), so the advice is one both can follow.
KEEP_MARKERS_HINT = "; tick 'Keep marker values' in the dashboard's CSV options, or pass --keep-markers, to keep it"

_SPACES = "[\\s\u00a0]"


_EXP = "([eE][-+]?\\d+)?"
_SIGN = "[-+]?"
# A cell written with digits, marks and spaces only: the cells a number format must account for.
_NUMBER_LIKE = f"{_SIGN}[\\d.,   ]*\\d[\\d.,   ]*{_EXP}"
_GROUP_SPACES = "   "  # spaces that may separate groups of three digits: '1 234,5'


def detect_number_format(table: pd.DataFrame, sep: str) -> tuple[str, str | None]:
    """(decimal, thousands) marks used by the numbers in every cell of `table` (dates removed).

    Cells that can only be read one way vote: '1.234,5', '2,6', '1.234.567' for a decimal comma;
    '1,234.5', '2.6', '1,234,567' for a decimal point. '1.005' or '1,005' (one group of three)
    is ambiguous and does not vote, but tells which mark separates thousands. Most votes win
    (ties: a decimal comma unless commas separate the fields); the cells that do not fit the
    decided format are reported by `find_numbers`.
    """
    votes = {",": 0, ".": 0}
    grouped = {",": 0, ".": 0}
    for col in table.columns:
        cells = table[col].dropna()
        cells = cells[cells.str.contains("[.,]", regex=True)]
        if cells.empty:
            continue
        cells = cells.str.replace(f"[{_GROUP_SPACES}]", "", regex=True)
        count = lambda pattern: int(cells.str.fullmatch(_SIGN + pattern).sum())  # noqa: E731
        for mark, other in ((",", "."), (".", ",")):
            m, o = re.escape(mark), re.escape(other)
            votes[mark] += count(f"\\d{{1,3}}({o}\\d{{3}})+{m}\\d*{_EXP}")  # both marks: 1.234,5
            votes[mark] += count(f"\\d*{m}(\\d{{1,2}}|\\d{{4,}}){_EXP}")  # not a group of three: 2,6
            votes[mark] += count(f"\\d{{1,3}}({o}\\d{{3}}){{2,}}")  # two groups: 1.234.567
            grouped[mark] += count(f"\\d{{1,3}}({m}\\d{{3}})+") + count(f"\\d{{1,3}}({m}\\d{{3}})+{o}\\d*{_EXP}")
    if votes[","] > votes["."] or (votes[","] and votes[","] == votes["."] and sep != ","):
        decimal = ","
    else:
        decimal = "."
    other = "." if decimal == "," else ","
    return decimal, other if grouped[other] else None


def describe_number_format(decimal: str, thousands: str | None) -> str:
    marks = f"decimal {'comma' if decimal == ',' else 'point'}"
    return marks + (f", {thousands!r} between thousands" if thousands else ", no thousands mark")


def find_numbers(
    table: pd.DataFrame, decimal: str, thousands: str | None, report: list[str], keep: str | None
) -> tuple[pd.DataFrame, list[str], pd.DataFrame]:
    """The numeric columns as floats (NaN for junk cells), the text columns (dropped, reported),
    and where a cell looks like a number but does not fit the file's number format.

    A thousands mark (or space) is removed only where it separates groups of exactly three
    digits ('1.234,5', '1 234'); '12.5' in a decimal-comma file, or '100 0', does not fit: it is
    missing, counted in the report, never read as 125 or 1000.
    """
    group = re.escape(thousands or "") + _GROUP_SPACES
    d = re.escape(decimal)
    fits_format = (f"{_SIGN}(\\d+|\\d{{1,3}}([{group}]\\d{{3}})+)({d}\\d*)?{_EXP}|{_SIGN}{d}\\d+{_EXP}")
    numbers, text_cols, misfits = {}, [], {}
    for col in table.columns:
        cells = table[col]
        fits = cells.str.fullmatch(fits_format).fillna(False).astype(bool)
        misfit = cells.str.fullmatch(_NUMBER_LIKE).fillna(False).astype(bool) & ~fits
        clean = cells.str.replace(f"[{group}]", "", regex=True)
        if decimal != ".":
            clean = clean.str.replace(decimal, ".", regex=False)
        clean = clean.where(fits, cells.where(~misfit))  # other cells ('nan', '1e400', text) as they are
        parsed = pd.to_numeric(clean, errors="coerce")
        parsed = parsed.where(np.isfinite(parsed))  # 'inf' and 1e400 are junk, not numbers to train on
        if parsed.notna().sum() >= 0.5 * cells.notna().sum() and parsed.notna().any():
            numbers[col] = parsed.astype("float64")
            misfits[col] = misfit
        elif col != keep:
            text_cols.append(col)
    if text_cols:
        report.append(f"dropped {len(text_cols)} non-numeric column(s): {text_cols}")
    if not numbers:
        first = table.iloc[:, 0].dropna().head(3).tolist() if table.shape[1] else []
        found = f"only text in {list(table.columns)} (first values: {first})" if first else "only a date column"
        raise UserError(f"no numeric column found, {found}; supply a CSV with a column of numbers")
    misfit = pd.DataFrame(misfits, index=table.index)
    return pd.DataFrame(numbers, index=table.index), text_cols, misfit


def report_misfits(table: pd.DataFrame, misfit: pd.DataFrame, decimal: str, thousands: str | None,
                   report: list[str]) -> int:
    """One report line counting the cells that look like numbers but do not fit the format."""
    n = int(misfit.to_numpy().sum())
    if n:
        col = misfit.sum().idxmax()
        example = table.loc[misfit[col], col].iloc[0]
        report.append(f"treated {n:,} cells that do not fit the file's number format "
                      f"({describe_number_format(decimal, thousands)}) as missing (e.g. {example!r} in {col!r}); "
                      "they are interpolated: write every number the same way")
    return n


def rows_without_numbers(table: pd.DataFrame, numbers: pd.DataFrame) -> pd.Series:
    """Rows whose numeric columns hold text but not one number: footers such as 'Total: 6' in a
    dateless file."""
    return numbers.isna().all(axis=1) & table[numbers.columns].notna().any(axis=1)


def report_junk_cells(table: pd.DataFrame, numbers: pd.DataFrame, report: list[str],
                      misfit: pd.DataFrame | None = None) -> None:
    junk = numbers.isna() & table[numbers.columns].notna()
    if misfit is not None:  # reported by report_misfits
        junk = junk & ~misfit.loc[junk.index, junk.columns]
    if junk.to_numpy().any():
        col = junk.sum().idxmax()
        example = table.loc[junk[col], col].iloc[0]
        report.append(
            f"treated {int(junk.to_numpy().sum()):,} cells that are not numbers as missing "
            f"(e.g. {example!r} in {col!r}); they are interpolated"
        )


def mask_sentinels(numbers: pd.DataFrame, na_values: list[float] | None, report: list[str]) -> pd.DataFrame:
    """NaN where a missing-value marker stands: the given values, or detected ones when None.

    A detected marker is also masked in every other column where it lies outside the range of
    that column's other values.
    """
    if na_values is None:
        found = {_find_sentinel(numbers[col]) for col in numbers.columns} - {None}
        markers = {
            value: [col for col in numbers.columns if _is_outside_rest(numbers[col], value)] for value in found
        }
        hint = KEEP_MARKERS_HINT
    else:
        markers = {value: [col for col in numbers.columns if (numbers[col] == value).any()] for value in na_values}
        hint = ""
    for value, cols in markers.items():
        if cols:
            cells = int((numbers[cols] == value).to_numpy().sum())
            numbers[cols] = numbers[cols].mask(numbers[cols] == value)
            report.append(f"treated {value:g} as a missing-value marker in {len(cols)} column(s) ({cells:,} cells){hint}")
    return numbers


def _is_outside_rest(values: pd.Series, value: float) -> bool:
    rest = values[values != value].dropna()
    return bool((values == value).any() and len(rest) and (value < rest.min() or value > rest.max()))


def _find_sentinel(values: pd.Series) -> float | None:
    """A whole number repeated in >= 0.5% of rows, far (> 5 IQRs) beyond the rest: -200, -999, 9999."""
    valid = values.dropna()
    if len(valid) < 20:
        return None
    counts = valid.value_counts()
    for candidate in (valid.min(), valid.max()):
        n = int(counts.get(candidate, 0))
        if candidate == 0 or candidate % 1 or n < max(3, 0.005 * len(values)):
            continue
        rest = valid[valid != candidate]
        if len(rest) < 10:
            continue
        q1, q3 = rest.quantile([0.25, 0.75])
        spread = (q3 - q1) or rest.std()
        if spread and (candidate < q1 - 5 * spread or candidate > q3 + 5 * spread):
            return float(candidate)
    return None


def drop_sparse_covariates(numbers: pd.DataFrame, value_col: str, report: list[str]) -> pd.DataFrame:
    """Without the non-target columns that are more than half missing: filling them would invent most."""
    sparse = [c for c in numbers.columns if c != value_col and numbers[c].isna().mean() > 0.5]
    if sparse:
        report.append(f"dropped {len(sparse)} column(s) with more than half their values missing: {sparse}")
    return numbers.drop(columns=sparse)
