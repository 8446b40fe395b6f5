"""User text (run labels, column names quoted in errors, file names, tickers, panel modes) reaches
Streamlit's Markdown escaped (ui/text.escape_markdown): rendered under AppTest, an image link stays text."""
from __future__ import annotations

import json
import re
from dataclasses import replace

import pandas as pd
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from lstm_forecast.errors import UserError

LABEL = "![l](http://x) *run* <b>"
COLUMN = "![t](http://x)"
FILE = "![f](http://x).csv"
TICKER = "![k](http://x)"
MODE = "![m](http://x)"
COVARIATE = "![c](http://x)"


def disarmed(markdown: str) -> bool:
    """No image or link can start: every `!`, `[`, `]`, `(` of the user's text is backslash-escaped."""
    return "![" not in markdown and "](" not in markdown and "<b>" not in markdown


def plain(markdown: str) -> str:
    return re.sub(r"\\(.)", r"\1", markdown)


def hostile_csv() -> bytes:
    days = pd.date_range("2021-01-01", periods=120, freq="D")
    rows = "".join(f"{d:%Y-%m-%d},{10 + (i % 7) + 0.01 * i},{i % 5}\n" for i, d in enumerate(days))
    return f"date,{COLUMN},{COVARIATE}\n{rows}".encode()


def hostile_series():
    from lstm_forecast.data.loading import load_csv

    return load_csv(hostile_csv(), value_col=COLUMN)


@pytest.fixture(scope="module")
def saved_run(tmp_path_factory):
    """One tiny run on the hostile column (a hostile covariate beside it), saved under LABEL in its own runs folder."""
    from lstm_forecast.config import Config
    from lstm_forecast.pipeline import train_run
    from lstm_forecast.runs import relabel, save_run

    root = tmp_path_factory.mktemp("runs")
    run = train_run(hostile_series(), Config(epochs=1, hidden=4, threads=1, covariates=[COVARIATE]), threads=1)
    folder = save_run(run, root / run.run_id)
    relabel(folder, LABEL)
    return root


@pytest.fixture
def runs_env(saved_run, monkeypatch):
    monkeypatch.setenv("LSTM_FORECAST_RUNS", str(saved_run))
    st.cache_data.clear()
    yield saved_run
    st.cache_data.clear()


def _steps_script():
    from lstm_forecast.ui.compare_step import runs_for, show_comparison
    from lstm_forecast.ui.inside_step import show_inside
    from tests.ui.test_escaping import hostile_series

    loaded = hostile_series()
    runs, broken = runs_for(loaded)
    show_comparison(loaded, runs, broken)
    show_inside(loaded, runs)


def _steps() -> AppTest:
    at = AppTest.from_function(_steps_script, default_timeout=120).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _raise(message: str):
    def fail(*args, **kwargs):
        raise UserError(message)
    return fail


COLUMN_ERROR = f"column {COLUMN!r} not found; columns: ['date']"


def test_the_run_label_is_escaped_in_the_backtest_and_download_headings(runs_env):
    at = _steps()
    headings = [s.value for s in at.subheader if s.value.startswith(("Backtest", "Download"))]
    assert len(headings) == 2, [s.value for s in at.subheader]
    for heading in headings:
        assert disarmed(heading) and plain(heading).endswith(LABEL)


def test_errors_quoting_a_column_are_escaped_in_the_forecast_and_backtest_steps(runs_env, monkeypatch):
    from lstm_forecast import backtest as backtest_module
    from lstm_forecast.ui import compare_step

    monkeypatch.setattr(backtest_module, "backtest", _raise(COLUMN_ERROR))
    at = _steps()
    [press] = [b for b in at.button if b.label.startswith("Run a backtest")]
    at = press.click().run()
    assert not at.exception, [e.value for e in at.exception]
    [error] = [e.value for e in at.error if "Cannot backtest" in e.value]
    assert disarmed(error) and plain(error).endswith(COLUMN_ERROR)

    monkeypatch.setattr(compare_step, "_forecast_frames", _raise(COLUMN_ERROR))
    at = _steps()
    [error] = [e.value for e in at.error if "Cannot show these forecasts" in e.value]
    assert disarmed(error) and plain(error).endswith(COLUMN_ERROR)


@pytest.mark.parametrize("target, shown", [("open_run", "Cannot open this run"),
                                           ("_summary", "Cannot trace this run on this data")])
def test_errors_quoting_a_column_are_escaped_in_the_look_inside_step(runs_env, monkeypatch, target, shown):
    from lstm_forecast.ui import inside_step

    monkeypatch.setattr(inside_step, target, _raise(COLUMN_ERROR))
    at = _steps()
    [error] = [e.value for e in at.error if shown in e.value]
    assert disarmed(error) and plain(error).endswith(COLUMN_ERROR)


