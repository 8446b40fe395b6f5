"""The long-memory task and its networks: where the event sits, equal budgets, the keep-gate bias,
and the claim the race makes: the LSTM remembers 50 steps back where the RNN does not."""
import numpy as np
import pytest
import torch

from lstm_forecast import cells
from lstm_forecast.errors import UserError
from lstm_forecast.learn.memory import (FEATURES, LANE_COLUMNS, MemoryNet, MemoryTask, accuracy, carrier_unit,
                                        event_gap, hidden_for_budget, lane, parameter_count, parse_lags,
                                        probe_traces, set_keep_bias, train_network)


@pytest.mark.parametrize("lag", [1, 5, 50, 100])
def test_test_sequences_put_the_event_exactly_lag_steps_back(lag):
    task = MemoryTask(lag)
    x, label, event = task.batch(300, torch.Generator().manual_seed(lag), exact=True)
    assert x.shape == (300, task.lead + lag + 1, len(FEATURES))
    marker = x[:, :, 1]
    assert torch.equal(marker.sum(dim=1), torch.ones(300))  # one event per sequence
    where = marker.argmax(dim=1)
    assert torch.equal(where, event) and torch.all(where == x.shape[1] - 1 - lag)  # exactly lag steps back
    rows = torch.arange(300)
    assert torch.equal(x[rows, where, 0], label * 2 - 1)  # the pulse's sign is the answer
    noise = x[:, :, 0][marker == 0]
    assert noise.abs().max() <= task.noise and noise.abs().max() > 0.9 * task.noise  # distractors everywhere else
    assert 0.4 < label.mean() < 0.6


def test_training_sequences_put_it_anywhere_from_1_to_lag_back():
    task = MemoryTask(20)
    x, _, event = task.batch(4000, torch.Generator().manual_seed(0), exact=False)
    back = x.shape[1] - 1 - event
    assert back.min() == 1 and back.max() == 20 and len(back.unique()) == 20
    assert torch.equal(x[:, :, 1].argmax(dim=1), event)


def test_the_probe_pair_differs_only_in_the_pulse_sign():
    task = MemoryTask(10)
    plus, minus, event = task.probe_pair(seed=3)
    assert event == task.n_steps - 1 - 10
    differ = (plus != minus).nonzero().tolist()
    assert differ == [[event, 0]] and plus[event, 0] == 1 and minus[event, 0] == -1


@pytest.mark.parametrize("cell", list(cells.CELLS))
def test_every_cell_gets_about_the_same_parameter_budget(cell):
    hidden = hidden_for_budget(cell, 1300)
    count = parameter_count(cell, hidden)
    assert abs(count - 1300) / 1300 < 0.05
    assert count == sum(p.numel() for p in MemoryNet(cell, hidden).parameters())
    assert abs(parameter_count(cell, hidden + 1) - 1300) >= abs(count - 1300)  # the nearest, not just near


@pytest.mark.parametrize("cell", list(cells.CELLS))
def test_keep_bias_sets_only_the_registrys_keep_gate(cell):
    net = MemoryNet(cell, 6, keep_bias=0.0)
    before = cells.weights(net.rnn, 0, 0)._replace(b_ih=cells.weights(net.rnn, 0, 0).b_ih.clone())
    set_keep_bias(net.rnn, 1.5)
    after = cells.weights(net.rnn, 0, 0)
    entry = cells.get(cell)
    changed = [k for k in range(len(entry.gate_rows))
               if not torch.equal(before.b_ih[6 * k: 6 * k + 6], after.b_ih[6 * k: 6 * k + 6])]
    if entry.keep_gate is None:
        assert changed == []
    else:
        block = entry.gate_rows.index(entry.symbols[entry.keep_gate])
        assert changed == [block]
        both = after.b_ih[6 * block: 6 * block + 6] + after.b_hh[6 * block: 6 * block + 6]
        towards_keeping = 1.5 if entry.keeps_at == 1 else -1.5  # the MGU's forget gate keeps at 0
        assert torch.allclose(both, torch.full((6,), towards_keeping))


def test_networks_come_from_their_seed_not_the_global_generator():
    torch.manual_seed(1)
    a = MemoryNet("lstm", 5, seed=7)
    torch.manual_seed(2)
    b = MemoryNet("lstm", 5, seed=7)
    c = MemoryNet("lstm", 5, seed=8)
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters()))
    assert not all(torch.equal(p, q) for p, q in zip(a.parameters(), c.parameters()))


def test_parse_lags_names_the_bad_text():
    assert parse_lags("5, 10,20") == (5, 10, 20)
    with pytest.raises(UserError, match="'5,x'"):
        parse_lags("5,x")


@pytest.fixture(scope="module")
def lag50():
    """The race's LSTM and RNN at lag 50, default settings, seed 0 (a few seconds each)."""
    torch.set_num_threads(1)
    task = MemoryTask(50)
    nets = {cell: train_network(cell, hidden_for_budget(cell, 1300), task) for cell in ("lstm", "rnn")}
    return task, nets


def test_the_lstm_remembers_50_steps_back_where_the_rnn_does_not(lag50):
    task, nets = lag50
    assert accuracy(nets["lstm"], task, 500, seed=0) > 0.9
    assert accuracy(nets["rnn"], task, 500, seed=0) < 0.7


def test_the_rnn_memory_of_the_event_fades_and_the_lstms_does_not(lag50):
    task, nets = lag50
    traces = probe_traces(nets, task)
    gap = event_gap(traces).set_index(["cell", "since_event"])["gap"]
    assert gap["rnn"].iloc[-1] < 1e-3 * gap["rnn"].iloc[0]  # 50 steps of noise have overwritten it
    assert gap["lstm"].iloc[-1] > 0.5 * gap["lstm"].iloc[0]  # still there at the answer
    rows = lane(traces, "lstm")
    assert tuple(rows.columns) == LANE_COLUMNS and set(rows["role"]) == {"memory", "keep gate"}
    assert set(rows["unit"]) == {carrier_unit(traces, "lstm")} and len(rows) == 4 * task.n_steps
    assert set(lane(traces, "rnn")["role"]) == {"memory"}  # nothing to keep it: no gate


def test_probe_traces_hold_every_quantity_of_every_unit():
    task = MemoryTask(4)
    nets = {cell: MemoryNet(cell, 3) for cell in cells.CELLS}
    traces = probe_traces(nets, task)
    for cell in cells.CELLS:
        rows = traces[traces["cell"] == cell]
        assert set(rows["quantity"]) == set(cells.get(cell).quantities)
        assert len(rows) == 2 * task.n_steps * 3 * len(cells.get(cell).quantities)
    assert np.array_equal(np.sort(traces["since_event"].unique()), np.arange(task.n_steps) - task.lead)
