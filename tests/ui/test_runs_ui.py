"""The dashboard and runs as records: one click's runs selected, notes per data, broken folders, many runs,
labels, the backtest view and interval bands."""
import json
import shutil
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from lstm_forecast.config import Config
from lstm_forecast.data.samples import load_sample
from lstm_forecast.pipeline import train_run
from lstm_forecast.runs import save_run
from lstm_forecast.ui.text import escape_markdown

APP = str(Path(__file__).resolve().parents[2] / "app.py")


@pytest.fixture(autouse=True)
def runs_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("LSTM_FORECAST_RUNS", str(tmp_path / "runs"))
    return tmp_path / "runs"


def _app() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=240).run()
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


def test_runs_of_one_click_are_all_selected_in_the_overlay_and_picker():
    at = _app()
    _tiny(at)
    _press(at, "Train LSTM, GRU and RNN")
    new = list(at.session_state["runs"])
    overlay = next(m for m in at.multiselect if m.label == "Runs to overlay")
    assert sorted(overlay.value) == sorted(new)
    assert at.selectbox(key="inside_run").value == new[0]
    labels = [o for o in overlay.options]
    assert len(set(labels)) == 3


def test_runs_just_trained_replace_saved_runs_in_the_overlay(runs_dir):
    """With runs already on disk the overlay first shows the best of them; a training then overlays
    its own runs, not the saved ones the widget held before."""
    old = train_run(load_sample("airline"), Config(hidden=4, epochs=1, lookback=24, horizon=12))
    save_run(old, runs_dir / old.run_id)
    at = _app()
    overlay = lambda: next(m for m in at.multiselect if m.label == "Runs to overlay")  # noqa: E731
    assert overlay().value == [old.run_id]
    _tiny(at)
    _press(at, "Train LSTM, GRU and RNN")
    new = [rid for rid in at.session_state["runs"] if rid != old.run_id]
    assert len(new) == 3
    assert sorted(overlay().value) == sorted(new)
    assert at.selectbox(key="inside_run").value == new[0]


def _training_notes(at: AppTest) -> list[str]:
    return [m.value for m in [*at.success, *at.warning] if "MASE" in m.value]


def test_training_notes_belong_to_their_data():
    at = _app()
    _tiny(at)
    _press(at, "Train")
    assert _training_notes(at.run())  # the next rerun keeps the outcome on screen
    at.sidebar.selectbox(key="sample").set_value("sunspots_yearly").run()
    assert not at.exception
    assert not _training_notes(at)  # no notes of the airline run here
    assert "3. Train" in [h.value for h in at.header]  # the step's heading stays, saying what it waits for
    at.sidebar.selectbox(key="sample").set_value("airline").run()
    assert _training_notes(at)


def test_broken_folders_are_listed_with_their_reason_and_the_page_works(runs_dir):
    run = train_run(load_sample("airline"), Config(hidden=4, epochs=1))
    good = save_run(run, runs_dir / "good")
    broken = runs_dir / "broken"
    shutil.copytree(good, broken)
    (broken / "metrics.json").write_text(json.dumps([1, 2]))
    (runs_dir / "empty").mkdir()
    at = _app()
    assert not at.exception
    expander = next(e for e in at.expander if "cannot be used" in e.label)
    text = " ".join(m.value for m in expander.markdown).replace("\\", "")  # unescaped as it renders
    assert "broken" in text and "metrics.json does not match the manifest" in text and "empty" in text
    board = at.dataframe[-1].value
    assert (board["kind"] == "model").sum() == 1  # the good one is listed, the broken ones are not


def test_many_saved_runs_do_not_reload_models_on_every_rerun(runs_dir, monkeypatch):
    run = train_run(load_sample("airline"), Config(hidden=4, epochs=1))
    for k in range(70):
        run.info["run_id"] = f"20261130-000000-{k:05d}abcdef-lstm-airline"
        save_run(run, runs_dir / run.info["run_id"])
    import lstm_forecast.runs as R

    loads = []
    real = R.load_run
    monkeypatch.setattr(R, "load_run", lambda *a, **k: loads.append(a) or real(*a, **k))
    import lstm_forecast.ui.state as S

    monkeypatch.setattr(S, "load_run", lambda *a, **k: loads.append(a) or real(*a, **k))
    at = _app()
    first = len(loads)
    assert first <= 1  # at most the run opened in "Look inside"
    for view in ("Gates by season", "Saturation", "Cell state"):
        _view(at, view)
        assert not at.exception
    assert len(loads) == first  # views never reload a model
    board = at.dataframe[-1].value
    assert (board["kind"] == "model").sum() == 70 and board.loc[board["kind"] == "model", "name"].is_unique


def test_a_run_can_be_renamed_and_the_label_shows_everywhere(runs_dir):
    at = _app()
    _tiny(at)
    _press(at, "Train")
    label = next(t for t in at.text_input if t.label == "Label")
    label.set_value("=my best airline model")  # typed, then the form is submitted
    next(b for b in at.button if b.label == "Rename").click().run()
    assert not at.exception
    board = at.dataframe[-1].value
    assert "=my best airline model" in set(board["name"])
    folder = next(p for p in runs_dir.iterdir() if not p.name.startswith("."))
    assert json.loads((folder / "config.json").read_text())["info"]["label"] == "=my best airline model"


def test_the_backtest_view_draws_error_against_horizon_step():
    at = _app()
    _tiny(at)
    _press(at, "Train")
    assert not any("Error against horizon step" in c.proto.spec for c in at.get("vega_lite_chart"))
    next(b for b in at.button if b.label.startswith("Run a backtest")).click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("Error against horizon step" in c.proto.spec for c in at.get("vega_lite_chart"))
    summary = at.dataframe[-1].value
    assert {"lstm", "seasonal_naive", "ets"} <= set(summary["method"])
    shown = escape_markdown("each origin's MASE scale is its own history's; the last origin's: mean |y_t - y_(t-")
    assert any(shown in c.value for c in at.caption)  # how MASE was scaled, escaped as the app shows it


def test_forecast_chart_draws_the_interval_bands():
    at = _app()
    _tiny(at)
    _press(at, "Train")
    spec = next(json.loads(c.proto.spec) for c in at.get("vega_lite_chart")
                if "Forecasts against the actual series" in c.proto.spec)
    assert any(layer.get("mark", {}).get("type") == "area" for layer in spec["layer"])
