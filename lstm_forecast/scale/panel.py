"""A panel: many series, each loaded by the project's own CSV loader, so every repair runs and is
reported per series. A series the loader refuses is left out with its reason; the rest go on.

Sources: one long-format CSV (an id column, a date column, the value and optional covariates,
one row per series and time stamp), several files of one series each, or series already loaded.
"""
from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from ..data.loading import load_csv
from ..data.series import LoadedSeries
from ..errors import UserError
from ..runs import data_key

MAX_SERIES = 5000  # beyond this a panel is a job for a cluster and a database, not a CSV in memory


@dataclass
class Panel:
    """Series by id (each a regular `LoadedSeries`), the ones left out and why, and panel-wide notes."""

    series: dict[str, LoadedSeries]
    problems: dict[str, str] = field(default_factory=dict)  # id -> one line: why it was left out
    source: str = ""
    notes: list[str] = field(default_factory=list)  # repairs of the file as a whole (rows without an id...)
    id_col: str = "id"

    def __post_init__(self) -> None:
        if not self.series:
            why = "; ".join(f"{k}: {v}" for k, v in list(self.problems.items())[:3])
            raise UserError(f"no usable series in the panel {self.source!r}" + (f" ({why})" if why else "")
                            + "; check the id, date and value columns")

    @property
    def ids(self) -> list[str]:
        return list(self.series)

    def report(self) -> pd.DataFrame:
        """One row per series, kept or left out: id, status, points, freq, first, last, repairs, problem."""
        rows = []
        for sid, loaded in self.series.items():
            index = loaded.frame.index
            rows.append({"id": sid, "status": "ok", "points": len(loaded.frame), "freq": loaded.freq or "steps",
                         "first": str(index[0]), "last": str(index[-1]), "repairs": len(loaded.report),
                         "report": " · ".join(loaded.report), "problem": ""})
        for sid, why in self.problems.items():
            rows.append({"id": sid, "status": "left out", "points": 0, "freq": "", "first": "", "last": "",
                         "repairs": 0, "report": "", "problem": why})
        return pd.DataFrame(rows)

    def key(self) -> str:
        """A short fingerprint of every kept series' data and its id."""
        h = hashlib.sha1()
        for sid, loaded in self.series.items():
            h.update(f"{sid}\0{data_key(loaded)}\0".encode())
        return h.hexdigest()[:12]


def panel_from_series(series: dict[str, LoadedSeries], source: str = "series") -> Panel:
    """A panel of series loaded elsewhere (samples, the bench corpus, the generator)."""
    if len(series) > MAX_SERIES:
        raise UserError(f"{len(series):,} series are more than the {MAX_SERIES:,} a panel holds; split the panel")
    return Panel(dict(series), {}, source, [])


def load_panel(source: Any, *, id_col: str = "id", date_col: str | None = None, value_col: str | None = None,
               freq: str | None = None, keep_markers: bool = False) -> Panel:
    """A long-format CSV (path, bytes or uploaded file) split by `id_col`; each series through `load_csv`.

    The other columns are as in a one-series file: the date column (detected unless named), the value
    (`value_col`, else the first numeric column) and covariates. Rows without an id, and rows with more
    fields than the header, are dropped and said so in `notes`. keep_markers: as in `load_csv`.
    """
    raw, name = _read_bytes(source)
    text, notes = _decode(raw, name)
    rows, sep = _rows(text, name)
    header, body = rows[0], rows[1:]
    header = [h.strip() for h in header]
    if id_col not in header:
        raise UserError(f"the panel {name!r} has no id column {id_col!r} (its columns: {header}); "
                        "name the column that tells the series apart with --id-col")
    width = len(header)
    ragged = [len(r) > width and any(c.strip() for c in r[width:]) for r in body]
    if any(ragged):
        example = sep.join(body[ragged.index(True)])
        notes.append(f"dropped {sum(ragged):,} rows with more than {width} fields (e.g. {example!r})")
    body = [(r + [""] * width)[:width] for r, bad in zip(body, ragged) if not bad]
    table = pd.DataFrame(body, columns=header, dtype=str)
    at = header.index(id_col)
    ids = table.iloc[:, at].str.strip()
    missing = ids == ""
    if missing.any():
        notes.append(f"dropped {int(missing.sum()):,} rows without an id in {id_col!r}")
    table, ids = table.loc[~missing], ids.loc[~missing]
    groups = list(dict.fromkeys(ids))
    if len(groups) > MAX_SERIES:
        raise UserError(f"the panel {name!r} has {len(groups):,} ids in {id_col!r}, more than the {MAX_SERIES:,} "
                        "a panel holds; is that the right id column?")
    others = [c for i, c in enumerate(header) if i != at]
    series, problems = {}, {}
    for sid in groups:
        part = table.loc[ids == sid, others]
        data = part.to_csv(sep=sep, index=False, lineterminator="\n").encode("utf-8")
        try:
            loaded = load_csv(data, date_col=date_col, value_col=value_col, freq=freq, keep_markers=keep_markers)
        except UserError as exc:
            problems[sid] = f"series {sid!r}: " + str(exc).replace("the file ", "it ")
            continue
        loaded.source = f"{name or 'panel'}:{sid}"
        series[sid] = loaded
    return Panel(series, problems, name or "panel", notes, id_col)


