"""Load a CSV as people really upload it into a clean `LoadedSeries`.

Steps: size caps -> bytes -> text (encoding) -> table of strings (delimiter, header, bad lines)
-> dates (one column, date + time, date parts, Unix time) -> numbers (decimal comma, thousands,
junk, sentinels) -> target -> `regularise` (order, duplicates, grid, gaps). Every repair adds one
sentence with its count to the report; repairs big enough to matter also add a warning; every
choice the loader made by itself is in `defaults` with its reason.
"""
from __future__ import annotations

import csv
import hashlib
import io
import itertools
import os
import re
from array import array
from collections import Counter
from pathlib import Path
from typing import Any
from warnings import catch_warnings, simplefilter

import numpy as np
import pandas as pd

from ..errors import UserError
from .date_columns import DMY_DATE, ISO_DATE, ORDER_GUESSED, find_dates
from .diagnosis import chosen_defaults, merge_cause, regularise_warnings, worth_warning
from .frequency import regularise_observed
from .numbers import (describe_number_format, detect_number_format, drop_sparse_covariates, find_numbers,
                      mask_sentinels, report_junk_cells, report_misfits, rows_without_numbers)
from .series import LoadedSeries
from .source import Source
from .target import choose_value_col

MAX_MB = 200  # default cap on the file size (MiB); LSTM_FORECAST_MAX_MB overrides, as maxUploadSize does for uploads
MAX_ROWS = 2_000_000  # default cap on the lines of a file; LSTM_FORECAST_MAX_ROWS overrides
MAX_COLUMNS = 10_000  # default cap on the fields of the header line; LSTM_FORECAST_MAX_COLUMNS overrides
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
    keep_markers: bool = False,
) -> LoadedSeries:
    """Read a CSV (path, uploaded-file object or bytes) into a regular, gap-free `LoadedSeries`.

    date_col/value_col/time_col: column names; detected when None. na_values: numbers meaning
    "missing" (None: detect a repeated extreme sentinel such as -200; []: none). freq: a pandas
    alias forcing the grid; inferred when None. keep_markers: keep every number as written (no
    sentinel detection; the same as na_values=[]). Files over LSTM_FORECAST_MAX_MB (default 200)
    or LSTM_FORECAST_MAX_ROWS lines (default 2,000,000) are refused before parsing. Raises
    UserError for anything the user can fix.
    """
    if keep_markers and na_values:
        raise UserError(f"keep_markers keeps every number, so na_values={na_values} would be ignored; "
                        "pass one of the two")
    if keep_markers:
        na_values = []
    raw, name = _read_source(source)
    _check_rows(raw, name)
    digest = hashlib.sha256(raw).hexdigest() if isinstance(source, (str, Path)) else None  # for its Source
    text, report = _decode(raw, name)
    del raw
    warnings: list[str] = []
    table, sep = _read_table(text, name, report, warnings)
    del text
    found = find_dates(table, date_col, time_col, report)
    rows, table = table, table.drop(columns=found.used)  # rows: the full text of each row, for examples
    decimal, thousands = detect_number_format(table, sep)  # from every cell, dates left out
    numbers, text_cols, misfit = find_numbers(table, decimal, thousands, report, keep=value_col)
    junk_rows = found.dates.isna() if found.dates is not None else rows_without_numbers(table, numbers)
    if junk_rows.any():
        n_junk, example = int(junk_rows.sum()), _row_text(rows.loc[junk_rows].iloc[0])
        report.append(f"dropped {n_junk:,} rows that are not data (e.g. {example!r})")
        if worth_warning(n_junk, len(rows)) and found.dates is not None:
            warnings.append(f"dropped {n_junk:,} of {len(rows):,} rows ({n_junk / len(rows):.0%}) whose "
                            f"{found.name!r} is not a readable date (e.g. {example!r}); check that column, "
                            "or choose another with date_col")
        numbers, table = numbers.loc[~junk_rows], table.loc[~junk_rows]
    n_misfit = report_misfits(table, misfit.loc[numbers.index], decimal, thousands, report)
    if worth_warning(n_misfit, int(table[numbers.columns].notna().to_numpy().sum())):
        warnings.append(f"{n_misfit:,} numbers do not fit the {describe_number_format(decimal, thousands)} "
                        "that most of the file uses and were treated as missing; write every number the same way")
    report_junk_cells(table, numbers, report, misfit.loc[numbers.index])
    numbers = mask_sentinels(numbers, na_values, report)
    value_col, value_reason = choose_value_col(numbers, table, value_col)
    numbers = drop_sparse_covariates(numbers, value_col, report)
    if numbers[value_col].notna().sum() < _MIN_ROWS:
        others = [c for c in numbers.columns if c != value_col and numbers[c].notna().sum() >= _MIN_ROWS]
        raise UserError(
            f"column {value_col!r} has only {int(numbers[value_col].notna().sum())} numbers; supply at least "
            f"{_MIN_ROWS} rows" + (f" or choose another column with value_col (one of {others})" if others else "")
        )
    if found.dates is None:
        report.append("no date column found: using the row order as an integer step index")
        numbers = numbers.reset_index(drop=True)
    else:
        numbers.index = pd.DatetimeIndex(found.dates.loc[numbers.index], name=found.name)
        if numbers.index.nunique() < _MIN_ROWS:
            cause, fix = merge_cause(found, rows, text_cols, freq)
            raise UserError(f"the {len(numbers):,} rows have only {numbers.index.nunique()} distinct timestamps: "
                            f"{cause}; {fix}")
    try:
        done = regularise_observed(numbers.astype("float64"), freq)
    except UserError as err:  # a wrong day/month guess scatters the dates: no freq= can fix that
        guess = next((line for line in report if ORDER_GUESSED in line), None)
        if guess is None:
            raise
        raise UserError(f"{err}; or the day/month order is wrong ({guess})") from err
    warnings += regularise_warnings(done, found, rows, text_cols, freq)
    defaults = chosen_defaults(found, date_col, value_col, value_reason, done, freq)
    origin = None
    if digest is not None and not na_values and time_col is None:  # a file on disk, read as the loader's options reproduce it
        origin = Source("csv", csv=str(Path(source).resolve()), sha256=digest, value_col=value_col, date_col=date_col,
                        freq=freq, keep_markers=na_values == [])
    loaded = LoadedSeries(done.frame, value_col, found.name, done.freq, name, report + done.report,
                          observed=done.observed, defaults=defaults, warnings=warnings, origin=origin).trimmed()
    big_fill = loaded.fill_warning()
    if big_fill:
        loaded.warnings.append(big_fill)
    if loaded.series.nunique() == 1:
        loaded.warnings.append(f"{value_col!r} has the same value ({loaded.series.iloc[0]:g}) in every row: there "
                               "is nothing to forecast; choose another column with value_col")
    return loaded


