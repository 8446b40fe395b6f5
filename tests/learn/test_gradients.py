"""The gradient measure against finite differences, and on fresh, race-trained and forecasting networks."""
import numpy as np
import pytest
import torch
from torch import nn

from lstm_forecast import cells
from lstm_forecast.errors import UserError
from lstm_forecast.learn.gradients import (GRADIENT_COLUMNS, forecaster_gradients, fresh_gradients,
                                           gradient_by_distance, memory_net_gradients)
from lstm_forecast.learn.memory import MemoryNet, MemoryTask


def _finite_difference_norms(loss_of, x: torch.Tensor, max_k: int, eps: float = 1e-6) -> np.ndarray:
    """(B, K) norms of d loss_b / d x_b[T-1-k] by central differences, one input coordinate at a time."""
    batch, n_steps, n_in = x.shape
    grads = np.zeros((batch, max_k, n_in))
    with torch.no_grad():
        for k in range(1, max_k + 1):
            for d in range(n_in):
                step = torch.zeros_like(x)
                step[:, n_steps - 1 - k, d] = eps
                grads[:, k - 1, d] = ((loss_of(x + step) - loss_of(x - step)) / (2 * eps)).numpy()
    return np.linalg.norm(grads, axis=2)


@pytest.mark.parametrize("cell", list(cells.CELLS))
def test_the_measure_matches_finite_differences_on_a_tiny_model(cell):
    net = MemoryNet(cell, 3, seed=1).double().eval()
    x = torch.randn(4, 7, 2, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    label = torch.tensor([1.0, 0.0, 1.0, 0.0], dtype=torch.float64)
    loss_fn = nn.BCEWithLogitsLoss(reduction="none")

    def loss_of(inputs):
        return loss_fn(net(inputs), label)

    measured = gradient_by_distance(loss_of, x, 6)
    expected = _finite_difference_norms(loss_of, x, 6)  # (B, K); central differences are good to about 1e-10
    assert list(measured.columns) == list(GRADIENT_COLUMNS) and measured["k"].tolist() == [1, 2, 3, 4, 5, 6]
    np.testing.assert_allclose(measured["mean_norm"], expected.mean(axis=0), rtol=1e-5, atol=1e-10)
    np.testing.assert_allclose(measured["median_norm"], np.median(expected, axis=0), rtol=1e-5, atol=1e-10)


def test_the_measure_refuses_distances_the_sequence_does_not_have():
    with pytest.raises(UserError, match=r"max_k \(7\)"):
        gradient_by_distance(lambda x: x.sum(dim=(1, 2)), torch.zeros(1, 7, 1), 7)


def test_fresh_rnn_gradients_vanish_much_faster_than_the_lstms():
    frame = fresh_gradients(("rnn", "gru", "lstm"), lag=60)
    norms = frame.pivot(index="k", columns="cell", values="mean_norm")
    assert len(norms) == MemoryTask(60).n_steps - 1
    drop = norms.loc[1] / norms.loc[50]  # how much weaker the signal is 50 steps back
    assert drop["rnn"] > 1e4 * drop["lstm"]


def test_a_trained_memory_net_is_measured_on_its_own_task():
    task = MemoryTask(8)
    frame = memory_net_gradients(MemoryNet("gru", 4), task, n=16)
    assert frame["k"].tolist() == list(range(1, task.n_steps)) and (frame["mean_norm"] > 0).all()


def test_a_forecaster_is_measured_across_its_lookback():
    from lstm_forecast.prepare import TensorWindows

    class Head(nn.Module):  # a Forecaster's shape: (B, L, F) -> (B, H) from the last hidden state
        def __init__(self):
            super().__init__()
            self.rnn = nn.LSTM(3, 5, batch_first=True)
            self.head = nn.Linear(5, 2)

        def forward(self, x):
            return self.head(self.rnn(x)[0][:, -1])

    X = torch.randn(40, 12, 3, generator=torch.Generator().manual_seed(0))
    Y = torch.randn(40, 2, generator=torch.Generator().manual_seed(1))
    Y[::2, 1] = float("nan")  # masked steps add nothing
    frame = forecaster_gradients(Head(), TensorWindows(X, Y), "mse", max_windows=16)
    assert frame["k"].tolist() == list(range(1, 12)) and np.isfinite(frame["mean_norm"]).all()
    assert (frame["mean_norm"] > 0).all()
