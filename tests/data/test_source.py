"""Where a series came from: the Source record every loader attaches, and the one function that reopens it."""
from __future__ import annotations

import hashlib
import shutil

import numpy as np
import pandas as pd
import pytest

from lstm_forecast.data.loading import load_csv
from lstm_forecast.data.reopen import open_source
from lstm_forecast.data.samples import load_sample
from lstm_forecast.data.source import Source, of_upload, store_upload
from lstm_forecast.errors import UserError
from tests.data import yahoo_frames as frames

ROOT = __import__("pathlib").Path(__file__).resolve().parents[2]
AIRLINE = ROOT / "data" / "airline_passengers.csv"


def _same(a, b) -> None:
    assert a.value_col == b.value_col and a.freq == b.freq
    pd.testing.assert_frame_equal(a.frame, b.frame)


def test_a_csv_on_disk_records_its_path_hash_and_options_and_reopens_equal(tmp_path):
    path = tmp_path / "sales.csv"
    path.write_text("when;sales;price\n" + "\n".join(f"2024-01-{d:02d};{d},5;-200" if d % 7 == 0
                                                     else f"2024-01-{d:02d};{d},5;{d}" for d in range(1, 29)))
    loaded = load_csv(path, date_col="when", keep_markers=True)
    o = loaded.origin
    assert (o.kind, o.csv, o.sha256) == ("csv", str(path.resolve()), hashlib.sha256(path.read_bytes()).hexdigest())
    assert (o.date_col, o.keep_markers, o.value_col) == ("when", True, "sales")
    back = open_source(Source.from_dict(o.to_dict()))
    _same(back, loaded)
    assert (back.frame["price"] == -200).sum() == 4  # the markers kept, as they were loaded


def test_another_column_is_recorded_and_reopened():
    loaded = load_sample("seattle_daily_weather").with_value("temp_min_c")
    assert loaded.origin.value_col == "temp_min_c" and loaded.origin.kind == "sample"
    _same(open_source(Source.from_dict(loaded.origin.to_dict())), loaded)


def test_a_changed_or_gone_file_is_named_and_never_read(tmp_path):
    path = tmp_path / "a.csv"
    shutil.copy(AIRLINE, path)
    record = load_csv(path).origin.to_dict()
    path.write_text(path.read_text().replace("112", "999", 1))
    with pytest.raises(UserError, match=r"a.csv' has changed since the run was trained \(its SHA-256 differs\).*--csv"):
        open_source(Source.from_dict(record))
    path.unlink()
    with pytest.raises(UserError, match=r"a.csv' is gone \(moved or deleted\); pass it with --csv"):
        open_source(Source.from_dict(record))


@pytest.mark.parametrize("record, words", [
    (None, "says nothing about where the data came from"),
    ([1, 2], "says nothing about where the data came from"),
    ({"kind": "ftp", "csv": "/x"}, "names no source of ours"),
    ({"csv": "/etc/passwd"}, "lacks csv and sha256"),  # no hash: never read
    ({"kind": "sample"}, "lacks sample"),
    ({"sample": ["airline"]}, "of the wrong type"),
    ({"sample": "airline", "keep_markers": "yes"}, "of the wrong type"),
    ({"ticker": "AAPL", "interval": 5}, "of the wrong type"),
])
def test_a_hand_edited_record_is_refused_with_the_fix(record, words):
    with pytest.raises(UserError, match=words) as err:
        Source.from_dict(record)
    assert "--csv" in str(err.value)


def test_records_of_older_versions_read_the_same():
    assert Source.from_dict({"sample": "airline", "value_col": None}).kind == "sample"
    old = Source.from_dict({"csv": "/x.csv", "sha256": "ab" * 32, "date_col": None, "value_col": "v",
                            "keep_markers": False})
    assert (old.kind, old.csv, old.value_col) == ("csv", "/x.csv", "v")
    assert Source.from_dict({"ticker": "AAPL", "start": None, "end": None, "period": "2y", "interval": "1d",
                             "field": "Close", "value_col": None}).period == "2y"


def test_an_unknown_sample_says_which_ones_exist():
    with pytest.raises(UserError, match="does not bundle; choose one of"):
        open_source(Source("sample", sample="gone"))


def test_an_upload_is_stored_once_by_its_content_and_then_reopens_as_a_file(tmp_path):
    data = AIRLINE.read_bytes()
    upload = of_upload(data, "../../My Sales.csv")
    assert upload.name == "My Sales.csv" and upload.kind == "upload"
    with pytest.raises(UserError, match="upload 'My Sales.csv'.*not stored.*--csv"):
        open_source(upload)
    folder = tmp_path / "runs" / ".data"
    stored = store_upload(upload, data, folder)
    assert stored.kind == "csv" and stored.name == "My Sales.csv"
    assert stored.csv == str((folder / f"{upload.sha256}.csv").resolve())
    assert store_upload(upload, data, folder) == stored and len(list(folder.iterdir())) == 1  # once per content
    _same(open_source(Source.from_dict(stored.to_dict())), load_csv(AIRLINE))
    with pytest.raises(UserError, match="differ from the ones the run was trained on"):
        store_upload(upload, data + b"\n1961-01,1", folder)


def test_a_ticker_records_its_request_and_reopens_through_fetch_yahoo(tmp_path, monkeypatch):
    import yfinance

    from lstm_forecast.data.yahoo import fetch_yahoo

    stub = frames.FakeDownload(frames.download_frame(frames.daily_index(periods=60), "MSFT"))
    monkeypatch.setattr(yfinance, "download", stub)
    monkeypatch.setenv("LSTM_FORECAST_CACHE", str(tmp_path))
    loaded = fetch_yahoo("MSFT", start="2024-01-01", end="2024-04-01", field="Open")
    o = loaded.origin
    assert (o.kind, o.ticker, o.start, o.end, o.field, o.interval, o.value_col) == (
        "ticker", "MSFT", "2024-01-01", "2024-04-01", "Open", "1d", "Open")
    back = open_source(Source.from_dict(o.to_dict()))  # the same request: yfinance's answer from the disk cache
    np.testing.assert_array_equal(back.series.to_numpy(), loaded.series.to_numpy())
    assert back.value_col == "Open" and back.origin == o
