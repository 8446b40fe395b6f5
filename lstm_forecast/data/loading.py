"""Load a CSV as people really upload it into a clean `LoadedSeries`.

Steps: bytes -> text (encoding) -> table of strings (delimiter, header, bad lines) -> dates
(column(s), day/month order, epochs) -> numbers (decimal comma, thousands, junk, sentinels)
-> `regularise` (order, duplicates, gaps). Every repair adds one sentence to the report.
"""
from __future__ import annotations

import csv
import io
import re
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import UserError
from .date_columns import DATE_NAME, DMY_DATE, ISO_DATE, find_dates
from .frequency import regularise_observed
from .series import LoadedSeries

_DELIMITERS = ",;\t|"
_SAMPLE_LINES = 200
_NUMBER = re.compile(r"^[-+]?[\d.,\s]*\d([eE][-+]?\d+)?$")
_MIN_ROWS = 3


def load_csv(
    source: Any,
    *,
    date_col: str | None = None,
    value_col: str | None = None,
    time_col: str | None = None,
    na_values: list[float] | None = None,
    freq: str | None = None,
) -> LoadedSeries:
    """Read a CSV (path, uploaded-file object or bytes) into a regular, gap-free `LoadedSeries`.

    date_col/value_col/time_col: column names; detected when None. na_values: numbers meaning
    "missing" (None: detect a repeated extreme sentinel such as -200; []: none). freq: a pandas
    alias forcing the grid; inferred when None. Raises UserError for anything the user can fix.
    """
    raw, name = _read_source(source)
    text, report = _decode(raw, name)
    table, decimal, thousands = _read_table(text, name, report)
    dates, date_name, used = find_dates(table, date_col, time_col, report)
    rows, table = table, table.drop(columns=used)  # rows: the full text of each row, for examples
    numbers = _find_numbers(table, decimal, thousands, report, keep=value_col)
    junk_rows = dates.isna() if dates is not None else _rows_without_numbers(table, numbers)
    if junk_rows.any():
        example = _row_text(rows.loc[junk_rows].iloc[0])
        report.append(f"dropped {int(junk_rows.sum()):,} rows that are not data (e.g. {example!r})")
        numbers, table = numbers.loc[~junk_rows], table.loc[~junk_rows]
    _report_junk_cells(table, numbers, report)
    numbers = _mask_sentinels(numbers, na_values, report)
    value_col = _choose_value_col(numbers, table, value_col)
    numbers = _drop_sparse_covariates(numbers, value_col, report)
    if numbers[value_col].notna().sum() < _MIN_ROWS:
        raise UserError(
            f"column {value_col!r} has only {int(numbers[value_col].notna().sum())} numbers; "
            f"supply at least {_MIN_ROWS} rows or choose another column"
        )
    if dates is None:
        report.append("no date column found: using the row order as an integer step index")
        numbers = numbers.reset_index(drop=True)
    else:
        numbers.index = pd.DatetimeIndex(dates.loc[numbers.index], name=date_name)
    frame, freq, repairs, observed = regularise_observed(numbers.astype("float64"), freq)
    loaded = LoadedSeries(frame, value_col, date_name if dates is not None else None, freq, name, report + repairs,
                          observed=observed)
    return loaded.trimmed()


# -- bytes and text ---------------------------------------------------------------------------


def _label(name: str) -> str:
    """How messages name the file: 'sales.csv', or 'the file' for bare bytes."""
    return repr(name) if name else "the file"