def load_panel_files(sources: list[Any], *, date_col: str | None = None, value_col: str | None = None,
                     freq: str | None = None) -> Panel:
    """Several one-series CSV files as a panel: each file's name (without .csv) is its id."""
    series, problems = {}, {}
    for source in sources:
        _, name = _read_bytes(source)
        sid = _unique(Path(name).stem or f"file{len(series) + len(problems) + 1}", series.keys() | problems.keys())
        try:
            loaded = load_csv(source, date_col=date_col, value_col=value_col, freq=freq)
        except UserError as exc:
            problems[sid] = str(exc)
            continue
        loaded.source = f"{name}"
        series[sid] = loaded
    if len(series) + len(problems) > MAX_SERIES:
        raise UserError(f"{len(sources):,} files are more than the {MAX_SERIES:,} a panel holds; split the panel")
    return Panel(series, problems, f"{len(sources)} files", [])


def to_long_csv(panel: Panel, id_col: str = "id") -> bytes:
    """The kept series as one long CSV (id, date, value, covariates): what `load_panel` reads back."""
    frames = []
    for sid, loaded in panel.series.items():
        frame = loaded.frame.copy()
        frame.index.name = loaded.date_col or "step"
        frame = frame.reset_index()
        frame.insert(0, id_col, sid)
        frames.append(frame)
    return pd.concat(frames, ignore_index=True).to_csv(index=False, lineterminator="\n").encode("utf-8")


def _unique(name: str, taken) -> str:
    out, k = name, 2
    while out in taken:
        out, k = f"{name}-{k}", k + 1
    return out


def _delimiter(sample: list[str]) -> str:
    """The delimiter that splits the header into most fields and the most rows into as many.

    Ties prefer ';' and tab over ',': a file of decimal commas splits evenly on both."""
    best, best_score = ",", (0.0, 0)
    for sep in ";\t|,":
        counts = [len(row) for row in csv.reader(sample, delimiter=sep)]
        if not counts or counts[0] < 2:
            continue
        score = (sum(c == counts[0] for c in counts) / len(counts), counts[0])
        if score > best_score:
            best, best_score = sep, score
    return best


def _read_bytes(source: Any) -> tuple[bytes, str]:
    if isinstance(source, (bytes, bytearray, memoryview)):
        return bytes(source), ""
    if isinstance(source, (str, Path)):
        path = Path(source)
        try:
            return path.read_bytes(), path.name
        except FileNotFoundError:
            raise UserError(f"panel file {str(path)!r} not found; check the path passed to --panel") from None
        except OSError as exc:
            raise UserError(f"cannot read {str(path)!r} ({exc.strerror}); pass a readable CSV file") from None
    name = Path(str(getattr(source, "name", "") or "")).name
    data = source.getvalue() if hasattr(source, "getvalue") else source.read()
    return (data.encode("utf-8") if isinstance(data, str) else bytes(data)), name


def _decode(raw: bytes, name: str) -> tuple[str, list[str]]:
    if not raw.strip():
        raise UserError(f"the panel {name or 'file'!r} is empty; upload a CSV with a header row and data rows")
    for encoding in ("utf-8-sig", "cp1252", "latin-1"):
        try:
            text = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    notes = [] if encoding == "utf-8-sig" else [f"read the panel as {encoding} because it is not valid UTF-8"]
    if "\x00" in text:
        raise UserError(f"the panel {name or 'file'!r} looks like binary data, not CSV text; upload a CSV")
    return text.replace("\r\n", "\n").replace("\r", "\n"), notes


def _rows(text: str, name: str) -> tuple[list[list[str]], str]:
    sep = _delimiter([line for line in text.split("\n") if line.strip()][:50])
    try:
        rows = list(csv.reader(io.StringIO(text), delimiter=sep))
    except csv.Error as exc:
        raise UserError(f"cannot split the panel {name or 'file'!r} into fields ({exc}); check it is a plain CSV") from None
    rows = [r for r in rows if any(c.strip() for c in r)]
    if len(rows) < 2:
        raise UserError(f"the panel {name or 'file'!r} has no data rows; upload a CSV with a header and data")
    return rows, sep
