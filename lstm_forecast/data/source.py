"""Where a series came from: one record every loader attaches and every run saves (`reopen.open_source` reads it back).

A `Source` is a bundled sample by name; a CSV file by its resolved path and SHA-256 (read again only
while the file still has those bytes); a file uploaded to the dashboard, by its name and SHA-256 until
the dashboard stores its bytes beside the runs (then it is a CSV file like any other); or a Yahoo
request (ticker, span or dates, bar size, field). With it go the value column trained on, the date
column, the forced frequency and the marker choice, so `reopen.open_source` gives back the same frame.

Runs keep it as `info["origin"]` (the dict of `to_dict`); records written before this module, with
only some of these keys, read back the same way.
"""
from __future__ import annotations

import hashlib
import os
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from ..errors import UserError
from ..files import file_sha256, inside

KINDS = ("sample", "csv", "upload", "ticker")
_TEXT = ("sample", "csv", "name", "sha256", "ticker", "start", "end", "period", "interval", "field",
         "value_col", "date_col", "freq")


@dataclass(frozen=True)
class Source:
    kind: str  # one of KINDS
    sample: str | None = None  # kind sample: the registry key
    csv: str | None = None  # kind csv: the file's resolved path
    name: str | None = None  # kind upload: the file name the user gave; csv: kept from an upload
    sha256: str | None = None  # kind csv and upload: the bytes' SHA-256 (hex)
    ticker: str | None = None  # kind ticker: the request, as fetch_yahoo takes it
    start: str | None = None
    end: str | None = None
    period: str | None = None
    interval: str = "1d"
    field: str = "Close"
    value_col: str | None = None  # the column trained on (None: the loader's choice)
    date_col: str | None = None  # the date column, when the user named it
    freq: str | None = None  # a frequency the user forced
    keep_markers: bool = False  # marker values such as -200 kept as numbers

    # --- the record -------------------------------------------------------------------------

    def to_dict(self) -> dict:
        """The run's `info["origin"]`: the keys of this kind only (a CSV's path and hash, a ticker's request)."""
        keep = {"kind", "value_col", "date_col", "freq", "keep_markers"} | {
            "sample": {"sample"}, "csv": {"csv", "sha256", "name"}, "upload": {"name", "sha256"},
            "ticker": {"ticker", "start", "end", "period", "interval", "field"}}[self.kind]
        return {k: v for k, v in asdict(self).items() if k in keep}

    @classmethod
    def from_dict(cls, record: Any, where: str = "the run's origin record") -> "Source":
        """A record read from a file (checked: any value may have been edited), old formats included:
        {"sample": ...}, {"csv": ..., "sha256": ...}, {"ticker": ...} without a kind."""
        if not isinstance(record, dict) or not record:
            raise UserError(f"{where} says nothing about where the data came from; pass it with --csv")
        kind = record.get("kind") or next((k for k in ("sample", "csv", "ticker") if record.get(k)), None)
        if kind not in KINDS:
            raise UserError(f"{where} names no source of ours (kind {str(kind)[:40]!r}); pass the data with --csv")
        fields = {k: record.get(k) for k in _TEXT if record.get(k) is not None}
        bad = [k for k, v in fields.items() if not isinstance(v, str) or len(v) > 4096 or "\0" in v]
        if bad or not isinstance(record.get("keep_markers", False), bool):
            raise UserError(f"{where} holds {', '.join(bad) or 'keep_markers'} of the wrong type; "
                            "pass the data with --csv")
        source = cls(kind=kind, keep_markers=bool(record.get("keep_markers", False)), **fields)
        needed = {"sample": ("sample",), "csv": ("csv", "sha256"), "upload": ("sha256",), "ticker": ("ticker",)}[kind]
        if any(not getattr(source, k) for k in needed):
            raise UserError(f"{where} lacks {' and '.join(needed)}; pass the data with --csv")
        return source

    def with_value(self, value_col: str | None) -> "Source":
        return replace(self, value_col=value_col)

    def stored_at(self, path: Path | str) -> "Source":
        """An upload whose bytes were written to `path`: from now on a CSV file like any other."""
        return replace(self, kind="csv", csv=str(Path(path).resolve()))

    def describe(self) -> str:
        """'sample airline', 'file /x/sales.csv', 'upload sales.csv', 'Yahoo AAPL Close 1d'."""
        if self.kind == "sample":
            return f"sample {self.sample}"
        if self.kind == "csv":
            return f"file {self.csv}"
        if self.kind == "upload":
            return f"upload {self.name or '(unnamed)'}"
        return f"Yahoo {self.ticker} {self.field} {self.interval}"


def of_file(path: Path | str, *, value_col: str | None = None, date_col: str | None = None,
            freq: str | None = None, keep_markers: bool = False) -> Source:
    return Source("csv", csv=str(Path(path).resolve()), sha256=file_sha256(path), value_col=value_col,
                  date_col=date_col, freq=freq, keep_markers=keep_markers)


def of_upload(data: bytes, name: str, *, date_col: str | None = None, freq: str | None = None,
              keep_markers: bool = False) -> Source:
    return Source("upload", name=Path(str(name)).name or None, sha256=hashlib.sha256(data).hexdigest(),
                  date_col=date_col, freq=freq, keep_markers=keep_markers)


def store_upload(source: Source, data: bytes, folder: Path | str) -> Source:
    """Write an upload's bytes to `folder`/<sha256>.csv (once: the name is the content) and return the
    source as that CSV file. The folder is the runs folder's hidden `.data`, so runs outlive the session."""
    if source.kind != "upload":
        return source
    if hashlib.sha256(data).hexdigest() != source.sha256:
        raise UserError("the uploaded bytes differ from the ones the run was trained on; upload the file again")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    path = inside(folder, folder / f"{source.sha256}.csv")
    if not (path.is_file() and file_sha256(path) == source.sha256):
        tmp = folder / f".{source.sha256}.tmp-{os.getpid()}"
        tmp.write_bytes(data)
        os.replace(tmp, path)
    return source.stored_at(path)


def write_series_csv(loaded, path: Path | str, value_col: str | None = None) -> Source:
    """Write `loaded`'s frame to `path` as a CSV (its time index first) and return the Source that reads it
    back exactly: on the grid it was loaded on, every number kept (no marker detection)."""
    path = Path(path)
    frame = loaded.frame.copy()
    frame.index.name = loaded.date_col or "step"
    frame.reset_index().to_csv(path, index=False)
    return Source("csv", csv=str(path.resolve()), sha256=file_sha256(path), date_col=loaded.date_col,
                  value_col=value_col or loaded.value_col, freq=loaded.freq, keep_markers=True)
