import numpy as np
import pytest
import torch

from lstm_forecast.config import Config
from lstm_forecast.errors import UserError
from lstm_forecast.model import Forecaster, choose_device
from lstm_forecast.prepare import Windows
from lstm_forecast.train import fit


def _windows(n=512, L=12, F=2, H=3, bad=False, seed=0):
    g = torch.Generator().manual_seed(seed)
    X = torch.randn(n, L, F, generator=g)
    Y = X[:, -1, :1].repeat(1, H) * 0.5  # learnable: a copy of the last input
    if bad:
        Y[5, 0] = float("nan")
    return Windows(np.arange(n), X, Y, np.zeros((n, H)))


def _config(**kw):
    return Config(horizon=3, lookback=12, period=1, hidden=8, **kw)


def test_loss_falls_and_best_weights_are_restored():
    cfg = _config(epochs=30, patience=30)
    model = Forecaster(2, cfg)
    result = fit(model, _windows(), _windows(seed=1), cfg, torch.device("cpu"))
    h = result.history
    assert h["train_loss"].iloc[-1] < 0.5 * h["train_loss"].iloc[0]
    assert result.best_epoch == int(h.loc[h["val_loss"].idxmin(), "epoch"])


def test_progress_reports_epoch_losses_and_eta():
    seen = []
    cfg = _config(epochs=4, patience=10)
    fit(Forecaster(2, cfg), _windows(), _windows(seed=1), cfg, torch.device("cpu"), callback=seen.append)
    assert [p.epoch for p in seen] == [1, 2, 3, 4]
    assert all(p.epochs == 4 and p.eta_s >= 0 and np.isfinite(p.train_loss) for p in seen)
    assert seen[-1].eta_s == 0 and seen[-1].best_val_loss == min(p.val_loss for p in seen)


def test_nan_stops_training_with_a_clear_message():
    cfg = _config(epochs=5)
    with pytest.raises(UserError, match="diverged at epoch 1.*lower the learning rate"):
        fit(Forecaster(2, cfg), _windows(bad=True), _windows(seed=1), cfg, torch.device("cpu"))


def test_device_choice():
    assert choose_device("cpu").type == "cpu"
    assert choose_device("auto").type == ("cuda" if torch.cuda.is_available() else
                                          "mps" if torch.backends.mps.is_available() else "cpu")
    if not torch.cuda.is_available():
        with pytest.raises(UserError, match="CUDA is not available"):
            choose_device("cuda")
    with pytest.raises(UserError, match="not one of"):
        choose_device("tpu")
