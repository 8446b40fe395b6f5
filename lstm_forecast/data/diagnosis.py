"""What the loader tells the user beyond the repairs: the choices it made by itself, with their
reasons (LoadedSeries.defaults), and the repairs big enough to be warnings, with their likely cause."""
from __future__ import annotations

import pandas as pd
from pandas.tseries.frequencies import to_offset

from .date_columns import FoundDates
from .frequency import Regularised, describe_freq, describe_step_change, step_words

WARN_SHARE = 0.03  # merging or dropping more than this share of the rows (3 rows or more) is a warning, not a repair
WARN_FILLED = 0.2  # so is filling more than this share of the steps


def worth_warning(count: int, total: int) -> bool:
    return count >= 3 and count > WARN_SHARE * total


def chosen_defaults(found: FoundDates, date_col: str | None, value_col: str, value_reason: str | None,
                    done: Regularised, freq: str | None) -> dict[str, str]:
    """Each choice the loader made by itself -> 'choice: reason'."""
    defaults = {}
    if date_col is None:
        defaults["date_col"] = f"{' + '.join(found.used) or 'none'}: {found.reason}"
    if value_reason is not None:
        defaults["value_col"] = f"{value_col}: {value_reason}"
    if freq is None and done.freq is not None:
        defaults["freq"] = f"{done.freq} ({describe_freq(done.freq)}): {done.freq_reason}"
    return defaults


def regularise_warnings(done: Regularised, found: FoundDates, rows: pd.DataFrame, text_cols: list[str],
                        freq: str | None) -> list[str]:
    """Warnings for a grid that merged many rows (with the likely cause) or filled many steps."""
    warnings = []
    if worth_warning(done.rows_merged, done.rows_in):
        cause, fix = merge_cause(found, rows, text_cols, freq)
        warnings.append(f"merged {done.rows_merged:,} of {done.rows_in:,} rows ({done.rows_merged / done.rows_in:.0%}) "
                        f"by averaging rows that fall on the same timestamp: {cause}; {fix}")
    if done.steps_filled > WARN_FILLED * len(done.frame):
        change = describe_step_change(pd.DatetimeIndex(found.dates.dropna()).sort_values())
        warnings.append(f"{done.steps_filled:,} of {len(done.frame):,} {describe_freq(done.freq)} steps "
                        f"({done.steps_filled / len(done.frame):.0%}) had no row and were filled by interpolation"
                        + (f": {change}; pass freq= with the step you want, or load each part separately" if change
                           else "; check that the frequency is right, or pass freq="))
    return warnings


def merge_cause(found: FoundDates, rows: pd.DataFrame, text_cols: list[str], freq: str | None) -> tuple[str, str]:
    """(likely cause, fix) when many rows were merged onto shared timestamps."""
    dates = pd.DatetimeIndex(found.dates.dropna()).sort_values()
    unique = dates.unique()
    step = pd.Series(unique[1:] - unique[:-1]).median() if len(unique) > 1 else None
    try:
        nominal = (unique[0] + to_offset(freq)) - unique[0] if freq is not None and step is not None else None
    except ValueError:  # an unknown alias: regularise names it
        nominal = None
    if nominal is not None and step < nominal:
        return (f"freq={freq!r} is coarser than the data's usual step of {step_words(step)}",
                "pass a finer freq, or none to detect it")
    unused = [col for col in found.parts.values() if col not in found.used]
    if unused and found.name in found.parts.values():
        return (f"dates are split across columns ({', '.join(repr(c) for c in found.parts.values())})",
                "leave date_col unset so that they are combined")
    if len(unique) <= 10:
        return (f"the date column {found.name!r} has only {len(unique)} distinct values",
                "choose the column with full dates with date_col")
    for col in text_cols:
        per_time = rows.loc[found.dates.notna(), col].groupby(found.dates.dropna().to_numpy()).nunique()
        if per_time.mean() > 1.5:
            return (f"the file seems to hold several series, one per value of {col!r} "
                    f"({rows[col].nunique():,} values)", "filter it to one series before loading")
    change = describe_step_change(dates)
    if change:
        return change, "pass freq= with the step you want, or load each part separately"
    repeats = len(dates) - len(unique)
    cause = (f"{repeats:,} rows repeat another row's timestamp" if repeats
             else "timestamps between the steps of the grid were moved onto the same steps")
    return cause, f"check the dates in {found.name!r}"
