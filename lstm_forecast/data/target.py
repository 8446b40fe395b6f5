"""Which numeric column to forecast when the user does not say, and why (for LoadedSeries.defaults)."""
from __future__ import annotations

import re

import numpy as np
import pandas as pd

from ..errors import UserError
from .date_columns import DATE_NAME, DATE_PARTS

# Names that mean "the target" in forecasting files: ETT/exchange-rate benchmarks end with 'OT'
# (oil temperature), Prophet-style files use 'y'.
_TARGET_NAMES = {
    "ot": "the target column of ETT-style benchmark files",
    "target": "named as the target",
    "y": "named as the target (Prophet-style 'y')",
    "value": "named as the value to forecast",
}
_ADJ_CLOSE = re.compile(r"adj(\.|usted)?[ _]?close", re.I)
_PRICE_NAMES = {"open", "high", "low", "close", "volume"}
_COUNTER_NAME = re.compile(
    r"no\.?|nr\.?|#|id|idx|index|row(_?(no|nr|num|number|id|index))?|record(_?(no|id))?|serial(_?no)?|"
    r"s\.?no\.?|unnamed: ?0|level_0|obs", re.I)


def choose_value_col(numbers: pd.DataFrame, table: pd.DataFrame, value_col: str | None) -> tuple[str, str | None]:
    """The target column, and the reason when the loader chose it (None when the user named it).

    Order: a column named like a target (OT, target, y, value); a stock export's Adj Close, then
    Close; then the first numeric column that is neither a row counter nor named like a date part.
    """
    if value_col is not None:
        if value_col in numbers.columns:
            return value_col, None
        if value_col in table.columns:
            raise UserError(
                f"column {value_col!r} has no numbers (e.g. {table[value_col].dropna().head(3).tolist()}); "
                f"choose one of {list(numbers.columns)} with value_col"
            )
        raise UserError(f"value column {value_col!r} not found; choose one of {list(numbers.columns)} with value_col")
    columns = [str(c) for c in numbers.columns]
    if len(columns) == 1:
        return columns[0], "the only numeric column"
    for col in columns:
        if col.strip().lower() in _TARGET_NAMES:
            return col, _TARGET_NAMES[col.strip().lower()]
    lower = {c.strip().lower(): c for c in columns}
    if "close" in lower and len(_PRICE_NAMES & set(lower)) >= 3:
        adjusted = next((c for c in columns if _ADJ_CLOSE.fullmatch(c.strip())), None)
        if adjusted is not None:
            return adjusted, "the adjusted close of a stock export (corrected for splits and dividends)"
        return lower["close"], "the closing price of a stock export"
    skipped = {c: _why_not_target(numbers[c], c) for c in columns}
    usable = [c for c in columns if skipped[c] is None]
    notes = "; ".join(f"{c!r} is {why}" for c, why in skipped.items() if why)
    if usable:
        return usable[0], "the first numeric column" + (f" ({notes})" if notes else "")
    return columns[0], f"the first numeric column, though {notes}"


def _why_not_target(values: pd.Series, name: str) -> str | None:
    """'a row counter', 'named like a date part', or None for a column that may be the target."""
    if is_row_counter(values, name):
        return "a row counter"
    if DATE_NAME.search(name) or any(pattern.fullmatch(name.strip()) for pattern, _, _ in DATE_PARTS.values()):
        return "named like a date or time"
    return None


def is_row_counter(values: pd.Series, name: str) -> bool:
    """A row number or id: named like one (No, id, index, row...) and whole numbers, or the sequence
    0, 1, 2, ... or 1, 2, 3, ... in file order (a gap or two where rows were dropped is allowed)."""
    valid = values.dropna().to_numpy()
    if len(valid) < 3 or (valid % 1 != 0).any():
        return False
    if _COUNTER_NAME.fullmatch(name.strip()):
        return True
    steps = np.diff(valid)
    return valid[0] in (0, 1) and bool((steps > 0).all()) and float(np.mean(steps == 1)) >= 0.95
