"""The long-memory race: every registered cell against every lag, on equal terms.

Every network has one layer and a linear read-out, and about the same number of parameters
(hidden sizes chosen per cell for the budget). For a given lag every cell starts from the same
seed, sees the same training batches, takes the same number of Adam steps and is scored on the
same test set. Each gated cell's keep gate (LSTM forget f, GRU update z, from the registry)
starts with bias +1, as Keras' `unit_forget_bias` does by default (Jozefowicz et al. 2015); the
RNN has no gate to bias.

The networks train in parallel worker processes (one per core, one thread each): these small
recurrent steps are latency-bound, so processes scale where intra-op threads do not (DESIGN 15).
Every network's result is the same, run alone or in a pool.
"""
from __future__ import annotations

import json
import math
import multiprocessing
import os
import queue
import sys
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from importlib.machinery import ModuleSpec
from pathlib import Path
from typing import Optional

import numpy as np
import pandas as pd
import torch

from .. import cells
from ..errors import UserError
from ..threads import available_cores, using_threads
from .memory import (MemoryNet, MemoryTask, Training, accuracy, hidden_for_budget, memory_lane, parameter_count,
                     probe_traces, train_network)

LAGS = (5, 10, 20, 50, 100)
MAX_LAG = 1000
MAX_WORKERS = 4
TICK_S = 0.2  # seconds between progress reports


@dataclass(frozen=True)
class RaceSettings:
    lags: tuple[int, ...] = LAGS
    cells: tuple[str, ...] = tuple(cells.CELLS)  # every registered cell
    budget: int = 1300  # parameters per network (an LSTM with 16 units has 1,297)
    training: Training = Training()  # steps, batch, lr, clip, keep-gate bias, seed: the same for every network
    test_size: int = 500  # test sequences per lag, the event exactly `lag` steps back
    lane_lag: int | None = None  # the lag whose networks are traced; None: 50 if raced, else the longest below it
    noise: float = 0.5  # distractor amplitude (memory.MemoryTask)
    lead: int = 4  # noise steps before the earliest event

    def __post_init__(self) -> None:
        object.__setattr__(self, "lags", tuple(int(lag) if isinstance(lag, np.integer) else lag for lag in self.lags))
        object.__setattr__(self, "cells", tuple(self.cells))
        if not self.lags:
            raise UserError("no lags to race; give at least one, e.g. --lags 5,10,20,50,100")
        bad = [lag for lag in self.lags if not isinstance(lag, int) or isinstance(lag, bool) or not 1 <= lag <= MAX_LAG]
        if bad:
            raise UserError(f"lags {bad} are out of range; give whole numbers of steps from 1 to {MAX_LAG}")
        if len(set(self.lags)) != len(self.lags):
            raise UserError(f"lags {list(self.lags)} repeat; give each lag once")
        if not self.cells:
            raise UserError(f"no cells to race; choose from {', '.join(cells.CELLS)}")
        for name in self.cells:
            cells.get(name)
        t = self.training
        for name, value in (("budget", self.budget), ("steps", t.steps), ("batch size", t.batch_size),
                            ("test size", self.test_size), ("seed", t.seed + 1), ("lead", self.lead + 1)):
            if not isinstance(value, int) or value < 1:
                raise UserError(f"the race's {name} ({value!r}) must be a whole number >= {1 if name != 'seed' else 0}")
        if self.lane_lag is not None and self.lane_lag not in self.lags:
            raise UserError(f"lane lag {self.lane_lag} is not one of the raced lags {list(self.lags)}; pick one of them")
        if not (math.isfinite(t.lr) and t.lr > 0 and math.isfinite(self.noise) and self.noise >= 0):
            raise UserError(f"the learning rate ({t.lr!r}) must be > 0 and the noise ({self.noise!r}) >= 0")

    @property
    def traced_lag(self) -> int:
        """The lag whose networks the memory lane shows."""
        if self.lane_lag is not None:
            return self.lane_lag
        below = [lag for lag in self.lags if lag <= 50]
        return max(below) if below else min(self.lags)

    def task(self, lag: int) -> MemoryTask:
        return MemoryTask(lag, lead=self.lead, noise=self.noise)


@dataclass
class RaceProgress:
    """What the callback sees; return False from it to stop the race."""

    cell: str  # the network that reported last
    lag: int
    finished: int  # networks trained to the end
    networks: int  # networks in the race
    fraction: float  # of the whole race's work (steps x sequence length), 0..1
    elapsed_s: float


RaceCallback = Callable[[RaceProgress], Optional[bool]]


@dataclass
class RaceResult:
    results: pd.DataFrame  # cell, lag, accuracy: one row per network trained to the end
    networks: pd.DataFrame  # cell, label, hidden, parameters, seconds (training time summed over lags)
    lane: pd.DataFrame  # each cell's carrier unit at settings.traced_lag (memory.memory_lane)
    traces: pd.DataFrame  # every quantity of every unit on both probes at settings.traced_lag (memory.probe_traces)
    models: dict[str, MemoryNet]  # the networks trained at settings.traced_lag, by cell
    settings: RaceSettings
    seconds: float  # wall time of the whole race
    workers: int
    stopped: bool = False  # the callback asked to stop: the tables hold what finished
    info: dict = field(default_factory=dict)

    def accuracy_table(self) -> pd.DataFrame:
        """Accuracy, cells (rows, in race order) x lags (columns)."""
        table = self.results.pivot(index="cell", columns="lag", values="accuracy")
        return table.reindex(index=[c for c in self.settings.cells if c in table.index],
                             columns=[lag for lag in self.settings.lags if lag in table.columns])


