import numpy as np
import pytest
import torch

from lstm_forecast.config import Config
from lstm_forecast.errors import UserError
from lstm_forecast.model import Forecaster, choose_device
from lstm_forecast.prepare import TensorWindows
from lstm_forecast.train import fit


def _windows(n=512, L=12, F=2, H=3, bad=False, nan_loss=False, seed=0):
    g = torch.Generator().manual_seed(seed)
    X = torch.randn(n, L, F, generator=g)
    Y = X[:, -1, :1].repeat(1, H) * 0.5  # learnable: a copy of the last input
    if bad:
        X[:, 0, 0] = float("nan") if nan_loss else X[:, 0, 0]
    return TensorWindows(X, Y)


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
    seen = [p for p in seen if p.end_of_epoch]  # in-epoch ticks come between
    assert [p.epoch for p in seen] == [1, 2, 3, 4]
    assert all(p.epochs == 4 and p.eta_s >= 0 and np.isfinite(p.train_loss) for p in seen)
    assert seen[-1].eta_s == 0 and seen[-1].best_val_loss == min(p.val_loss for p in seen)


def test_nan_in_the_first_epoch_is_a_clear_user_error():
    cfg = _config(epochs=5)
    with pytest.raises(UserError, match="diverged at epoch 1.*before any epoch finished.*lower the learning rate"):
        fit(Forecaster(2, cfg), _windows(bad=True, nan_loss=True), _windows(seed=1), cfg, torch.device("cpu"))


def test_a_later_divergence_keeps_the_best_weights_so_far():
    cfg = _config(epochs=8, patience=8)
    train = _windows()
    poisoned = {"on": False}
    real_batch = train.batch

    def batch(idx):  # from epoch 3 on, the loss becomes NaN
        X, Y = real_batch(idx)
        return (X * float("nan") if poisoned["on"] else X), Y

    train.batch = batch
    model = Forecaster(2, cfg)
    result = fit(model, train, _windows(seed=1), cfg, torch.device("cpu"),
                 callback=lambda p: poisoned.update(on=poisoned["on"] or (p.epoch >= 2 and p.end_of_epoch)) or None)
    assert result.stopped.startswith("diverged at epoch 3") and "kept the best weights, from epoch" in result.stopped
    assert len(result.history) == 2 and all(torch.isfinite(v).all() for v in model.state_dict().values())


def test_masked_targets_add_nothing_to_the_loss():
    cfg = _config(epochs=1)
    w = _windows()
    Y = w.Y.clone()
    Y[:, 1:] = float("nan")  # only step 1 is known
    loss_fn = torch.nn.HuberLoss(reduction="none")
    from lstm_forecast.train import masked_loss

    pred = torch.zeros_like(Y)
    loss, n = masked_loss(loss_fn, pred, Y)
    assert int(n) == len(Y)
    assert float(loss) == pytest.approx(float(loss_fn(pred[:, 0], w.Y[:, 0]).mean()))


def test_a_stop_within_an_epoch_ends_the_fit_mid_epoch(monkeypatch):
    import lstm_forecast.train as T

    monkeypatch.setattr(T, "TICK_S", 0.0)  # a progress call after every batch
    seen = []
    cfg = _config(epochs=5, batch_size=16)

    def stop_after_three(p):
        seen.append(p)
        return False if len(seen) == 3 else None

    result = fit(Forecaster(2, cfg), _windows(), _windows(seed=1), cfg, torch.device("cpu"), callback=stop_after_three)
    assert result.stopped == "stopped by user"
    assert not seen[-1].end_of_epoch and seen[-1].epoch == 1 and 0 < seen[-1].fraction < 1
    assert len(result.history) == 0


def test_a_small_model_trains_on_one_thread_and_an_override_is_honoured():
    from lstm_forecast.threads import thread_plan

    small = _config(batch_size=16)
    assert thread_plan(Forecaster(2, small), small, torch.device("cpu")) == 1
    assert thread_plan(Forecaster(2, small), small, torch.device("cpu"), override=2) == 2
    seen = []
    fit(Forecaster(2, small), _windows(), _windows(seed=1), _config(epochs=1, threads=2), torch.device("cpu"),
        callback=lambda p: seen.append((p.threads, torch.get_num_threads())))
    assert seen[-1] == (2, 2)


def test_device_choice():
    assert choose_device("cpu").type == "cpu"
    assert choose_device("auto").type == ("cuda" if torch.cuda.is_available() else
                                          "mps" if torch.backends.mps.is_available() else "cpu")
    if not torch.cuda.is_available():
        with pytest.raises(UserError, match="CUDA is not available"):
            choose_device("cuda")
    with pytest.raises(UserError, match="not one of"):
        choose_device("tpu")


def test_running_out_of_memory_keeps_the_best_weights_so_far():
    cfg = _config(epochs=6, patience=6)
    train, calls = _windows(), {"n": 0}
    real_batch = train.batch

    def batch(idx):  # the third epoch's first batch cannot be allocated
        calls["n"] += 1
        if calls["n"] == 2 * 8 + 1:  # 512 windows / batch 64 = 8 batches an epoch
            raise torch.OutOfMemoryError("CPU out of memory")
        return real_batch(idx)

    train.batch = batch
    model = Forecaster(2, cfg)
    result = fit(model, train, _windows(seed=1), cfg, torch.device("cpu"))
    assert result.stopped.startswith("out of memory at epoch 3: kept the best weights")
    assert len(result.history) == 2


def test_an_exploding_gradient_is_never_applied_and_ends_the_fit_cleanly(monkeypatch):
    """From epoch 2 on every gradient norm is infinite: those steps are skipped, and after
    MAX_BAD_STEPS in a row the fit ends as diverged, with epoch 1's weights."""
    cfg = _config(epochs=6, patience=6)
    model = Forecaster(2, cfg)
    state = {"epoch": 1, "steps_after": 0}
    real_clip = torch.nn.utils.clip_grad_norm_

    def clip(params, max_norm):
        norm = real_clip(params, max_norm)
        return torch.tensor(float("inf")) if state["epoch"] >= 2 else norm

    monkeypatch.setattr(torch.nn.utils, "clip_grad_norm_", clip)
    kept = {}

    def track(p):
        if p.end_of_epoch:
            state["epoch"] = p.epoch + 1
            kept.update({k: v.clone() for k, v in model.state_dict().items()})

    result = fit(model, _windows(n=2048), _windows(seed=1), cfg, torch.device("cpu"), callback=track)
    assert result.stopped.startswith("diverged at epoch 2") and "kept the best weights, from epoch 1" in result.stopped
    for k, v in model.state_dict().items():
        assert torch.equal(v, kept[k]), k  # nothing of the infinite steps was applied