def _read_source(source: Any) -> tuple[bytes, str]:
    """The raw bytes and a display name, without consuming an uploaded file for its caller."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        return bytes(source), ""
    if isinstance(source, (str, Path)):
        path = Path(source)
        try:
            return path.read_bytes(), path.name
        except FileNotFoundError as err:
            raise UserError(f"file {str(path)!r} not found; check the path") from err
        except OSError as err:
            raise UserError(f"cannot read {str(path)!r} ({err.strerror}); pass a readable CSV file") from err
    name = Path(str(getattr(source, "name", "") or "")).name
    if hasattr(source, "getvalue"):
        data = source.getvalue()
    elif hasattr(source, "read"):
        start = source.tell() if hasattr(source, "seek") else None
        data = source.read()
        if start is not None:
            source.seek(start)
    else:
        raise UserError(f"cannot read a CSV from a {type(source).__name__}; pass a path, bytes or an uploaded file")
    return (data.encode("utf-8") if isinstance(data, str) else bytes(data)), name


def _decode(raw: bytes, name: str) -> tuple[str, list[str]]:
    """Text with '\\n' line ends, and a report line when it was not UTF-8."""
    label = _label(name)
    if not raw.strip():
        raise UserError(f"{label} is empty; upload a CSV with a header row and at least {_MIN_ROWS} data rows")
    if raw[:4] == b"PK\x03\x04" or raw[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise UserError(f"{label} is an Excel workbook or archive, not a CSV; save it as CSV and upload that")
    report: list[str] = []
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        encodings = ["utf-16"]
    elif raw.startswith(b"\xef\xbb\xbf"):
        encodings = ["utf-8-sig"]
    elif raw[:200].count(b"\x00") > len(raw[:200]) // 4:  # UTF-16 without a byte-order mark
        encodings = ["utf-16-le" if raw[1:2] == b"\x00" else "utf-16-be"]
    else:
        encodings = ["utf-8", "cp1252", "latin-1"]
    for encoding in encodings:
        try:
            text = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise UserError(f"{label} is not text in {encodings[0]} (it looks like binary data); upload a CSV saved as UTF-8")
    if encoding in ("cp1252", "latin-1"):
        report.append(f"read the file as {encoding} because it is not valid UTF-8")
    controls = sum(ch < " " and ch not in "\t\r\n" for ch in text[:4000])
    if "\x00" in text or controls > 10:
        raise UserError(f"{label} looks like binary data, not a CSV text file; upload a CSV")
    return text.replace("\r\n", "\n").replace("\r", "\n"), report


# -- table ------------------------------------------------------------------------------------


def _read_table(text: str, name: str, report: list[str]) -> tuple[pd.DataFrame, str, str | None]:
    """All cells as strings (NaN when empty), plus the decimal and thousands marks of numbers."""
    lines = text.split("\n")
    sample = [line for line in lines if line.strip()][:_SAMPLE_LINES]
    sep = _detect_delimiter(sample)
    widths = _row_widths(lines, sep)  # (first line, last line, fields without trailing blanks, all fields)
    filled = [w for w in widths if w[2] > 0]
    if not filled:
        raise UserError(f"{_label(name)} has no data rows; upload a CSV with a header and data")
    width = Counter(w[2] for w in filled).most_common(1)[0][0]
    header_rec = next(i for i, w in enumerate(widths) if w[2] >= width)
    header = next(csv.reader(lines[widths[header_rec][0]: widths[header_rec][1] + 1], delimiter=sep))
    width = max(width, len(_strip_blanks(header)))
    headerless = all(_looks_like_data(field) for field in _strip_blanks(header))
    above = [w for w in widths[:header_rec] if w[2] > 0]
    if above:
        report.append(f"skipped {len(above)} line(s) above the header (e.g. {lines[above[0][0]].strip()!r})")
    body = widths[header_rec + (0 if headerless else 1):]
    last = max(i for i, w in enumerate(body) if w[2] > 0) if any(w[2] > 0 for w in body) else -1
    empty = [w for i, w in enumerate(body) if w[2] == 0 and (i < last or lines[w[0]].strip())]
    extra = [w for w in body if w[2] > width]
    if empty:
        report.append(f"dropped {len(empty):,} empty rows")
    if extra:
        report.append(f"dropped {len(extra):,} rows with more than {width} fields (e.g. {lines[extra[0][0]].strip()!r})")
    skip = {i for w in widths[: len(widths) - len(body)] + empty + extra for i in range(w[0], w[1] + 1)}
    n_fields = max([w[3] for w in widths if w[0] not in skip] + [width])
    names = _column_names([] if headerless else header[:width], width)
    try:
        table = pd.read_csv(
            io.StringIO(text), sep=sep, header=None, names=names + [f"_extra{i}" for i in range(n_fields - width)],
            dtype=str, skiprows=sorted(skip), skip_blank_lines=True, index_col=False, on_bad_lines="skip",
            skipinitialspace=True,
        )[names]
    except (pd.errors.ParserError, pd.errors.EmptyDataError, csv.Error, ValueError) as err:
        raise UserError(f"cannot parse {_label(name)} as CSV ({str(err).splitlines()[0]}); check it is a plain CSV") from err
    table = table.dropna(how="all").apply(lambda col: col.str.strip()).replace("", np.nan)
    table = table.drop(columns=[c for c in table.columns if c.startswith("Unnamed: ") and table[c].isna().all()])
    if len(table) < _MIN_ROWS:
        raise UserError(f"{_label(name)} has only {len(table)} data rows; supply at least {_MIN_ROWS}")
    decimal, thousands = _detect_number_format(table.head(_SAMPLE_LINES), sep)
    return table, decimal, thousands


def _looks_like_data(field: str) -> bool:
    """True for a number or a date, the cells of a headerless first row."""
    field = field.strip()
    return bool(_NUMBER.match(field) or ISO_DATE.match(field) or re.match(DMY_DATE, field))


def _strip_blanks(fields: list[str]) -> list[str]:
    """The fields without trailing blank ones (lines ending in ';;')."""
    end = len(fields)
    while end and not fields[end - 1].strip():
        end -= 1
    return fields[:end]


def _row_widths(lines: list[str], sep: str) -> list[tuple[int, int, int, int]]:
    """Per CSV record: (first line, last line, fields without trailing blanks, all fields)."""
    reader = csv.reader(lines, delimiter=sep)
    widths, start = [], 0
    try:
        for row in reader:
            widths.append((start, reader.line_num - 1, len(_strip_blanks(row)), len(row)))
            start = reader.line_num
    except csv.Error as err:
        raise UserError(f"cannot split the file into fields ({err}); check it is a plain CSV") from err
    return widths


def _detect_delimiter(sample: list[str]) -> str:
    """The delimiter among , ; tab | that splits the sample into the most consistent fields."""
    consistency: dict[str, float] = {}
    for sep in _DELIMITERS:
        counts = [len(_strip_blanks(row)) for row in csv.reader(sample, delimiter=sep)]
        mode, hits = Counter(counts).most_common(1)[0] if counts else (1, 0)
        if mode > 1:
            consistency[sep] = hits / len(counts)
    if not consistency:
        return ","  # a single column
    best = max(consistency.values())
    try:
        sniffed = csv.Sniffer().sniff("\n".join(sample), delimiters=_DELIMITERS).delimiter
    except csv.Error:
        sniffed = None
    tied = [sep for sep in "\t;|," if consistency.get(sep) == best]  # decimal commas tie with ';'
    return sniffed if sniffed in tied and (sniffed != "," or tied == [","]) else tied[0]


def _column_names(header: list[str], width: int) -> list[str]:
    """Unique names; headerless tables get 'value' or col1..colN."""
    if not header:
        return ["value"] if width == 1 else [f"col{i + 1}" for i in range(width)]
    names, seen = [], Counter()
    for i, raw in enumerate(header + [""] * (width - len(header))):
        name = raw.strip() or f"Unnamed: {i}"
        names.append(name if not seen[name] else f"{name}.{seen[name]}")
        seen[name] += 1
    return names


def _detect_number_format(sample: pd.DataFrame, sep: str) -> tuple[str, str | None]:
    """(decimal, thousands) marks used by the numbers in a sample of cells."""
    cells = pd.Series(sample.to_numpy().ravel()).dropna().astype(str)
    count = lambda pattern: int(cells.str.fullmatch(pattern).sum())  # noqa: E731
    if count(r"[-+]?\d{1,3}(\.\d{3})+,\d+"):
        return ",", "."  # 1.234,5
    comma_decimals = count(r"[-+]?\d*,\d+") if sep != "," else count(r"[-+]?\d*,(\d{1,2}|\d{4,})")
    if comma_decimals and comma_decimals >= count(r"[-+]?\d*\.\d+"):
        return ",", None  # 2,6
    if count(r"[-+]?\d{1,3}(,\d{3})+(\.\d+)?"):
        return ".", ","  # 1,234.5
    return ".", None


# -- numbers ----------------------------------------------------------------------------------


def _find_numbers(
    table: pd.DataFrame, decimal: str, thousands: str | None, report: list[str], keep: str | None
) -> pd.DataFrame:
    """The numeric columns as floats (NaN for junk cells); text columns are dropped and reported."""
    numbers, text_cols = {}, []
    for col in table.columns:
        cells = table[col]
        clean = cells.str.replace(r"[\s\u00a0]", "", regex=True)
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
    return pd.DataFrame(numbers, index=table.index)


def _rows_without_numbers(table: pd.DataFrame, numbers: pd.DataFrame) -> pd.Series:
    """Rows whose numeric columns hold text but not one number: footers such as 'Total: 6' in a
    dateless file."""
    return numbers.isna().all(axis=1) & table[numbers.columns].notna().any(axis=1)


def _row_text(row: pd.Series) -> str:
    return ",".join(str(v) for v in row.dropna())


def _report_junk_cells(table: pd.DataFrame, numbers: pd.DataFrame, report: list[str]) -> None:
    junk = numbers.isna() & table[numbers.columns].notna()
    if junk.to_numpy().any():
        col = junk.sum().idxmax()
        example = table.loc[junk[col], col].iloc[0]
        report.append(
            f"treated {int(junk.to_numpy().sum()):,} cells that are not numbers as missing "
            f"(e.g. {example!r} in {col!r}); they are interpolated"
        )


def _mask_sentinels(numbers: pd.DataFrame, na_values: list[float] | None, report: list[str]) -> pd.DataFrame:
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


def _drop_sparse_covariates(numbers: pd.DataFrame, value_col: str, report: list[str]) -> pd.DataFrame:
    """Without the non-target columns that are more than half missing: filling them would invent most."""
    sparse = [c for c in numbers.columns if c != value_col and numbers[c].isna().mean() > 0.5]
    if sparse:
        report.append(f"dropped {len(sparse)} column(s) with more than half their values missing: {sparse}")
    return numbers.drop(columns=sparse)


def _choose_value_col(numbers: pd.DataFrame, table: pd.DataFrame, value_col: str | None) -> str:
    """The target column: the one asked for, else the first numeric one not named like a time."""
    if value_col is None:
        undated = [c for c in numbers.columns if not DATE_NAME.search(str(c))]
        return str((undated or list(numbers.columns))[0])
    if value_col in numbers.columns:
        return value_col
    if value_col in table.columns:
        raise UserError(
            f"column {value_col!r} has no numbers (e.g. {table[value_col].dropna().head(3).tolist()}); "
            f"choose one of {list(numbers.columns)} with value_col"
        )
    raise UserError(f"value column {value_col!r} not found; choose one of {list(numbers.columns)} with value_col")