@dataclass(frozen=True)
class _Job:
    index: int
    cell: str
    lag: int
    hidden: int
    keep: bool  # return the trained weights (the traced lag)


def run_race(settings: RaceSettings = RaceSettings(), callback: RaceCallback | None = None,
             workers: int | None = None) -> RaceResult:
    """Train and score every cell at every lag; trace the networks of settings.traced_lag.

    workers: processes to train in (default: one per core, at most MAX_WORKERS); 1 trains here.
    """
    start = time.perf_counter()
    hidden = {cell: hidden_for_budget(cell, settings.budget) for cell in settings.cells}
    jobs = [_Job(k, cell, lag, hidden[cell], lag == settings.traced_lag)
            for k, (cell, lag) in enumerate((c, lag) for c in settings.cells for lag in settings.lags)]
    workers = min(len(jobs), MAX_WORKERS, available_cores()) if workers is None else max(1, int(workers))
    cost = {job.index: settings.training.steps * settings.task(job.lag).n_steps for job in jobs}
    progress = _Progress(jobs, cost, settings.training.steps, callback, start)
    if workers == 1:
        outcomes = _run_here(jobs, settings, progress)
    else:
        outcomes = _run_in_pool(jobs, settings, progress, workers)
    rows, seconds, models = [], dict.fromkeys(settings.cells, 0.0), {}
    for job in jobs:  # in race order, whatever order they finished in
        if job.index not in outcomes:
            continue
        score, took, state = outcomes[job.index]
        rows.append((job.cell, job.lag, score))
        seconds[job.cell] += took
        if state is not None:
            net = MemoryNet(job.cell, job.hidden, keep_bias=0.0)
            net.load_state_dict(state)
            models[job.cell] = net.eval()
    results = pd.DataFrame(rows, columns=["cell", "lag", "accuracy"])
    networks = pd.DataFrame(
        [(c, cells.get(c).label, hidden[c], parameter_count(c, hidden[c]), round(seconds[c], 2)) for c in settings.cells],
        columns=["cell", "label", "hidden", "parameters", "seconds"])
    traces = probe_traces(models, settings.task(settings.traced_lag), settings.training.seed)
    return RaceResult(results, networks, memory_lane(traces), traces, models, settings, time.perf_counter() - start, workers,
                      stopped=len(outcomes) < len(jobs), info={"settings": asdict(settings)})


class _Progress:
    """Steps done per job, turned into RaceProgress calls at most every TICK_S (and at each job's end)."""

    def __init__(self, jobs: list[_Job], cost: dict[int, int], steps: int, callback: RaceCallback | None,
                 start: float) -> None:
        self.jobs = {job.index: job for job in jobs}
        self.steps_per_job = steps
        self.cost, self.total = cost, sum(cost.values())
        self.callback, self.start = callback, start
        self.steps = dict.fromkeys(self.jobs, 0)
        self.finished, self.last = 0, -math.inf
        self.stop = False

    def step(self, index: int, steps_done: int, *, finished: bool = False) -> bool:
        """Record a job's steps; call back when due. False once the callback asked to stop."""
        self.steps[index] = steps_done
        self.finished += finished
        now = time.perf_counter()
        if self.callback is None or self.stop or (now - self.last < TICK_S and not finished):
            return not self.stop
        self.last = now
        job = self.jobs[index]
        done = sum(self.cost[k] * s for k, s in self.steps.items()) / self.steps_per_job
        report = RaceProgress(job.cell, job.lag, self.finished, len(self.jobs), min(1.0, done / self.total),
                              now - self.start)
        if self.callback(report) is False:
            self.stop = True
        return not self.stop


def _run_here(jobs: list[_Job], settings: RaceSettings, progress: _Progress) -> dict[int, tuple]:
    outcomes = {}
    with using_threads(1):  # small latency-bound steps: one thread is as fast, and safe on a busy machine
        for job in jobs:
            outcome = _train_and_score(job, settings, lambda step, k=job.index: progress.step(k, step))
            if outcome is None:
                break
            outcomes[job.index] = outcome
            progress.step(job.index, settings.training.steps, finished=True)
            if progress.stop:
                break
    return outcomes


def _train_and_score(job: _Job, settings: RaceSettings, tick) -> tuple | None:
    """(accuracy, seconds, weights if job.keep else None), or None when stopped."""
    t0 = time.perf_counter()
    task = settings.task(job.lag)
    net = train_network(job.cell, job.hidden, task, settings.training, tick)
    if net is None:
        return None
    took = time.perf_counter() - t0
    score = accuracy(net, task, settings.test_size, settings.training.seed)
    return score, took, ({k: v.detach().clone() for k, v in net.state_dict().items()} if job.keep else None)


