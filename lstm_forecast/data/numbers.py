"""Cells of text to numbers: decimal and thousands marks, junk cells, missing-value markers."""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import UserError

# Spaces inside numbers ('1 234,5'), the no-break space included. The character itself stands in
# the pattern: pyarrow's regex engine (pandas 3.0's str dtype) rejects the escape "\u00a0".
_SPACES = "[\\s\u00a0]"


def detect_number_format(sample: pd.DataFrame, sep: str) -> tuple[str, str | None]:
    """(decimal, thousands) marks used by the numbers in a sample of cells."""
    cells = pd.Series(sample.to_numpy().ravel()).dropna().astype(str).str.replace(_SPACES, "", regex=True)
    count = lambda pattern: int(cells.str.fullmatch(pattern).sum())  # noqa: E731
    if count(r"[-+]?\d{1,3}(\.\d{3})+,\d+"):
        return ",", "."  # 1.234,5
    comma_decimals = count(r"[-+]?\d*,\d+") if sep != "," else count(r"[-+]?\d*,(\d{1,2}|\d{4,})")
    if comma_decimals and comma_decimals >= count(r"[-+]?\d*\.\d+"):
        return ",", None  # 2,6
    if count(r"[-+]?\d{1,3}(,\d{3})+(\.\d+)?"):
        return ".", ","  # 1,234.5
    return ".", None


def find_numbers(
    table: pd.DataFrame, decimal: str, thousands: str | None, report: list[str], keep: str | None
) -> tuple[pd.DataFrame, list[str]]:
    """The numeric columns as floats (NaN for junk cells), and the text columns (dropped, reported)."""
    numbers, text_cols = {}, []
    for col in table.columns:
        cells = table[col]
        clean = cells.str.replace(_SPACES, "", regex=True)
        if thousands:
            clean = clean.str.replace(thousands, "", regex=False)
        if decimal != ".":
            clean = clean.str.replace(decimal, ".", regex=False)
        parsed = pd.to_numeric(clean, errors="coerce")
        parsed = parsed.where(np.isfinite(parsed))  # 'inf' and 1e400 are junk, not numbers to train on
        if parsed.notna().sum() >= 0.5 * cells.notna().sum() and parsed.notna().any():
            numbers[col] = parsed.astype("float64")
        elif col != keep:
            text_cols.append(col)
    if text_cols:
        report.append(f"dropped {len(text_cols)} non-numeric column(s): {text_cols}")
    if not numbers:
        first = table.iloc[:, 0].dropna().head(3).tolist() if table.shape[1] else []
        found = f"only text in {list(table.columns)} (first values: {first})" if first else "only a date column"
        raise UserError(f"no numeric column found, {found}; supply a CSV with a column of numbers")
    return pd.DataFrame(numbers, index=table.index), text_cols


def rows_without_numbers(table: pd.DataFrame, numbers: pd.DataFrame) -> pd.Series:
    """Rows whose numeric columns hold text but not one number: footers such as 'Total: 6' in a
    dateless file."""
    return numbers.isna().all(axis=1) & table[numbers.columns].notna().any(axis=1)


def report_junk_cells(table: pd.DataFrame, numbers: pd.DataFrame, report: list[str]) -> None:
    junk = numbers.isna() & table[numbers.columns].notna()
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
        hint = "; pass na_values=[] to keep it"
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