def test_the_look_inside_walkthrough_names_the_inputs_escaped(runs_env):
    at = _steps()
    at.session_state["inside_view"] = "One step"
    at = at.run()
    assert not at.exception, [e.value for e in at.exception]
    [caption] = [c.value for c in at.caption if "x_t's entries" in c.value]
    assert disarmed(caption) and COVARIATE in plain(caption)


def _yahoo_script():
    from lstm_forecast.ui.data_step import input_data

    input_data()


def test_a_failed_fetch_shows_the_ticker_reason_and_last_source_escaped(monkeypatch, tmp_path):
    from lstm_forecast.ui import data_step
    from tests.factories import sine_series

    good = replace(sine_series(n=200), source=FILE)

    def fake_yahoo(ticker, *args, **kwargs):
        if ticker == "AAPL":
            return good
        raise UserError(f"no data for ticker {ticker!r} ({COLUMN})")

    monkeypatch.setattr(data_step, "_yahoo", fake_yahoo)
    at = AppTest.from_function(_yahoo_script, default_timeout=60).run()
    at = at.radio(key="source").set_value("Yahoo ticker").run()
    [press] = [b for b in at.sidebar.button if b.label == "Fetch"]
    at = press.click().run()
    assert not at.exception and not at.error, [e.value for e in at.exception]
    [box] = [t for t in at.sidebar.text_input if t.label == "Ticker"]
    box.input(TICKER)
    [press] = [b for b in at.sidebar.button if b.label == "Fetch"]
    at = press.click().run()
    assert not at.exception, [e.value for e in at.exception]
    [error] = [e.value for e in at.error]
    assert disarmed(error)
    assert plain(error).startswith(f"**Could not fetch {TICKER.upper()!r}.** no data for ticker {TICKER.upper()!r}")
    assert plain(error).endswith(f"Still showing the last data fetched: {FILE}.")


def _sweep_script(folder):
    from pathlib import Path

    from lstm_forecast.ui.sweep_step import show_sweep

    show_sweep(Path(folder))


def test_the_sweep_caption_shows_the_data_file_name_escaped(tmp_path):
    folder = tmp_path / "sweep"
    folder.mkdir()
    from lstm_forecast.config import Config

    spec = {"data": {"kind": "series", "key": "k", "origin": {}, "source": FILE}, "base": Config().to_dict(),
            "space": {"cell": {"type": "categorical", "choices": ["lstm"]},
                      "lookback": {"type": "int", "low": 8, "high": 24}},
            "defaults": {"cell": "lstm", "lookback": 12, "horizon": 6}, "seed": 0, "created": "2026-12-07T00:00:00+00:00"}
    (folder / "sweep.json").write_text(json.dumps(spec), encoding="utf-8")  # a whole one: read_sweep checks it
    (folder / "summary.json").write_text(json.dumps({"trials": 2}), encoding="utf-8")
    pd.DataFrame({"number": [0, 1], "state": ["complete", "complete"], "score": [0.9, 0.8]}).to_csv(
        folder / "trials.csv", index=False)
    at = AppTest.from_function(_sweep_script, args=(str(folder),), default_timeout=60).run()
    captions = [c.value for c in at.caption if "every trial scored" in c.value]
    assert len(captions) == 1, [c.value for c in at.caption]
    assert disarmed(captions[0]) and plain(captions[0]).startswith(f"{FILE} · every trial scored")


def _panel_script(mode):
    import pandas as pd

    from lstm_forecast.ui.panel_step import PanelEntry, show_scoreboard

    scores = pd.DataFrame({"id": ["a", "b"], "relative_mase": [0.9, 1.2], "verdict": ["better", "worse"],
                           "mase": [0.9, 1.2], "seasonal_naive_mase": [1.0, 1.0], "run_id": ["r1", "r2"]})
    info = {"mode": mode, "config": {"horizon": 5, "lookback": 10, "cell": "lstm", "hidden": 8, "layers": 1}, "seconds": 3, "label": "panel run"}
    show_scoreboard({"p1": PanelEntry("p1", info, scores)})


def test_the_scoreboard_caption_shows_the_panel_mode_escaped():
    at = AppTest.from_function(_panel_script, args=(MODE,), default_timeout=60).run()
    captions = [c.value for c in at.caption if "for every series" in c.value]
    assert len(captions) == 1, [c.value for c in at.caption]
    assert disarmed(captions[0]) and plain(captions[0]).startswith(f"{MODE} · horizon 5, lookback 10")
