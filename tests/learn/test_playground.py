"""The hand-set LSTM unit: the registry's own step with chosen gates, checked against the update written out."""
import numpy as np
import pytest

from lstm_forecast import cells
from lstm_forecast.errors import UserError
from lstm_forecast.learn.playground import (EVENT_STEP, SEQUENCES, forecaster_inputs, presets, reactive_unit,
                                            run_cell, sequence)


def _by_step(frame):
    return frame.pivot(index="step", columns="quantity", values="value")


@pytest.mark.parametrize("kind", SEQUENCES)
def test_the_unit_follows_the_lstm_update_with_hand_set_gates(kind):
    x = sequence(kind)
    rng = np.random.default_rng(0)
    f, i, o = rng.uniform(0, 1, (3, len(x)))
    table = _by_step(run_cell(x, f, i, o))
    c = h = 0.0
    for t in range(len(x)):  # c_t = f c_{t-1} + i g_t, g_t = tanh(x_t), h_t = o tanh(c_t)
        c = f[t] * c + i[t] * np.tanh(x[t])
        h = o[t] * np.tanh(c)
        assert table.loc[t, "c"] == pytest.approx(c, abs=1e-12) and table.loc[t, "h"] == pytest.approx(h, abs=1e-12)
    np.testing.assert_allclose(table["f"], f, atol=1e-12)  # the gates are exactly what was set, 0 and 1 included
    assert set(table.columns) == set(cells.get("lstm").walkthrough)


def test_gates_of_exactly_0_and_1_stay_exact():
    table = _by_step(run_cell(sequence("pulse"), 1.0, 0.0, 1.0))
    assert (table["f"] == 1.0).all() and (table["i"] == 0.0).all() and (table["c"] == 0.0).all()


def test_presets_remember_forget_hide_and_overwrite():
    x = sequence("pulse")
    written = np.tanh(1.0)
    runs = {name: _by_step(run_cell(x, **p.gates)) for name, p in presets(len(x)).items()}
    after = slice(EVENT_STEP, None)
    np.testing.assert_allclose(runs["remember"]["c"].iloc[after], written)  # kept unchanged to the end
    k = np.arange(len(x) - EVENT_STEP)
    np.testing.assert_allclose(runs["forget"]["c"].iloc[after], written * 0.8 ** k)  # fades by f^k
    hidden = runs["hide"]
    shut = hidden["o"] == 0
    assert shut.iloc[after].any() and (hidden.loc[shut, "h"] == 0).all()  # nothing shown while o is shut...
    np.testing.assert_allclose(hidden["c"].iloc[after], written)  # ...though the memory is there
    assert hidden["h"].iloc[-1] == pytest.approx(np.tanh(written))
    np.testing.assert_allclose(runs["overwrite"]["c"], np.tanh(x))  # no memory: c follows g


@pytest.mark.parametrize("gate, message", [(1.2, r"\[0, 1\]"), ([0.5] * 3, "3 values for 24 steps"),
                                           (float("nan"), r"\[0, 1\]")])
def test_bad_gate_values_are_one_clear_error(gate, message):
    with pytest.raises(UserError, match=message):
        run_cell(sequence("step"), gate, 0.5, 0.5)


def test_unknown_sequence_names_the_choices():
    with pytest.raises(UserError, match="pulse, step, sine"):
        sequence("square")


def test_a_forecasters_inputs_carry_the_sequence_and_its_change():
    x = sequence("step")
    features = forecaster_inputs(["level_gap", "change", "phase_sin"], x)
    np.testing.assert_array_equal(features[:, 0], x)
    np.testing.assert_array_equal(features[:, 1], np.diff(x, prepend=0))
    assert not features[:, 2].any()
    assert reactive_unit(np.array([[0, 1, 0], [0, -3, 2]])) == 1
