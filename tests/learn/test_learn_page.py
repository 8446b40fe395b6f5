"""The Learn page walked with streamlit's AppTest: without runs, with a saved LSTM, its links and the race."""
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[2]
PAGE = str(ROOT / "pages" / "1_Learn.py")
HEADERS = ["1. The cell, with a trained run's numbers", "2. Set the gates yourself", "3. The long-memory race",
           "4. Vanishing gradients, measured"]


@pytest.fixture(scope="module")
def saved_runs(tmp_path_factory):
    """A runs folder holding one small LSTM trained on the airline sample, saved as the dashboard saves it."""
    from lstm_forecast.config import Config
    from lstm_forecast.data.samples import load_sample
    from lstm_forecast.pipeline import train_run
    from lstm_forecast.runs import save_run

    folder = tmp_path_factory.mktemp("runs")
    run = train_run(load_sample("airline"), Config(cell="lstm", hidden=6, epochs=2, seed=0))
    save_run(run, folder / run.run_id)
    return folder, run.config.lookback


def _page(monkeypatch, runs: Path) -> AppTest:
    monkeypatch.setenv("LSTM_FORECAST_RUNS", str(runs))
    at = AppTest.from_file(PAGE, default_timeout=240).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _titles(at: AppTest) -> str:
    return " ".join(str(chart.proto.spec) for chart in at.get("vega_lite_chart"))


def test_without_runs_the_page_still_teaches(monkeypatch, tmp_path):
    at = _page(monkeypatch, tmp_path / "none")
    assert [h.value for h in at.header] == HEADERS
    assert any("Train an LSTM" in i.value for i in at.info)
    assert "One hand-set LSTM unit" in _titles(at) and "How far back the loss still reaches" in _titles(at)
    [s for s in at.slider if s.label == "forget gate f"][0].set_value(0.5).run()
    assert any("f = 0.50: each step keeps 50% of c" in i.value for i in at.info)


def test_a_saved_lstm_fills_the_diagram_and_the_step_slider_moves_it(monkeypatch, saved_runs):
    folder, lookback = saved_runs
    at = _page(monkeypatch, folder)
    assert "LSTM cell, unit" in _titles(at) and f"at step {lookback} of {lookback}" in _titles(at)
    step = [s for s in at.slider if s.label == "Step in the window"][0]
    step.set_value(10).run()
    assert not at.exception and f"at step 10 of {lookback}" in _titles(at)
    assert "on the same pulse" in _titles(at)  # the run's real gates beside the playground
    assert "across its lookback window" in _titles(at)  # its gradients
    [b for b in at.button if b.label == "Hide"][0].click().run()
    assert at.radio(key="learn_gate_mode").value == "per step"
    assert any("output gate stays shut" in i.value for i in at.info)


def test_view_links_open_the_forecasting_page_on_that_view(monkeypatch, saved_runs):
    from lstm_forecast.ui.inside_step import VIEWS

    at = _page(monkeypatch, saved_runs[0])
    links = [b for b in at.button if b.label.endswith("↗")]
    assert [b.label[:-2] for b in links] == [v for v in VIEWS]
    links[2].click().run()
    assert at.session_state["inside_view"] == VIEWS[2]


def test_a_small_race_runs_from_the_page(monkeypatch, tmp_path):
    at = _page(monkeypatch, tmp_path / "none")
    at.text_input(key="learn_race_lags").set_value("3,6")
    at.number_input(key="learn_race_steps").set_value(20)
    [b for b in at.button if b.label == "Run the race"][0].click().run()
    assert not at.exception, [e.value for e in at.exception]
    titles = _titles(at)
    assert "Accuracy against lag" in titles and "What is left of the event" in titles and "LSTM, unit" in titles
    at.radio(key="learn_grad_source").set_value("trained in the race (lag 6)").run()
    assert not at.exception and "trained on lag 6" in _titles(at)