# -- bytes and text ---------------------------------------------------------------------------


def _label(name: str) -> str:
    """How messages name the file: 'sales.csv', or 'the file' for bare bytes."""
    return repr(name) if name else "the file"


def _cap(var: str, default: float) -> float:
    """A positive number from the environment variable `var`, else `default`."""
    text = os.environ.get(var, "").strip()
    if not text:
        return default
    try:
        value = float(text.replace("_", ""))
    except ValueError:
        value = float("nan")
    if not value > 0:
        raise UserError(f"{var}={text!r} is not a positive number; set it to a number such as {default:g}, or unset it")
    return value


def _check_size(size: int, name: str) -> None:
    """Refuse a file over the size cap, before reading it."""
    cap = _cap("LSTM_FORECAST_MAX_MB", MAX_MB)
    if size > cap * 2**20:
        raise UserError(
            f"{_label(name)} is {size / 2**20:,.1f} MB, over the {cap:g} MB limit; set LSTM_FORECAST_MAX_MB to "
            "raise it (uploads in the dashboard also need server.maxUploadSize in .streamlit/config.toml)"
        )


def _check_rows(raw: bytes, name: str) -> None:
    """Refuse a file with more data lines than the row cap, counted without parsing."""
    cap = _cap("LSTM_FORECAST_MAX_ROWS", MAX_ROWS)
    # Any line ending counts: '\r\n', '\n' and a lone '\r' (old Mac files), as _decode splits them.
    ends = raw.count(b"\n") + raw.count(b"\r") - raw.count(b"\r\n")
    lines = ends + (not raw.endswith((b"\n", b"\r")))
    if lines - 1 > cap:
        raise UserError(f"{_label(name)} has {lines - 1:,} rows, over the {cap:,.0f}-row limit; set "
                        "LSTM_FORECAST_MAX_ROWS to raise it, or aggregate the data to a coarser step first")


