"""Look inside: the series is traced once per run and data, whatever the views and their controls do."""
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from lstm_forecast.inspect import summary

APP = str(Path(__file__).resolve().parents[2] / "app.py")
VIEWS = ("Cell state", "Gates by season", "Gates over time", "Gate drivers", "Memory", "Saturation", "One step")


@pytest.fixture(autouse=True)
def runs_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("LSTM_FORECAST_RUNS", str(tmp_path / "runs"))
    return tmp_path / "runs"


def test_views_and_their_controls_never_retrace(monkeypatch):
    traced = []
    real = summary.look_inside

    def counting(run, loaded, **kwargs):  # the run's own network, the untrained reference, the shuffled control
        kind = "reference" if kwargs.get("rnn") is not None else "control" if kwargs.get("shuffle_seed") is not None \
            else "own"
        traced.append((run.run_id, kind))
        return real(run, loaded, **kwargs)

    monkeypatch.setattr(summary, "look_inside", counting)
    at = AppTest.from_file(APP, default_timeout=180).run()
    numbers = {n.label: n for n in at.sidebar.number_input}
    numbers["Hidden units"].set_value(8)
    numbers["Max epochs"].set_value(2)
    [b for b in at.sidebar.button if b.label == "Train"][0].click().run()
    assert not at.exception, [e.value for e in at.exception]
    for view in VIEWS + VIEWS[:1]:
        at.session_state["inside_view"] = view
        at.run()
        assert not at.exception, (view, [e.value for e in at.exception])
    at.radio(key="traj_by").set_value("seasonality").run()
    at.slider(key="traj_k").set_value(2).run()
    at.session_state["inside_view"] = "One step"
    at.run()
    at.slider(key="walk_step").set_value(5).run()
    assert not at.exception, [e.value for e in at.exception]
    assert sorted(kind for _, kind in traced) == ["control", "own", "reference"]  # each traced once, then reused


def test_gates_over_time_moves_a_stretch_of_whole_fine_bins_without_retracing(monkeypatch):
    """A series past the summary's fine bins: the stretch slider starts and steps on whole fine bins,
    every position draws, the caption says when the bins are coarser than a tenth of a season, and
    nothing is traced again."""
    monkeypatch.setattr(summary, "TIME_BINS", 1000)  # 8,760 hourly points: fine bins of 9 steps
    traced = []
    real = summary.look_inside
    monkeypatch.setattr(summary, "look_inside", lambda run, loaded, **kw: traced.append(1) or real(run, loaded, **kw))
    at = AppTest.from_file(APP, default_timeout=300).run()
    at.sidebar.selectbox(key="sample").set_value("seattle_hourly_temp").run()
    numbers = {n.label: n for n in at.sidebar.number_input}
    numbers["Hidden units"].set_value(4)
    numbers["Max epochs"].set_value(1)
    [b for b in at.sidebar.button if b.label == "Train"][0].click().run()
    assert not at.exception, [e.value for e in at.exception]
    at.session_state["inside_view"] = "Gates over time"
    at.run()
    (held,) = at.session_state["_look_inside"].values()
    assert held.bins.bin_width == -(-held.n_steps // 1000) > 24 // 10
    stretch = at.slider(key="gates_from")
    assert stretch.value % held.bins.bin_width == 0 and stretch.step % held.bins.bin_width == 0
    assert 0 < stretch.value == stretch.max
    said = f"in bins of {held.bins.bin_width} steps: the finest kept for a series of {held.n_steps:,} steps"
    assert any(said in c.value for c in at.caption), [c.value for c in at.caption]
    for start in (0, stretch.step, stretch.max):
        at.slider(key="gates_from").set_value(start).run()
        assert not at.exception, (start, [e.value for e in at.exception])
    assert len(traced) == 1
