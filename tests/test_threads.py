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
