"""The thread choice: one thread for small work or a busy machine, revised during a fit, overrides honoured."""
import pytest
import torch

from lstm_forecast import threads as T


def _fake_marks(monkeypatch, others_cores: list[float]):
    """Marks as /proc/stat would give them: between consecutive marks (1 s apart), other processes used
    the given cores and this process one core."""
    marks, busy, own, wall = [], 0.0, 0.0, 0.0
    ticks = T.os.sysconf("SC_CLK_TCK")
    for cores in [0.0, *others_cores]:
        busy += (cores + 1.0) * ticks
        own += 1.0
        wall += 1.0
        marks.append((busy, own, wall))
    it = iter(marks)
    monkeypatch.setattr(T, "_mark", lambda: next(it))


def test_the_governor_drops_to_one_thread_when_another_process_takes_a_core_and_comes_back(monkeypatch):
    _fake_marks(monkeypatch, [0.0, 0.9, 0.8, 0.05])
    before = torch.get_num_threads()
    try:
        g = T.Governor(2, auto=True, cores=2)
        assert g.check() == 2  # quiet
        assert g.check() == 1 and torch.get_num_threads() == 1  # another process took most of a core
        assert g.check() == 1
        assert g.check() == 2 and torch.get_num_threads() == 2  # it stopped
    finally:
        torch.set_num_threads(before)


def test_small_work_stays_on_one_thread_on_a_quiet_machine(monkeypatch):
    _fake_marks(monkeypatch, [0.0, 0.0])
    g = T.Governor(1, auto=True, cores=T.most_threads(T.MULTI_THREAD_MIN_WORK // 2, cores=2))
    assert g.check() == 1 and g.check() == 1


def test_a_fit_of_small_work_runs_on_one_thread_and_an_override_is_honoured():
    from lstm_forecast.config import Config
    from lstm_forecast.model import Forecaster
    from lstm_forecast.prepare import prepare, resolve, train_val_windows
    from lstm_forecast.train import fit
    from tests.factories import sine_series

    loaded = sine_series(n=300)
    seen = {}
    for override in (None, 2):
        config, _ = resolve(Config(epochs=2, patience=2, hidden=8), loaded)
        assert T.fit_work(config) < T.MULTI_THREAD_MIN_WORK
        prep = prepare(loaded, config)
        train_w, val_w = train_val_windows(prep, config)
        threads = []
        fit(Forecaster(len(prep.feature_names), config), train_w, val_w, config, torch.device("cpu"),
            callback=lambda p: threads.append(p.threads), threads=override)
        seen[override] = set(threads)
    assert seen[None] == {1} and seen[2] == {2}


def test_an_override_is_never_revised(monkeypatch):
    _fake_marks(monkeypatch, [0.95, 0.95])
    g = T.Governor(2, auto=False)
    assert g.check() == 2 and g.check() == 2


def test_a_busy_machine_starts_a_large_fit_on_one_thread(monkeypatch):
    monkeypatch.setattr(T, "busy_cores", lambda *a, **k: 1.0)
    assert T.choose_threads(T.MULTI_THREAD_MIN_WORK * 4, cores=2) == 1
    monkeypatch.setattr(T, "busy_cores", lambda *a, **k: 0.0)
    assert T.choose_threads(T.MULTI_THREAD_MIN_WORK * 4, cores=2) == 2
    assert T.choose_threads(T.MULTI_THREAD_MIN_WORK // 2, cores=2) == 1  # small work: one thread anyway


def test_zero_threads_is_refused():
    from lstm_forecast.config import Config
    from lstm_forecast.errors import UserError

    with pytest.raises(UserError, match="threads"):
        Config(threads=0)
