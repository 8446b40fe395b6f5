"""Look inside's Memory view: its sentences, its charts, and the view in AppTest for a gated cell and an RNN."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from lstm_forecast import cells
from lstm_forecast.config import Config
from lstm_forecast.ui import charts
from lstm_forecast.ui.memory_view import half_life_sentence, plot_connectivity, plot_half_life, reach_sentence


def test_phase_text_names_calendar_phases_as_the_axes_do():
    assert charts.phase_text("month of year", 6) == "Jul"
    assert charts.phase_text("day of week", 0) == "Mon"
    assert charts.phase_text("quarter of year", 2) == "Q3"
    assert charts.phase_text("hour of day", 7) == "hour 7"
    assert charts.phase_text("step mod 17", 3) == "step 3"


def test_half_life_sentence_weights_phases_by_their_steps_and_reads_the_keep_direction():
    rows = pd.DataFrame({"layer": 0, "unit": 2, "phase": [0, 1, 2], "half_life_median": [1.0, 4.0, 2.0],
                         "half_life_q25": 0.5, "half_life_q75": 5.0, "n_steps": [10, 10, 20]})
    text = half_life_sentence(rows, 2, cells.get("mgu"), "month of year")
    assert "about 2.2 steps" in text  # (10*1 + 10*4 + 20*2) / 40
    assert "near 0 the unit keeps its memory" in text and "longest from Feb (4.0 steps), shortest from Jan" in text
    assert "near 1 the unit keeps its memory" in half_life_sentence(rows, 2, cells.get("lstm"))


def test_reach_sentence_counts_the_latest_lags_holding_half_the_sensitivity():
    reach = pd.DataFrame({"horizon_step": 1, "lag": np.arange(5), "gradient": [4.0, 3.0, 2.0, 1.0, 0.0]})
    assert "latest 2 of its 5 lookback steps" in reach_sentence(reach)  # 4 / 10 < 0.5 <= 7 / 10
    assert "no reach to draw" in reach_sentence(reach.assign(gradient=0.0))


def test_memory_charts_build_valid_specs():
    rows = pd.DataFrame({"phase": np.arange(12), "half_life_median": 2.0, "half_life_q25": 1.0,
                         "half_life_q75": 3.0, "n_steps": 12})
    spec = plot_half_life(rows, unit=3, phase_title="month of year", keep_label="forget gate f").to_dict()
    assert "unit 3" in spec["title"]["text"]
    reach = pd.DataFrame({"horizon_step": np.repeat([1, 2], 24), "lag": np.tile(np.arange(24), 2), "gradient": 1.0})
    assert plot_connectivity(reach).to_dict()["mark"]["type"] == "rect"


@pytest.mark.parametrize("cell", ["gru", "rnn"])
def test_the_memory_view_draws_for_a_gated_cell_and_says_why_an_rnn_has_no_half_life(cell, tmp_path, monkeypatch):
    from lstm_forecast.pipeline import train_run
    from tests.factories import app_over_saved_run, inside_over_sine, sine_series

    run = train_run(sine_series(n=300), Config(cell=cell, hidden=4, epochs=2, threads=1))
    at = app_over_saved_run(run, tmp_path, monkeypatch, inside_over_sine)
    at.session_state["inside_view"] = "Memory"
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    text = " ".join(m.value for m in at.markdown).replace("\\", "")
    assert "Half of the forecast's sensitivity to its inputs lies in the latest" in text or "no reach to draw" in text
    if cell == "rnn":
        assert any("has no keep gate, so its memory has no half-life" in i.value for i in at.info)
    else:
        assert "halves what it holds in about" in text and at.selectbox(key="memory_unit").value is not None


def test_a_unit_chosen_in_one_view_is_the_unit_of_every_view(tmp_path, monkeypatch):
    from lstm_forecast.pipeline import train_run
    from tests.factories import app_over_saved_run, inside_over_sine, sine_series

    run = train_run(sine_series(n=300), Config(cell="gru", hidden=4, epochs=2, threads=1))
    at = app_over_saved_run(run, tmp_path, monkeypatch, inside_over_sine)

    def show(view: str):
        at.session_state["inside_view"] = view
        at.run()
        assert not at.exception, (view, [e.value for e in at.exception])

    show("Gate drivers")
    at.selectbox(key="drivers_unit").set_value(2).run()
    show("Memory")
    assert at.selectbox(key="memory_unit").value == 2
    show("Gates by season")
    assert at.selectbox(key="season_unit").value == 2
    at.selectbox(key="season_unit").set_value(1).run()
    for view, key in (("Gate drivers", "drivers_unit"), ("Memory", "memory_unit")):
        show(view)
        assert at.selectbox(key=key).value == 1, view


def test_gates_by_season_says_what_each_unit_does_to_the_forecast(tmp_path, monkeypatch):
    import copy

    import torch

    from lstm_forecast.pipeline import train_run
    from lstm_forecast.ui.ablation_view import effects_sentence
    from tests.factories import app_over_saved_run, inside_over_sine, sine_series

    run = train_run(sine_series(n=300), Config(cell="lstm", hidden=4, epochs=2, threads=1))
    unkept = copy.deepcopy(run)
    unkept.metrics["network_kept"] = False
    with torch.no_grad():
        run.model.head.weight.normal_()
    run.metrics["network_kept"] = True
    for saved, expected in ((run, "moves the holdout forecast most"), (unkept, "does not use this network")):
        at = app_over_saved_run(saved, tmp_path / str(id(saved)), monkeypatch, inside_over_sine)
        at.session_state["inside_view"] = "Gates by season"
        at.run()
        assert not at.exception, [e.value for e in at.exception]
        assert any(h.value == "What each unit does to the forecast" for h in at.subheader)
        text = " ".join(m.value for m in at.markdown) + " ".join(i.value for i in at.info)
        assert expected in text.replace("\\", "")
    table = pd.DataFrame({"unit": [3, 1, 0, 2], "forecast_change": [0.5, 0.2, 0.1, 0.0], "mase_change": 0.01})
    assert "1 (3) are among the 5" in effects_sentence(table, [3, 9, 8, 7, 6])
    assert "seasonal here does not mean used" in effects_sentence(table, [9, 8, 7, 6, 5])


def test_changing_the_unit_never_retraces_the_memory_or_the_ablation(tmp_path, monkeypatch):
    import torch

    from lstm_forecast.inspect import ablation, run_traces
    from lstm_forecast.pipeline import train_run
    from tests.factories import app_over_saved_run, inside_over_sine, sine_series

    run = train_run(sine_series(n=300), Config(cell="lstm", hidden=4, epochs=2, threads=1))
    with torch.no_grad():
        run.model.head.weight.normal_()
    run.metrics["network_kept"] = True
    calls = {"trace": 0, "ablate": 0}
    trace, knock = run_traces.compute_trace, ablation.knocked_out_outputs

    def counted_trace(*args, **kwargs):
        calls["trace"] += 1
        return trace(*args, **kwargs)

    def counted_knock(*args, **kwargs):
        calls["ablate"] += 1
        return knock(*args, **kwargs)

    monkeypatch.setattr(run_traces, "compute_trace", counted_trace)
    monkeypatch.setattr(ablation, "knocked_out_outputs", counted_knock)
    at = app_over_saved_run(run, tmp_path, monkeypatch, inside_over_sine)
    at.session_state["inside_view"] = "Memory"
    at.run()
    traced = calls["trace"]
    assert traced >= 1
    for unit in (1, 2, 3):
        at.selectbox(key="memory_unit").set_value(unit).run()
        assert not at.exception, [e.value for e in at.exception]
    assert calls["trace"] == traced  # the half-lives of every unit came from the one trace
    at.session_state["inside_view"] = "Gates by season"
    at.run()
    knocked = calls["ablate"]
    assert knocked == 1
    for unit in (0, 2):
        at.selectbox(key="season_unit").set_value(unit).run()
    assert calls["ablate"] == knocked and calls["trace"] == traced