# --- the pool: workers forked from a clean server process, progress over a queue -------------------
# A fork of the caller itself is unsafe (the dashboard and torch run threads), and a spawned worker
# imports torch afresh (seconds on a busy machine). So workers fork from multiprocessing's fork
# server, which has imported torch and pandas once and runs no threads; where there is none, they
# spawn. (Only third-party modules are preloaded: Python 3.11's fork server ignores the caller's
# sys.path, so it could find another checkout's lstm_forecast; each worker imports this package on
# the caller's path.) The workers need nothing from the caller's `__main__` (a job pickles by
# reference to this module), yet multiprocessing makes each import it as `__mp_main__`; in the
# dashboard that is app.py, the whole app run bare. _workers_skip_main stops that.

_reports = None  # in a worker: the queue its progress goes to
_stop = None  # in a worker: set when the race is stopped


def _start_worker(reports, stop) -> None:
    global _reports, _stop
    _reports, _stop = reports, stop
    torch.set_num_threads(1)


def _pool_job(job: _Job, settings: RaceSettings) -> tuple[int, tuple | None]:
    last = [time.perf_counter()]

    def tick(step: int) -> bool:
        now = time.perf_counter()
        if now - last[0] >= TICK_S:
            last[0] = now
            _reports.put((job.index, step))
        return not _stop.is_set()

    return job.index, _train_and_score(job, settings, tick)


def _run_in_pool(jobs: list[_Job], settings: RaceSettings, progress: _Progress, workers: int) -> dict[int, tuple]:
    context = _pool_context()
    reports, stop = context.Queue(), context.Event()
    outcomes: dict[int, tuple] = {}
    longest_first = sorted(jobs, key=lambda job: -progress.cost[job.index])  # the long lags start first
    with ProcessPoolExecutor(workers, mp_context=context, initializer=_start_worker,
                             initargs=(reports, stop)) as pool:
        with _workers_skip_main():  # workers start as jobs are submitted
            pending = {pool.submit(_pool_job, job, settings) for job in longest_first}
        try:
            while pending:
                done, pending = wait(pending, timeout=TICK_S, return_when=FIRST_COMPLETED)
                _drain(reports, progress)
                for future in done:
                    index, outcome = future.result()
                    if outcome is not None:
                        outcomes[index] = outcome
                        progress.step(index, settings.training.steps, finished=True)
                if progress.stop and not stop.is_set():
                    stop.set()
                    for future in pending:
                        future.cancel()
        finally:  # stopped from outside too (Ctrl-C, a rerun of the page): workers quit at their next step
            stop.set()
            for future in pending:
                future.cancel()
    return outcomes


@contextmanager
def _workers_skip_main():
    """While workers start: a `__main__` known only by its file (a script, streamlit's app.py) gets the
    spec name `__main__`, which multiprocessing's children skip instead of re-running the file."""
    main = sys.modules.get("__main__")
    if main is None or getattr(main, "__spec__", None) is not None or not getattr(main, "__file__", None):
        yield
        return
    main.__spec__ = ModuleSpec("__main__", None)
    try:
        yield
    finally:
        main.__spec__ = None


def _pool_context():
    if "forkserver" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["torch", "pandas"])
        return context
    return multiprocessing.get_context("spawn")


def _drain(reports, progress: _Progress) -> None:
    while True:
        try:
            index, step = reports.get_nowait()
        except queue.Empty:
            return
        progress.step(index, step)


def race_summary(result: RaceResult) -> str:
    """The accuracy table as fixed-width text, cells x lags, in percent."""
    table = result.accuracy_table()
    table.index = [cells.get(c).label for c in table.index]
    table.columns = [f"lag {lag}" for lag in table.columns]
    return (table * 100).to_string(float_format=lambda v: f"{v:.1f}%")


RACE_FILES = ("results.csv", "networks.csv", "lane.csv", "traces.csv", "settings.json")


def write_race(result: RaceResult, out) -> list:
    """Write a race's tables into folder `out` (created): results.csv (cell,lag,accuracy), networks.csv,
    lane.csv and traces.csv (the traced lag's probes) and settings.json. Each file is written whole, then renamed."""
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    settings = {**result.info.get("settings", asdict(result.settings)), "traced_lag": result.settings.traced_lag,
                "workers": result.workers, "seconds": round(result.seconds, 2), "stopped": result.stopped}
    writers = {
        "results.csv": lambda path: result.results.to_csv(path, index=False, float_format="%.4f"),
        "networks.csv": lambda path: result.networks.to_csv(path, index=False),
        "lane.csv": lambda path: result.lane.to_csv(path, index=False, float_format="%.6g"),
        "traces.csv": lambda path: result.traces.to_csv(path, index=False, float_format="%.6g"),
        "settings.json": lambda path: Path(path).write_text(json.dumps(settings, indent=2) + "\n"),
    }
    written = []
    for name in RACE_FILES:
        tmp = folder / f".{name}.tmp"
        writers[name](tmp)
        os.replace(tmp, folder / name)
        written.append(folder / name)
    return written
