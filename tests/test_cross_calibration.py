"""Calibration "cross", the default (issue 17, item 3): the whole validation part chooses the epoch, as it
always did, and the intervals are calibrated on residuals that did not choose the weights that made them:
the validation targets before `prep.cross_split` are forecast by the network best on those from it on,
and the others by the network best before it."""
import numpy as np
import pytest
import torch
from torch import nn

from lstm_forecast.backtest import backtest
from lstm_forecast.config import Config
from lstm_forecast.network import NetworkForecaster
from lstm_forecast.pipeline import series_part, train_run
from lstm_forecast.train import LOSSES, _Halves, evaluate_loss
from tests.factories import sine_series

SMALL = dict(hidden=8, epochs=6, patience=6, horizon=12, seed=1)


def test_the_choices_and_the_forecast_are_those_of_calibrating_on_the_selection():
    loaded = sine_series(n=400, period=12, noise=0.3)
    cross = train_run(loaded, Config(**SMALL), threads=1)
    plain = train_run(loaded, Config(**SMALL, calibration="selection"), threads=1)
    np.testing.assert_array_equal(cross.history["val_loss"], plain.history["val_loss"])
    np.testing.assert_array_equal(cross.forecast["forecast"], plain.forecast["forecast"])
    assert cross.info["best_epoch"] == plain.info["best_epoch"]
    assert "best on the other half" in cross.metrics["intervals"]["residuals"]
    assert "also chose the epoch" in plain.metrics["intervals"]["residuals"]


class _Table(nn.Module):
    """A 'network' that answers the validation windows, all in one batch, with a fixed table (N, H)."""

    def __init__(self, table: np.ndarray) -> None:
        super().__init__()
        self.table = nn.Parameter(torch.tensor(table, dtype=torch.float32))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        assert x.shape[0] == self.table.shape[0]
        return self.table * 1.0


def test_each_half_keeps_the_weights_best_on_it():
    """Two candidate weights, each exact on one half of the validation targets and off by 5 on the other:
    each half keeps its own, whichever came first."""
    part = series_part(sine_series(n=400, period=12), Config(**SMALL))
    val, split = part.val_w, part.prep.cross_split
    _, Y = val.batch(np.arange(len(val)))
    truth = np.nan_to_num(Y.numpy())
    at = val.origins[:, None] + np.arange(1, val.horizon + 1)[None, :]
    right_before = np.where(at < split, truth, truth + 5.0)
    right_after = np.where(at >= split, truth, truth + 5.0)

    class Job:  # what _Halves reads of train._Job
        pass

    job = Job()
    job.val, job.cross_split = val, split
    idx = np.arange(len(val))
    halves = _Halves(job)
    loss_fn = LOSSES["mse"](reduction="none")
    model = _Table(right_after)
    evaluate_loss(model, val, loss_fn, idx, halves=halves)
    with torch.no_grad():
        model.table.copy_(torch.tensor(right_before, dtype=torch.float32))
    evaluate_loss(model, val, loss_fn, idx, halves=halves)
    first, second = halves.states()
    np.testing.assert_array_equal(first["table"].numpy(), right_before.astype(np.float32))
    np.testing.assert_array_equal(second["table"].numpy(), right_after.astype(np.float32))


def test_calibration_rows_come_from_the_network_of_the_other_half():
    loaded = sine_series(n=400, period=12)
    run = train_run(loaded, Config(**SMALL), threads=1)
    part = series_part(loaded, run.config)
    y = loaded.frame[run.config.value_col].to_numpy(dtype=float)
    network = NetworkForecaster.trained(part.prep, run.config, run.model)
    zero = {k: torch.zeros_like(v) if k.startswith("head") else v for k, v in run.model.state_dict().items()}
    origins = part.origins.calibration
    rows = network.cross_calibration(y, origins, (zero, run.model.state_dict()))  # first half best: the base alone
    own = network.forecast_from(y, origins, run.config.horizon)
    base_model = type(run.model)(len(part.prep.feature_names), run.config)
    base_model.load_state_dict(zero)
    base = NetworkForecaster.trained(part.prep, run.config, base_model).forecast_from(y, origins, run.config.horizon)
    at = origins[:, None] + np.arange(1, run.config.horizon + 1)[None, :]
    after = at >= part.prep.cross_split
    np.testing.assert_array_equal(rows[after], base[after])  # forecast by the network best before the split
    np.testing.assert_array_equal(rows[~after], own[~after])  # ... and by the one best from it on
    assert not np.allclose(base, own)


def test_an_ensemble_is_cross_calibrated_member_by_member():
    run = train_run(sine_series(n=400, period=12), Config(**{**SMALL, "epochs": 3}, ensemble=2), threads=1)
    assert "best on the other half" in run.metrics["intervals"]["residuals"]


@pytest.mark.parametrize("calibration", ["cross", "part"])
def test_coverage_lands_near_nominal_at_every_horizon_step_on_known_noise(calibration):
    """Seasonal pattern plus Gaussian noise: across 80 origins, the bands of the network and of seasonal naive
    cover near their levels at each of the 6 steps, not only pooled."""
    loaded = sine_series(n=2400, period=12, noise=0.5, seed=3)
    config = Config(hidden=8, epochs=4, patience=4, horizon=6, seed=0, calibration=calibration)
    steps = backtest(loaded, config, origins=80, step=5).by_step.set_index(["method", "step"])
    for method in ("lstm", "seasonal_naive"):
        for step in range(1, 7):
            c80, c95 = steps.loc[(method, step), ["coverage_80", "coverage_95"]]
            assert 0.65 <= c80 <= 0.93, (method, step, c80)  # 80 draws: 2.9 standard errors either side
            assert 0.85 <= c95 <= 1.0, (method, step, c95)
