"""How many intra-op threads the tensor work gets (DESIGN 15).

Small recurrent models on a CPU gain little from a second thread, and lose everything when another
process holds a core: each of the thousands of tiny parallel regions per batch then waits for a
thread that is not running (measured: 130x slower training with 2 threads and one busy core).
So work below a size runs on one thread, and so does any work started while the machine is busy.
The user can always override (`--threads`, the dashboard's setting).
"""
from __future__ import annotations

import os
import time
from contextlib import contextmanager
from typing import Iterator

MULTI_THREAD_MIN_WORK = 64 * 64 * 64 * 64  # batch x lookback x hidden x gates below which one thread is as fast
BUSY_SAMPLE_S = 0.05  # how long the machine's load is sampled at the start of a fit


def thread_plan(model, config, device, override: int | None = None) -> int:
    """Intra-op threads for fitting `model` with `config` on `device`."""
    if override is not None:
        if override < 1:
            from .errors import UserError

            raise UserError(f"threads ({override}) must be >= 1")
        return int(override)
    if getattr(device, "type", str(device)) != "cpu":
        return _torch().get_num_threads()  # the GPU does the work; leave the CPU setting alone
    work = config.batch_size * (config.lookback or 1) * config.hidden * 4 * config.layers
    return choose_threads(work)


def choose_threads(work: int, cores: int | None = None) -> int:
    """1 below MULTI_THREAD_MIN_WORK or when another process keeps a core busy; else every core."""
    cores = cores or available_cores()
    if cores <= 1 or work < MULTI_THREAD_MIN_WORK:
        return 1
    return 1 if busy_cores() >= 0.5 else cores


def available_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def busy_cores(sample_s: float = BUSY_SAMPLE_S) -> float:
    """Cores kept busy by other processes right now: (busy time - ours) / wall time, from /proc/stat."""
    try:
        before, ours_before, t0 = _cpu_busy(), time.process_time(), time.perf_counter()
        time.sleep(sample_s)
        after, ours_after, t1 = _cpu_busy(), time.process_time(), time.perf_counter()
    except OSError:
        return 0.0
    ticks = os.sysconf("SC_CLK_TCK")
    others = (after - before) / ticks - (ours_after - ours_before)
    return max(0.0, others / (t1 - t0))


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
    import torch

    return torch
