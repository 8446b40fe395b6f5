"""The Panels and Sweeps pages under Streamlit's AppTest (no browser): they load, and show what they read."""
from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def folders(tmp_path, monkeypatch):
    for name, var in (("runs", "LSTM_FORECAST_RUNS"), ("panels", "LSTM_FORECAST_PANELS"), ("sweeps", "LSTM_FORECAST_SWEEPS")):
        monkeypatch.setenv(var, str(tmp_path / name))
    return tmp_path


def test_panels_page_shows_the_demo_panel_before_any_training(folders):
    at = AppTest.from_file(str(ROOT / "pages" / "2_Panels.py"), default_timeout=120).run()
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Series kept"] == "7" and metrics["Left out"] == "0"
    assert any("No panel run on this panel yet" in i.value for i in at.info)


def test_sweeps_page_reads_a_sweep_and_opens_its_best_run(folders):
    pytest.importorskip("optuna", reason="pip install -r requirements.txt")
    from lstm_forecast.config import Config
    from lstm_forecast.scale.sweep import run_sweep
    from tests.factories import sine_series

    summary = run_sweep(sine_series(n=300), Config(epochs=2, patience=2, epoch_windows=256, base="seasonal_naive"),
                        folders / "sweeps" / "tiny", 2, cells=("gru",))
    at = AppTest.from_file(str(ROOT / "pages" / "3_Sweeps.py"), default_timeout=120).run()
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Trials"] == "2" and metrics["Best validation MASE"] == f"{summary['best']['score']:.4f}"
    at.toggle[0].set_value(True).run()
    assert not at.exception and not at.error
    assert "Run" in [s.label for s in at.selectbox]  # step 5, look inside, lists the best and default runs


def test_a_sweep_gain_within_the_tie_tolerance_reads_as_a_tie():
    from lstm_forecast.ui.sweep_step import _gain_words

    assert _gain_words(0.0) == ("a tie: within 2% (+0.0%)", "off")
    assert _gain_words(0.05) == ("best is 5.0% better", "normal")
    assert _gain_words(-0.05) == ("best is 5.0% worse", "inverse")
    assert _gain_words(float("nan"))[1] == "off"


def test_copying_a_best_run_with_a_run_id_that_names_a_path_out_is_refused(folders):
    """A sweep folder's best run whose config.json and manifest (recomputed) name the run `../../escaped-run`:
    'Copy the best run to the runs folder' refuses it and writes nothing outside the runs folder."""
    pytest.importorskip("optuna", reason="pip install -r requirements.txt")
    import json

    from lstm_forecast import runs
    from lstm_forecast.config import Config
    from lstm_forecast.scale.sweep import run_sweep
    from tests.factories import sine_series

    out = folders / "sweeps" / "tiny"
    run_sweep(sine_series(n=300), Config(epochs=2, patience=2, epoch_windows=256, base="seasonal_naive"), out, 1,
              cells=("gru",))
    best = out / "best"
    meta = json.loads((best / "config.json").read_text())
    meta["info"]["run_id"] = "../../escaped-run"
    (best / "config.json").write_text(json.dumps(meta))
    runs._write_manifest(best, "../../escaped-run")
    assert runs.load_run(best).run_id == "../../escaped-run"  # the folder itself reads as a run

    at = AppTest.from_file(str(ROOT / "pages" / "3_Sweeps.py"), default_timeout=120).run()
    at.toggle[0].set_value(True).run()
    [copy] = [b for b in at.button if b.label == "Copy the best run to the runs folder"]
    copy.click().run()
    assert not at.exception
    assert any("not a run ID of ours" in e.value for e in at.error)
    assert not (folders / "escaped-run").exists() and not (folders.parent / "escaped-run").exists()
    assert not (folders / "runs").exists() or not any((folders / "runs").iterdir())