def _check_columns(sample: list[tuple[int, str]], name: str) -> None:
    """Refuse a file whose first lines (the header among them) have more fields than the column
    cap, counted with str.count before any CSV parsing: parsing 60,000 columns takes minutes."""
    cap = _cap("LSTM_FORECAST_MAX_COLUMNS", MAX_COLUMNS)
    for number, line in sample[:5]:
        fields = max(line.count(sep) for sep in _DELIMITERS) + 1
        if fields > cap:
            raise UserError(f"line {number + 1:,} of {_label(name)} has {fields:,} fields, over the {cap:,.0f}-column "
                            "limit; set LSTM_FORECAST_MAX_COLUMNS to raise it, or keep only the columns you need")


def _read_source(source: Any) -> tuple[bytes, str]:
    """The raw bytes and a display name, without consuming an uploaded file for its caller; the
    size cap is checked before anything is read where the size is known in advance."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        _check_size(len(source), "")
        return bytes(source), ""
    if isinstance(source, (str, Path)):
        path = Path(source)
        try:
            _check_size(path.stat().st_size, path.name)
            return path.read_bytes(), path.name
        except FileNotFoundError as err:
            raise UserError(f"file {str(path)!r} not found; check the path") from err
        except OSError as err:
            raise UserError(f"cannot read {str(path)!r} ({err.strerror}); pass a readable CSV file") from err
    name = Path(str(getattr(source, "name", "") or "")).name
    if isinstance(getattr(source, "size", None), int):  # Streamlit's UploadedFile
        _check_size(source.size, name)
    if hasattr(source, "getbuffer"):  # BytesIO: its size without a copy
        _check_size(source.getbuffer().nbytes, name)
    if hasattr(source, "getvalue"):
        data = source.getvalue()
    elif hasattr(source, "read"):
        start = source.tell() if hasattr(source, "seek") else None
        if start is not None:
            _check_size(source.seek(0, io.SEEK_END) - start, name)
            source.seek(start)
        data = source.read()
        if start is not None:
            source.seek(start)
    else:
        raise UserError(f"cannot read a CSV from a {type(source).__name__}; pass a path, bytes or an uploaded file")
    data = data.encode("utf-8") if isinstance(data, str) else bytes(data)
    _check_size(len(data), name)
    return data, name


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
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text, report


# -- table ------------------------------------------------------------------------------------


def _read_table(text: str, name: str, report: list[str], warnings: list[str]) -> tuple[pd.DataFrame, str]:
    """All cells as strings (NaN when empty), and the field separator.

    The text is scanned once record by record into small integer arrays (no list of lines), and
    pandas parses it from UTF-8 bytes: a 1,000,000-row file stays well under 1 GB.
    """
    sample = [(i, line) for i, line in enumerate(_iter_lines(text, _SAMPLE_LINES * 5)) if line.strip()][:_SAMPLE_LINES]
    _check_columns(sample, name)
    sep = _detect_delimiter(sample, name)
    first, end, fields, all_fields, has_text = _records(text, sep, name)
    filled = fields > 0
    if not filled.any():
        raise UserError(f"{_label(name)} has no data rows; upload a CSV with a header and data")
    width = _mode(fields[filled])
    header_rec = int(np.argmax(fields >= width))
    header = next(csv.reader(_lines_between(text, first[header_rec], end[header_rec]), delimiter=sep))
    width = max(width, len(_strip_blanks(header)))
    headerless = all(_looks_like_data(field) for field in _strip_blanks(header))
    above = np.flatnonzero(filled[:header_rec])
    if len(above):
        report.append(f"skipped {len(above)} line(s) above the header (e.g. {_line(text, first[above[0]]).strip()!r})")
    start = header_rec + (0 if headerless else 1)
    body = np.arange(start, len(fields))
    last = body[filled[body]].max() if filled[body].any() else -1
    empty = body[~filled[body] & ((body < last) | has_text[body])]
    extra = body[fields[body] > width]
    if len(empty):
        report.append(f"dropped {len(empty):,} empty rows")
    if len(extra):
        report.append(f"dropped {len(extra):,} rows with more than {width} fields (e.g. line {first[extra[0]] + 1:,}, "
                      f"{all_fields[extra[0]]:,} fields: {_preview(_line(text, first[extra[0]]))!r})")
        if worth_warning(len(extra), len(body)):
            warnings.append(f"dropped {len(extra):,} of {len(body):,} rows ({len(extra) / len(body):.0%}) with more "
                            f"than {width} fields: a separator inside unquoted numbers or text (like 1,234) splits "
                            "them; quote those fields or save the file with another separator")
    skipped = np.zeros(len(fields), dtype=bool)
    skipped[:start], skipped[empty], skipped[extra] = True, True, True
    skip = [line for rec in np.flatnonzero(skipped) for line in range(first[rec], end[rec] + 1)]
    n_fields = max(int(all_fields[~skipped].max(initial=0)), width)
    names = _column_names([] if headerless else header[:width], width)
    extras = [f"_extra{i}" for i in range(n_fields - width)]
    try:
        with catch_warnings(record=True) as caught:
            simplefilter("always", pd.errors.ParserWarning)
            table = pd.read_csv(
                io.BytesIO(text.encode("utf-8")), encoding="utf-8", sep=sep, header=None, names=names + extras,
                dtype=str, skiprows=skip, skip_blank_lines=True, index_col=False, on_bad_lines="warn",
                skipinitialspace=True,
            )
    except (pd.errors.ParserError, pd.errors.EmptyDataError, csv.Error, ValueError) as err:
        spans = np.flatnonzero(end > first)  # records running over several lines: quoted line breaks
        if "EOF inside string" in str(err) and len(spans):
            raise UserError(f"a quote (\") on line {first[spans[-1]] + 1:,} of {_label(name)} is never closed, so the "
                            "rest of the file reads as one field; close the quote or remove it") from err
        raise UserError(f"cannot parse {_label(name)} as CSV ({str(err).splitlines()[0]}); check it is a plain CSV") from err
    disagreement = next((str(w.message) for w in caught if issubclass(w.category, pd.errors.ParserWarning)), None)
    if disagreement:  # pandas split a row into more fields than the csv module did: its quotes are unclear
        where = re.search(r"line (\d+)", disagreement)
        raise UserError(f"{'line ' + where.group(1) + ' of ' if where else 'some rows of '}{_label(name)} split into "
                        "different numbers of fields depending on how their quotes (\") are read; check the quotes")
    wide = table[extras].notna().any(axis=1) if extras else None
    if wide is not None and wide.any():  # more fields than the header, seen only by pandas' reading of quotes
        report.append(f"dropped {int(wide.sum()):,} rows with more than {width} fields (e.g. "
                      f"{_preview(_row_text(table.loc[wide].iloc[0]))!r})")
        table = table.loc[~wide]
    table = table[names]
    for col in names:  # one column at a time: a copy of the whole table would double the peak
        cells = table[col].str.strip()
        table[col] = cells.where(cells != "")
    table = table.dropna(how="all")
    table = table.drop(columns=[c for c in table.columns if c.startswith("Unnamed: ") and table[c].isna().all()])
    if len(table) < _MIN_ROWS:
        raise UserError(f"{_label(name)} has only {len(table)} data rows; supply at least {_MIN_ROWS}")
    return table, sep


def _iter_lines(text: str, limit: int | None = None):
    """The lines of `text` split at '\\n', as text.split('\\n') gives them, but a chunk at a time
    (a list of every line of a large file costs more than the file itself); at most `limit`."""
    lines = itertools.chain.from_iterable(_line_chunks(text))
    return lines if limit is None else itertools.islice(lines, limit)


def _line_chunks(text: str, size: int = 1 << 20):
    pos = 0
    while pos + size < len(text):
        cut = text.rfind("\n", pos, pos + size)
        cut = cut if cut >= 0 else text.find("\n", pos + size)
        if cut < 0:
            break
        yield text[pos:cut].split("\n")
        pos = cut + 1
    yield text[pos:].split("\n")


def _line(text: str, number: int) -> str:
    """Line `number` (0-based) of `text`."""
    return next(itertools.islice(_iter_lines(text), number, None), "")


def _lines_between(text: str, first: int, last: int) -> list[str]:
    return list(itertools.islice(_iter_lines(text), first, last + 1))


def _mode(values: np.ndarray) -> int:
    """The most common value; among ties, the one seen first (as Counter.most_common)."""
    counts = np.bincount(values)
    tied = np.flatnonzero(counts == counts.max())
    return int(tied[0] if len(tied) == 1 else min(tied, key=lambda v: int(np.argmax(values == v))))


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


def _preview(line: str, limit: int = 60) -> str:
    """The start of a line for a message: a 44,000-field line quoted whole would bury the message."""
    line = line.strip()
    return line if len(line) <= limit else f"{line[:limit]}… ({len(line):,} characters)"


def _fields_of(line: str) -> int:
    """Fields of `line` under the separator that splits it most (its quotes not read)."""
    return max(line.count(sep) for sep in _DELIMITERS) + 1


def _csv_error(err: csv.Error, line: int, name: str, text: str, width: int | None = None) -> UserError:
    """The user's message for the csv module's error in the record starting at `line` (1-based),
    whose first line is `text`; width: the fields of the header, where known.

    The csv module says only "field larger than field limit": the line itself tells an unclosed
    quote (an odd number of quotes) from a line with far more fields than the header or one huge field.
    """
    if "field larger than field limit" not in str(err):
        return UserError(f"cannot split {_label(name)} into fields at line {line:,} ({err}); check it is a plain CSV")
    where, limit = f"line {line:,} of {_label(name)}", csv.field_size_limit()
    if text.count('"') % 2:
        return UserError(f"a quote (\") on {where} is never closed, so the lines after it read as one field longer "
                         f"than {limit:,} characters; close the quote or remove it ({_preview(text)!r})")
    fields = _fields_of(text)
    if width and fields > width:
        return UserError(f"{where} has {fields:,} fields where the other rows have {width:,} ({_preview(text)!r}); "
                         "remove that line or fix its separators")
    return UserError(f"{where} has a field longer than {limit:,} characters and no quote (\") that could explain "
                     f"it ({_preview(text)!r}); shorten or remove that field")


def _records(text: str, sep: str, name: str) -> tuple[np.ndarray, ...]:
    """Per CSV record: first line, last line, fields without trailing blanks, all fields, and
    whether its line holds anything but spaces (a row of bare separators does)."""
    reader = csv.reader(_iter_lines(text), delimiter=sep)
    out, start = array("q"), 0
    try:
        for row in reader:
            n = end = len(row)
            while end and not row[end - 1].strip():
                end -= 1
            out.extend((start, reader.line_num - 1, end, n, n > 1 or end > 0))
            start = reader.line_num
    except csv.Error as err:
        header = out[2::5][: _SAMPLE_LINES]  # fields of the records read so far
        width = Counter(header).most_common(1)[0][0] if header else None
        raise _csv_error(err, start + 1, name, _line(text, start), width) from err
    first, last, fields, all_fields, has_text = np.frombuffer(out, dtype=np.int64).reshape(-1, 5).T
    return first, last, fields, all_fields, has_text.astype(bool)


def _detect_delimiter(sample: list[tuple[int, str]], name: str) -> str:
    """The delimiter among , ; tab | that splits the sample (line number, text) into the most
    consistent fields."""
    consistency: dict[str, float] = {}
    texts = [line for _, line in sample]
    errors = {}
    for sep in _DELIMITERS:
        reader, counts, start = csv.reader(texts, delimiter=sep), [], 0
        try:
            for row in reader:
                counts.append(len(_strip_blanks(row)))
                start = reader.line_num  # the next record's first line in `texts`
        except csv.Error as err:  # no real field is 131,072 characters: not this separator
            errors[sep] = (err, start)
            continue
        mode, hits = Counter(counts).most_common(1)[0] if counts else (1, 0)
        if mode > 1:
            consistency[sep] = hits / len(counts)
    if len(errors) == len(_DELIMITERS):  # every separator fails on some line: name the first such line
        err, at = min(errors.values(), key=lambda e: e[1])
        number, line = sample[at]
        raise _csv_error(err, number + 1, name, line, _fields_of(texts[0]) if at else None) from err  # 0: the header
    if not consistency:
        return ","  # a single column
    best = max(consistency.values())
    try:
        sniffed = csv.Sniffer().sniff("\n".join(texts), delimiters=_DELIMITERS).delimiter
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


def _row_text(row: pd.Series) -> str:
    return ",".join(str(v) for v in row.dropna())
