"""How many intra-op threads the tensor work gets (DESIGN 15).

Small recurrent models on a CPU gain little from a second thread, and lose everything when another
process holds a core: each of the thousands of tiny parallel regions per batch then waits for a
thread that is not running (measured: 130x slower training with 2 threads and one busy core).
So work below a size runs on one thread, and so does any work while the machine is busy: the
choice is made at the start of a fit (a 50 ms look at /proc/stat) and revised while it runs
(`Governor`: at each progress tick, the CPU time other processes used since the last one). The user
can always override (`--threads`, the dashboard's setting): an override is never revised.
"""
from __future__ import annotations

import os
import time
from contextlib import contextmanager
from typing import Iterator
from .errors import UserError

# batch x lookback x hidden x gates x layers from which a quiet machine's second core pays. Measured
# (bench/contention.py, 2 cores): the default fit (64 x 48 x 32 x 4 = 393,216) took 1.19 s on 2 threads and
# 1.39 s on 1 quiet; with one core busy 4.50 s on 2 threads and 1.51 s on 1, which the start-of-fit check
# and the governor avoid. Below 64 x 32 x 32 x 4 (airline's defaults are 64 x 24 x 32 x 4) one thread.
MULTI_THREAD_MIN_WORK = 64 * 32 * 32 * 4
BUSY_SAMPLE_S = 0.05  # how long the machine's load is sampled at the start of a fit


def thread_plan(model, config, device, override: int | None = None) -> int:
    """Intra-op threads for fitting `model` with `config` on `device`."""
    if override is not None:
        if override < 1:
            raise UserError(f"threads ({override}) must be >= 1")
        return int(override)
    if getattr(device, "type", str(device)) != "cpu":
        return _torch().get_num_threads()  # the GPU does the work; leave the CPU setting alone
    return choose_threads(fit_work(config))


def fit_work(config) -> int:
    """batch x lookback x hidden x gates x layers: the size of one step's recurrent work in a fit."""
    return config.batch_size * (config.lookback or 1) * config.hidden * 4 * config.layers


def most_threads(work: int, cores: int | None = None) -> int:
    """Threads the work gets on a quiet machine: 1 below MULTI_THREAD_MIN_WORK, else every core."""
    cores = cores or available_cores()
    return 1 if work < MULTI_THREAD_MIN_WORK else cores


class Governor:
    """Revises the thread count during a fit from what other processes did since the last check.

    With several threads, other processes using half a core or more -> one thread; with one thread
    chosen because of them, others using under a fifth of a core -> every core again.
    """

    BUSY, QUIET = 0.5, 0.2  # cores used by other processes

    def __init__(self, threads: int, *, auto: bool, cores: int | None = None) -> None:
        """cores: what the work gets on a quiet machine (`most_threads`); small work stays on one."""
        self.threads, self.auto = threads, auto
        self.most = max(threads, 1) if not auto else (cores or available_cores())
        self.may_grow = auto and threads == 1 and self.most > 1  # one thread because the machine was busy
        self._mark = _mark()

    def check(self) -> int:
        """The thread count to use from now on (applied with torch.set_num_threads)."""
        if not self.auto:
            return self.threads
        mark = _mark()
        others = _others_between(self._mark, mark)
        self._mark = mark
        if others is None:
            return self.threads
        if self.threads > 1 and others >= self.BUSY:
            self.threads, self.may_grow = 1, True
        elif self.threads == 1 and self.may_grow and others < self.QUIET:
            self.threads = self.most
        if _torch().get_num_threads() != self.threads:
            _torch().set_num_threads(self.threads)
        return self.threads


def _mark() -> tuple[float, float, float] | None:
    """(machine busy ticks, this process's CPU seconds, wall seconds) now; None without /proc/stat."""
    try:
        return _cpu_busy(), time.process_time(), time.perf_counter()
    except OSError:
        return None


def _others_between(a, b, min_s: float = 0.1) -> float | None:
    """Cores other processes kept busy between two marks (None when unknown or too short to tell)."""
    if a is None or b is None or b[2] - a[2] < min_s:
        return None
    ticks = os.sysconf("SC_CLK_TCK")
    return max(0.0, ((b[0] - a[0]) / ticks - (b[1] - a[1])) / (b[2] - a[2]))


def choose_threads(work: int, cores: int | None = None) -> int:
    """1 below MULTI_THREAD_MIN_WORK or when another process keeps a core busy; else every core."""
    most = most_threads(work, cores)
    if most <= 1:
        return 1
    return 1 if busy_cores() >= 0.5 else most


def available_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def busy_cores(sample_s: float = BUSY_SAMPLE_S) -> float:
    """Cores kept busy by other processes right now: (busy time - ours) / wall time, from /proc/stat."""
    start = _mark()
    time.sleep(sample_s)
    return _others_between(start, _mark(), min_s=sample_s / 2) or 0.0


def _cpu_busy() -> float:
    """Total non-idle CPU time of the machine in clock ticks (first line of /proc/stat)."""
    with open("/proc/stat") as fh:
        fields = [float(v) for v in fh.readline().split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0.0)  # idle + iowait
    return sum(fields[:8]) - idle


@contextmanager
def using_threads(n: int) -> Iterator[None]:
    """Run the block with `n` intra-op threads, then restore the previous setting."""
    torch = _torch()
    before = torch.get_num_threads()
    if n != before:
        torch.set_num_threads(n)
    try:
        yield
    finally:
        if torch.get_num_threads() != before:
            torch.set_num_threads(before)


def _torch():
    import torch  # deferred: torch

    return torch
