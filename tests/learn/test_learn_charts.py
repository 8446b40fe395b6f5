"""The Learn page's chart builders: valid Vega-Lite from tidy frames, the diagram drawn from the registry's rows."""
import numpy as np
import pandas as pd
import pytest

from lstm_forecast import cells
from lstm_forecast.learn.memory import MemoryNet, MemoryTask, event_gap, lane, probe_traces
from lstm_forecast.learn.playground import run_cell, sequence
from lstm_forecast.ui import learn_charts as C


def _spec(chart) -> dict:
    return chart.to_dict()  # validates against the Vega-Lite schema


def test_race_chart():
    results = pd.DataFrame({"label": ["LSTM", "LSTM", "RNN", "RNN"], "lag": [5, 50, 5, 50],
                            "accuracy": [1.0, 0.99, 1.0, 0.5]})
    spec = _spec(C.plot_race(results, note="seed 0"))
    assert "Accuracy against lag" in str(spec["title"])


def test_memory_lane_and_event_gap_charts():
    task = MemoryTask(6)
    traces = probe_traces({"lstm": MemoryNet("lstm", 4), "rnn": MemoryNet("rnn", 4)}, task)
    lstm = _spec(C.plot_memory_lane(lane(traces, "lstm"), cell_label="LSTM", memory_title="cell state c",
                                    keep_title="forget gate f", unit=0))
    rnn = _spec(C.plot_memory_lane(lane(traces, "rnn"), cell_label="RNN", memory_title="hidden state h",
                                   keep_title=None, unit=0))
    assert len(lstm["vconcat"]) == 2 and len(rnn["vconcat"]) == 1  # no keep gate to draw
    gap = event_gap(traces).assign(label=lambda f: f["cell"].str.upper())
    _spec(C.plot_event_gap(gap, floor=1e-8))


def test_gradient_and_step_charts():
    frame = pd.DataFrame({"label": ["RNN"] * 3, "k": [1, 2, 3], "mean_norm": [1e-2, 1e-5, 0.0]})
    _spec(C.plot_gradients(frame, floor=1e-12, title="t"))
    steps = run_cell(sequence("sine"), 0.9, 0.5, 1.0)
    _spec(C.plot_unit_steps(steps, [("input", ("x_t", "g"), False), ("gates", ("i", "f", "o"), True)], title="t",
                            highlight=3))


def test_builders_refuse_more_than_5000_rows():
    big = pd.DataFrame({"label": ["RNN"] * 5001, "k": np.arange(5001), "mean_norm": 1.0})
    with pytest.raises(ValueError, match="5,001 rows"):
        C.plot_gradients(big, floor=1e-12, title="t")


@pytest.mark.parametrize("cell", [c for c in cells.CELLS if "cell" in cells.get(c).quantities])
def test_the_diagram_draws_every_walkthrough_row_of_the_lstm_family(cell):
    rows = cells.get(cell).walkthrough
    values = {row: 0.5 for row in rows}
    coupled = cells.get(cell).symbols["input"] not in cells.get(cell).gate_rows
    nodes, edges = C.diagram_frames(values, coupled=coupled, peephole=cell == "lstm-peephole", x_text="a +1.00")
    assert set(nodes["row"]) == set(rows)
    assert nodes.loc[nodes["row"] == "i", "caption"].item() == ("1−f" if coupled else "σ")
    assert (edges["style"] == "peephole").any() == (cell == "lstm-peephole")
    assert nodes.loc[nodes["row"] == "f", "label"].item().endswith("+0.500")
    _spec(C.plot_cell_diagram(nodes, edges, title="t"))
