"""Reopen a run's data from its `Source` record: one function for the CLI, the dashboard, the Learn page, panels
and sweeps. Above the loaders (it calls them), which are above the record (they attach it)."""
from __future__ import annotations

import os

from ..errors import UserError
from ..files import file_sha256
from .loading import load_csv
from .samples import SAMPLES, load_sample
from .series import LoadedSeries
from .source import Source
from .yahoo import fetch_yahoo


def open_source(source: Source) -> LoadedSeries:
    """The series again, as it was loaded: one UserError naming what changed or is gone, otherwise."""
    if source.kind == "sample":
        if source.sample not in SAMPLES:
            raise UserError(f"the run was trained on the sample {source.sample!r}, which this version does not "
                            f"bundle; choose one of {list(SAMPLES)} or pass the data with --csv")
        loaded = load_sample(source.sample)
    elif source.kind == "upload":
        raise UserError(f"the run was trained on the upload {source.name or '(unnamed)'!r}, whose bytes were not "
                        "stored with the runs; pass the same file with --csv")
    elif source.kind == "csv":
        path = source.csv
        if not os.path.isfile(path):
            raise UserError(f"the run's data file {path!r} is gone (moved or deleted); pass it with --csv")
        if file_sha256(path) != source.sha256:
            raise UserError(f"the run's data file {path!r} has changed since the run was trained (its SHA-256 "
                            "differs), so it is not read as the run's data; pass the original with --csv")
        loaded = load_csv(path, date_col=source.date_col, value_col=source.value_col, freq=source.freq,
                          keep_markers=source.keep_markers)
    else:
        loaded = fetch_yahoo(source.ticker, start=source.start, end=source.end, period=source.period,
                             interval=source.interval, field=source.field)
    if source.value_col and source.value_col != loaded.value_col:
        loaded = loaded.with_value(source.value_col)
    return loaded
