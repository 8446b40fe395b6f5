"""The network's correction weighted by what validation trusts (Config.shrink, issue 17's 'not all or nothing')."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from lstm_forecast.config import Config
from lstm_forecast.model import build_model, scale_correction
from lstm_forecast.pipeline import train_run
from lstm_forecast.prepare import TensorWindows
from lstm_forecast.train import SHRINK_WEIGHTS, correction_weight
from tests.factories import sine_series


class Fixed(nn.Module):
    """Forecasts the last input step's first H features: its 'correction' is known exactly."""

    def forward(self, x):
        return x[:, -1, :4]


@pytest.mark.parametrize("truth, expected", [(1.0, 1.0), (0.5, 0.5), (0.0, 0.0), (0.3, 0.25), (-1.0, 0.0)])
def test_the_weight_is_the_grid_point_that_forecasts_validation_best(truth, expected):
    g = torch.Generator().manual_seed(0)
    X = torch.randn(200, 3, 4, generator=g)
    Y = truth * X[:, -1, :4]  # the right correction is `truth` times the network's
    Y[::7, 2] = float("nan")  # unknown targets are left out
    assert correction_weight(Fixed(), TensorWindows(X, Y), torch.device("cpu")) == expected


def test_a_tie_goes_to_the_smaller_weight_and_no_validation_keeps_it_whole():
    X = torch.zeros(50, 3, 4)  # the network adds nothing: every weight forecasts alike
    assert correction_weight(Fixed(), TensorWindows(X, torch.ones(50, 4)), torch.device("cpu")) == SHRINK_WEIGHTS[0]
    assert correction_weight(Fixed(), None, torch.device("cpu")) == 1.0
    assert correction_weight(Fixed(), TensorWindows(X, torch.full((50, 4), float("nan"))), torch.device("cpu")) == 1.0


@pytest.mark.parametrize("ensemble", [1, 3])
def test_scaling_the_head_scales_every_forecast_correction(ensemble):
    torch.manual_seed(0)
    model = build_model(3, Config(horizon=4, lookback=8, hidden=6, ensemble=ensemble)).eval()
    for p in model.parameters():  # a trained-looking head, not the zero start
        torch.nn.init.normal_(p, std=0.3)
    x = torch.randn(5, 8, 3)
    before = model(x).detach()
    scale_correction(model, 0.25)
    np.testing.assert_allclose(model(x).detach().numpy(), 0.25 * before.numpy(), rtol=1e-5, atol=1e-7)


def test_a_run_records_its_weight_zero_is_its_base_and_one_is_the_whole_network(monkeypatch):
    import lstm_forecast.train as train_module

    data = sine_series(n=400, period=12, noise=0.3)
    config = Config(horizon=12, hidden=8, epochs=4, patience=4, base="seasonal_naive", shrink=True, threads=1)
    whole = train_run(data, Config(**{**config.to_dict(), "shrink": False}))
    assert "network_weight" not in whole.metrics and whole.metrics["network_kept"] is True
    chosen = train_run(data, config)
    assert chosen.metrics["network_weight"] in SHRINK_WEIGHTS  # what validation chose, recorded

    monkeypatch.setattr(train_module, "correction_weight", lambda *a: 0.0)
    zero = train_run(data, config)
    assert zero.metrics["network_weight"] == 0.0 and zero.metrics["network_kept"] is False
    np.testing.assert_allclose(zero.forecast["forecast"], zero.baselines["seasonal_naive"], rtol=1e-9)

    monkeypatch.setattr(train_module, "correction_weight", lambda *a: 1.0)
    one = train_run(data, config)
    np.testing.assert_array_equal(one.forecast["forecast"], whole.forecast["forecast"])
    assert one.metrics["network_kept"] is True


def test_a_weighted_correction_is_named_in_the_label_and_the_cli(capsys):
    from lstm_forecast.cli import _print_run
    from lstm_forecast.evaluation.kept import weight_words

    assert weight_words({"network_weight": 0.5, "network_kept": True}) == " (correction × 0.5)"
    assert weight_words({"network_weight": 1.0, "network_kept": True}) == ""
    assert weight_words({"network_weight": 0.0, "network_kept": False}) == ""  # not kept: said otherwise
    assert weight_words({"network_kept": True}) == ""
    run = train_run(sine_series(n=300, period=12), Config(horizon=12, hidden=8, epochs=2, patience=2, threads=1))
    run.metrics.update(network_weight=0.25, network_kept=True)
    _print_run(run)
    out = capsys.readouterr().out
    assert "network: its correction to the base is weighted 0.25 (--shrink" in out
