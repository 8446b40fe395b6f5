"""Look inside against references (issue 18, part 1): the untrained network rebuilt from the run's seed, and
the trained network on shuffled steps, so a seasonality score can be read as learned or inherited."""
import copy

import pytest
import streamlit as st
import torch
from streamlit.testing.v1 import AppTest

import lstm_forecast.train as train_module
from lstm_forecast.config import Config
from lstm_forecast.inspect.references import COLUMNS, initial_rnn, seasonality_against_references
from lstm_forecast.pipeline import train_run
from tests.factories import sine_series

SERIES = dict(n=1200, period=24)


@pytest.fixture(scope="module")
def trained():
    """A run whose last epoch is its best (validation losses fall), so its weights are trained ones."""
    losses = iter([1.0, 0.9, 0.8, 0.7])
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(train_module, "evaluate_loss", lambda *a, **k: next(losses))
        return train_run(sine_series(**SERIES), Config(hidden=6, epochs=3, threads=1, seed=3, lr=0.03))


@pytest.fixture(scope="module")
def epoch0():
    """A run that keeps its untrained network and never trained further (every validation loss is worse)."""
    losses = iter([1.0] + [2.0] * 10)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(train_module, "evaluate_loss", lambda *a, **k: next(losses))
        run = train_run(sine_series(**SERIES), Config(hidden=6, epochs=2, threads=1, seed=3))
    run.inside_state = None  # as a run saved before trained.pt existed: Look inside sees epoch 0
    return run


def test_the_untrained_reference_is_the_runs_initial_weights_exactly(epoch0, trained):
    init = initial_rnn(epoch0).state_dict()
    for key, value in epoch0.model.rnn.state_dict().items():
        assert torch.equal(init[key], value), key  # epoch 0 kept: the model is its initial weights, bit for bit
    moved = trained.model.rnn.state_dict()
    assert trained.info["best_epoch"] > 0
    assert any(not torch.equal(initial_rnn(trained).state_dict()[k], moved[k]) for k in moved)  # training moved it


def test_rebuilding_the_reference_leaves_the_random_state_alone(trained):
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    initial_rnn(trained)
    assert torch.equal(torch.rand(3), expected)


def test_a_network_that_never_trained_learned_nothing(epoch0):
    frame = seasonality_against_references(epoch0, sine_series(**SERIES), layer=0)
    assert list(frame.columns) == COLUMNS and len(frame) == 6
    assert (frame["trained"] == frame["untrained"]).all() and (frame["learned"] == 0).all()
    assert frame["untrained"].mean() > 0.5  # yet its gates follow the season: the inputs do


def test_the_shuffled_control_scores_at_chance_and_learned_orders_the_units(trained):
    frame = seasonality_against_references(trained, sine_series(**SERIES), layer=0)
    n_steps = trained.info["n_points"]
    chance = (24 - 1) / (n_steps - 1)  # the expected share of variance 24 phase means explain in noise
    assert chance / 3 < frame["shuffled"].mean() < 3 * chance
    assert frame["learned"].tolist() == sorted(frame["learned"], reverse=True)
    assert (frame["learned"] - (frame["trained"] - frame["untrained"])).abs().max() < 1e-12


def _season_view():
    import streamlit as st

    from lstm_forecast.ui.compare_step import runs_for
    from lstm_forecast.ui.inside_step import show_inside
    from tests.factories import sine_series
    from tests.inspect.test_references import SERIES

    st.session_state.setdefault("inside_view", "Gates by season")
    loaded = sine_series(**SERIES)
    runs, _ = runs_for(loaded)
    show_inside(loaded, runs)


def test_the_season_view_sets_the_scores_beside_the_references(trained, tmp_path, monkeypatch):
    from lstm_forecast.runs import save_run

    save_run(copy.deepcopy(trained), tmp_path / "runs" / trained.run_id)
    monkeypatch.setenv("LSTM_FORECAST_RUNS", str(tmp_path / "runs"))
    st.cache_data.clear()
    at = AppTest.from_function(_season_view, default_timeout=120).run()
    assert not at.exception, [e.value for e in at.exception]
    text = " ".join(m.value.replace("\\", "") for m in at.markdown)
    assert "an untrained network of the same shape" in text and "(chance)" in text
    options = at.selectbox(key="season_unit").options
    assert all("untrained" in o and "points learned" in o for o in options[1:]), options[:3]
    frames = [d.value for d in at.dataframe]
    assert any(list(f.columns) == COLUMNS for f in frames)
    at.toggle(key="season_reference").set_value(False).run()  # off: no references traced, no table
    assert not any(list(d.value.columns) == COLUMNS for d in at.dataframe)
    st.cache_data.clear()
