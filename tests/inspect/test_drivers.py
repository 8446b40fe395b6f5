"""Gate drivers (issue 18 part 2): a gate's pre-activation split exactly into one part per input feature, the
recurrent state, the peephole and the bias, for every cell, 1 to 3 layers, one or two directions."""
import numpy as np
import pandas as pd
import pytest
import torch

from lstm_forecast import cells
from lstm_forecast.inspect.drivers import BIAS, LAYER_BELOW, PEEPHOLE, RECURRENT, dominant_sentence, gate_drivers
from lstm_forecast.inspect.traces import compute_trace

FEATURES = ["level_gap", "change", "phase_sin"]
SHAPES = [(1, False), (2, False), (3, False), (2, True)]


def _net(cell: str, layers: int, bidirectional: bool, seed: int = 0):
    torch.manual_seed(seed)
    rnn = cells.get(cell).build(len(FEATURES), 5, num_layers=layers, bidirectional=bidirectional)
    x = torch.randn(150, len(FEATURES)) * 2
    return rnn.eval(), x


def _squash(cell: str, gate: str, pre: np.ndarray, rnn) -> np.ndarray:
    if gate == "hidden":
        return np.maximum(pre, 0) if getattr(rnn, "nonlinearity", "tanh") == "relu" else np.tanh(pre)
    return np.tanh(pre) if gate == "candidate" else 1 / (1 + np.exp(-pre))


@pytest.mark.parametrize("cell", list(cells.CELLS))
@pytest.mark.parametrize("layers, bidirectional", SHAPES)
def test_the_parts_sum_to_the_pre_activation_of_every_gate(cell, layers, bidirectional):
    rnn, x = _net(cell, layers, bidirectional)
    trace = compute_trace(rnn, x)
    for layer in range(layers):
        found = gate_drivers(rnn, x, trace, layer=layer, feature_names=FEATURES)
        for gate, parts in found.parts.items():
            got = trace.values[trace.quantities.index(gate), :, layer]
            pre = found.preactivation(gate)
            assert np.abs(_squash(cell, gate, pre, rnn) - got).max() < 1e-5, (gate, layer)
            inner = (got > 0.02) & (got < 0.98) if gate not in ("candidate", "hidden") else np.abs(got) < 0.96
            logit = np.log(got / (1 - got)) if gate not in ("candidate", "hidden") else np.arctanh(got)
            assert np.abs(pre[inner] - logit[inner]).max() < 1e-4, (gate, layer)  # the sum is the logit itself


def test_chunked_and_unchunked_traces_give_the_same_drivers():
    rnn, x = _net("lstm", 2, False)
    whole = gate_drivers(rnn, x, compute_trace(rnn, x), layer=1, feature_names=FEATURES)
    chunked = gate_drivers(rnn, x, compute_trace(rnn, x, chunk_steps=7), layer=1, feature_names=FEATURES)
    for gate in whole.parts:
        assert np.abs(whole.parts[gate] - chunked.parts[gate]).max() < 1e-6


def test_sources_name_the_features_on_layer_0_and_the_layer_below_above_it():
    rnn, x = _net("lstm-peephole", 2, False)
    trace = compute_trace(rnn, x)
    assert gate_drivers(rnn, x, trace, layer=0, feature_names=FEATURES).sources == [*FEATURES, RECURRENT, PEEPHOLE, BIAS]
    assert gate_drivers(rnn, x, trace, layer=1, feature_names=FEATURES).sources == [LAYER_BELOW, RECURRENT, PEEPHOLE, BIAS]
    rnn, x = _net("gru", 1, False)
    found = gate_drivers(rnn, x, compute_trace(rnn, x), layer=0, feature_names=FEATURES)
    assert found.sources == [*FEATURES, RECURRENT, BIAS] and set(found.parts) == {"reset", "update", "candidate"}


def test_each_feature_part_is_its_weight_times_its_input():
    rnn, x = _net("lstm", 1, False)
    found = gate_drivers(rnn, x, compute_trace(rnn, x), layer=0, feature_names=FEATURES)
    w = rnn.weight_ih_l0.detach().double().numpy()[5:10]  # forget gate rows (i, f, g, o)
    expected = x.double().numpy()[:, 1:2] * w[:, 1][None, :]  # "change" -> every unit
    assert np.allclose(found.parts["forget"][1], expected, atol=1e-12)
    bias = (rnn.bias_ih_l0 + rnn.bias_hh_l0).detach().double().numpy()[5:10]
    assert np.allclose(found.parts["forget"][-1], bias[None, :], atol=1e-12)
    assert np.all(found.parts["forget"][FEATURES.__len__()][0] == 0)  # the recurrent part starts at a zero state


def test_the_summary_and_the_sentence_name_the_source_that_moves_the_gate_most():
    rnn, x = _net("lstm", 1, False)
    x[:, 0] *= 20  # one feature swings far more than the others
    found = gate_drivers(rnn, x, compute_trace(rnn, x), layer=0, feature_names=FEATURES)
    phase = np.arange(150) % 10
    table = found.summary("forget", 2, phase)
    assert table.iloc[0]["source"] == "level_gap" and list(table.columns) == ["source", "mean", "sd", "eta2"]
    assert table["sd"].tolist() == sorted(table["sd"], reverse=True) and table["eta2"].between(0, 1).all()
    assert dominant_sentence(table, "forget", 2).startswith("The forget gate of unit 2 moves most with level_gap")
    tidy = found.to_frame(unit=2, gate="forget")
    assert len(tidy) == 150 * len(found.sources) and set(tidy["source"]) == set(found.sources)
    sums = tidy.groupby("step")["contribution"].sum().to_numpy()
    assert np.allclose(sums, found.preactivation("forget")[:, 2], atol=1e-12)
    assert isinstance(tidy, pd.DataFrame) and list(tidy.columns)[-1] == "contribution"


def _drivers_view():
    import streamlit as st

    from lstm_forecast.ui.compare_step import runs_for
    from lstm_forecast.ui.inside_step import show_inside
    from tests.factories import sine_series

    st.session_state.setdefault("inside_view", "Gate drivers")
    loaded = sine_series(n=600)
    runs, _ = runs_for(loaded)
    show_inside(loaded, runs)


def test_the_dashboard_view_names_the_dominant_source_and_sums_exactly(tmp_path, monkeypatch):
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from lstm_forecast.config import Config
    from lstm_forecast.pipeline import train_run
    from lstm_forecast.runs import save_run
    from tests.factories import sine_series

    run = train_run(sine_series(n=600), Config(hidden=4, epochs=1, threads=1, cell="gru"))
    save_run(run, tmp_path / "runs" / run.run_id)
    monkeypatch.setenv("LSTM_FORECAST_RUNS", str(tmp_path / "runs"))
    st.cache_data.clear()
    at = AppTest.from_function(_drivers_view, default_timeout=120).run()
    assert not at.exception, [e.value for e in at.exception]
    text = " ".join(m.value.replace("\\", "") for m in at.markdown)
    assert "The update gate of unit 0 moves most with" in text  # the GRU's keep gate first
    table = next(d.value for d in at.dataframe if "source" in d.value.columns)
    assert set(table["source"]) == {*run.feature_names, "recurrent", "bias"}
    at.selectbox(key="drivers_gate").set_value("candidate").run()
    assert any("reset gate's product" in c.value for c in at.caption)
    at.selectbox(key="drivers_unit").set_value(3).run()
    assert not at.exception and "unit 3 moves most" in " ".join(m.value for m in at.markdown)
    st.cache_data.clear()
