"""The dashboard walked with streamlit's AppTest: load, train, compare, look inside; bad input."""
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[2] / "app.py")
VIEWS = ("Cell state", "Gates by season", "Gates over time", "Gate drivers", "Memory", "Saturation", "One step")


@pytest.fixture(autouse=True)
def runs_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("LSTM_FORECAST_RUNS", str(tmp_path / "runs"))
    return tmp_path / "runs"


def _app() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=180).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _tiny(at: AppTest) -> None:
    numbers = {n.label: n for n in at.sidebar.number_input}
    numbers["Hidden units"].set_value(8)
    numbers["Max epochs"].set_value(3)


def _view(at: AppTest, view: str) -> AppTest:
    """Choose a look-inside view (through session state: AppTest before streamlit 1.60 has no
    segmented_control accessor, and the floors job runs these tests on streamlit 1.56)."""
    at.session_state["inside_view"] = view
    return at.run()


def _press(at: AppTest, label: str) -> AppTest:
    [b for b in at.sidebar.button if b.label == label][0].click().run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _saved(runs_dir) -> list:
    return [p for p in runs_dir.iterdir() if not p.name.startswith(".")]


def _charts(at: AppTest) -> int:
    return len(at.get("vega_lite_chart"))


def test_first_load_shows_the_sample_and_asks_to_train():
    at = _app()
    headers = [h.value for h in at.header]
    assert "1. Data" in headers and "4. Forecast and compare" in headers
    assert _charts(at) == 1  # the series with its season
    assert any("Train" in i.value for i in at.info)
    assert {m.label for m in at.metric} >= {"Points", "Frequency", "Season"}


def test_whole_path_load_train_compare_inspect(runs_dir):
    at = _app()
    _tiny(at)
    _press(at, "Train")
    assert "3. Train" in [h.value for h in at.header]
    board = at.dataframe[-1].value
    assert {"seasonal_naive", "naive", "drift", "ets"} <= set(board["name"])
    assert (board["kind"] == "model").sum() == 1
    assert {b.label for b in at.get("download_button")} >= {"Forecast CSV", "Metrics JSON", "Config JSON"}
    assert len(_saved(runs_dir)) == 1  # saved to the runs folder
    for view in VIEWS:
        _view(at, view)
        assert not at.exception, (view, [e.value for e in at.exception])
        assert _charts(at) >= 4, view  # series, forecasts, residuals + at least one view chart


def test_view_controls_do_not_retrain(runs_dir):
    at = _app()
    _tiny(at)
    _press(at, "Train")
    before = set(at.session_state["runs"])
    _view(at, "Gates by season")
    at.multiselect(key="baselines").set_value(["ets", "naive"]).run()
    assert set(at.session_state["runs"]) == before
    assert len(_saved(runs_dir)) == 1


def test_train_all_three_cells_names_gates_honestly():
    at = _app()
    _tiny(at)
    _press(at, "Train LSTM, GRU and RNN")
    runs = at.session_state["runs"]
    assert sorted(r.config.cell for r in runs.values()) == ["gru", "lstm", "rnn"]
    assert len(at.dataframe[-1].value.query("kind == 'model'")) == 3
    by_cell = {r.config.cell: rid for rid, r in runs.items()}
    at.selectbox(key="inside_run").set_value(by_cell["rnn"]).run()
    _view(at, "Gates by season")
    assert not at.exception
    assert any("no gates" in w.value for w in at.warning)
    at.selectbox(key="inside_run").set_value(by_cell["gru"]).run()
    _view(at, "Gates by season")
    assert not at.exception
    options = at.selectbox(key="season_unit").options
    assert options and any("unit" in o for o in options)


@pytest.mark.parametrize("content", [
    b"\x00\x01\x02\x03 not a csv at all \xff\xfe",
    b"name,comment\nalice,hello\nbob,world\n",
    b"",
])
def test_bad_upload_shows_an_error_not_a_crash(content):
    at = _app()
    at.sidebar.radio(key="source").set_value("Upload CSV").run()
    at.sidebar.file_uploader[0].set_value(("bad.csv", content, "text/csv")).run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.error and "Could not load the data" in at.error[0].value
    # the app keeps working: back to the sample
    at.sidebar.radio(key="source").set_value("Sample").run()
    assert not at.exception and not at.error and _charts(at) == 1


def test_good_upload_loads_with_its_repairs():
    csv = "Date;Value\n" + "\n".join(f"{d:02d}/01/2024;{d},5" for d in range(31, 0, -1))
    at = _app()
    at.sidebar.radio(key="source").set_value("Upload CSV").run()
    at.sidebar.file_uploader[0].set_value(("days.csv", csv.encode(), "text/csv")).run()
    assert not at.exception and not at.error
    assert {m.label: m.value for m in at.metric}["Points"] == "31"
    assert any("Repairs" in e.label for e in at.expander)


def test_sessions_keep_their_runs_apart_but_share_the_runs_folder(runs_dir):
    first, second = _app(), _app()
    _tiny(first)
    _press(first, "Train")
    assert len(first.session_state["runs"]) == 1
    second.run()  # the other session reruns after the first one trained
    assert not second.exception
    assert "runs" not in second.session_state or not second.session_state["runs"]
    board = second.dataframe[-1].value
    model_rows = board[board["kind"] == "model"]
    assert len(model_rows) == 1 and model_rows["where"].iloc[0] == "runs folder"
