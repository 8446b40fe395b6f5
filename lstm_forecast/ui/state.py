"""Per-session state: this session's runs, the runs index, a model cache and a small memo for derived data.

Runs belong to the session that trained them (st.session_state), never to a cache shared across
users; other sessions see them only through the runs directory. That directory is listed as a
light index (config.json and metrics.json only, re-read only when a folder's manifest changes); a
model is loaded only when its run is opened, into a cache of its own, apart from the chart memo,
so that many saved runs never flood the memo that holds traces and chart specs.
"""
from __future__ import annotations

import os
import tomllib
from collections import OrderedDict
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Callable

import pandas as pd
import streamlit as st

from ..config import Config
from ..errors import UserError
from ..runs import Run, RunEntry, load_run, read_entry, read_forecasts

MEMO_SIZE = 64  # traces, folds and chart specs
MODEL_CACHE_SIZE = 6  # opened runs (models) per session


UPLOADED = "uploaded_bytes"  # session key: {sha256: bytes} of the CSV uploaded now, stored with a run at save
UPLOADS_FOLDER = ".data"  # under the runs folder: uploads by SHA-256, so a saved run reopens its data anywhere


def runs_dir() -> Path:
    return Path(os.environ.get("LSTM_FORECAST_RUNS", "runs"))


@cache
def help_texts() -> dict[str, dict[str, str]]:
    with open(Path(__file__).with_name("help.toml"), "rb") as fh:
        return tomllib.load(fh)


def help_text(section: str, key: str) -> str:
    return help_texts()[section][key]


def session_runs() -> dict[str, Run]:
    """run_id -> Run trained in this session, in training order."""
    return st.session_state.setdefault("runs", {})


@dataclass
class RunView:
    """What the comparison needs of a run, from this session (a Run) or the runs folder (an index entry)."""

    run_id: str
    label: str
    config: Config
    metrics: dict
    info: dict
    where: str  # "this session" | "runs folder"
    folder: Path | None = None
    run: Run | None = None  # set for this session's runs; others load on `open_run`

    @property
    def data_key(self) -> str:
        return self.info.get("data_key", "")


def run_index() -> tuple[list[RunView], list[RunEntry]]:
    """Good runs of the runs folder as views, and the broken folders (with reasons).

    Each folder's entry is re-read only when its manifest's mtime changes.
    """
    root = runs_dir()
    cached: dict = st.session_state.setdefault("_index", {})
    good, broken, seen = [], [], set()
    names = sorted(os.listdir(root)) if root.is_dir() else []
    for name in names:
        if name.startswith("."):
            continue
        folder = root / name
        seen.add(name)
        try:
            stamp = os.lstat(folder / "manifest.json").st_mtime_ns
        except OSError:
            stamp = None
        hit = cached.get(name)
        if hit is None or hit[0] != stamp or stamp is None:
            hit = (stamp, read_entry(folder, root=root))
            cached[name] = hit
        entry = hit[1]
        if not entry.ok:
            broken.append(entry)
            continue
        try:
            config = Config.from_dict(entry.config)
        except UserError:
            continue
        good.append(RunView(entry.run_id, entry.label, config, entry.metrics, entry.info, "runs folder", folder))
    for name in set(cached) - seen:
        del cached[name]
    return good, broken


def all_runs() -> tuple[list[RunView], list[RunEntry]]:
    """This session's runs, then saved ones it does not hold already; and the broken folders."""
    mine = [RunView(r.run_id, r.label, r.config, r.metrics, r.info, "this session", r.path, r)
            for r in session_runs().values()]
    held = {v.run_id for v in mine} | {str(v.folder) for v in mine if v.folder}
    saved, broken = run_index()
    return mine + [v for v in saved if v.run_id not in held and str(v.folder) not in held], broken


def open_run(view: RunView) -> Run:
    """The full run (model included): this session's at once, a saved one from a per-session LRU cache."""
    if view.run is not None:
        return view.run
    store: OrderedDict = st.session_state.setdefault("_models", OrderedDict())
    key = (str(view.folder), view.info.get("created"), view.run_id)
    if key in store:
        store.move_to_end(key)
        return store[key]
    run = load_run(view.folder, root=runs_dir())
    store[key] = run
    while len(store) > MODEL_CACHE_SIZE:
        store.popitem(last=False)
    return run


def forecast_frames(view: RunView) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A run's forecast and baselines frames: without loading its model for saved runs."""
    if view.run is not None:
        return view.run.forecast, view.run.baselines
    return memo(("frames", str(view.folder), view.run_id), lambda: read_forecasts(view.folder, root=runs_dir()))


def memo(key: Any, compute: Callable[[], Any]) -> Any:
    """A tiny per-session LRU cache for derived data (traces, folds, chart specs): never shared across users."""
    store: OrderedDict = st.session_state.setdefault("_memo", OrderedDict())
    if key in store:
        store.move_to_end(key)
        return store[key]
    value = compute()
    store[key] = value
    while len(store) > MEMO_SIZE:
        store.popitem(last=False)
    return value


LINKED_UNIT = "inside_linked_unit"  # a plain session key, not a widget's: it outlives the views not drawn


def linked_unit(label: str, options: list, *, key: str, default, where=None, **kwargs):
    """A unit chooser that starts at the unit last chosen in any Look-inside view (when it has that unit; else at
    `default`), and makes its own choice the linked one when changed. Returns the chosen option."""
    shared = st.session_state.get(LINKED_UNIT)
    if shared in options:
        st.session_state[key] = shared
    elif st.session_state.get(key) not in options:
        st.session_state[key] = default

    def remember() -> None:
        st.session_state[LINKED_UNIT] = st.session_state[key]

    return (where or st).selectbox(label, options, key=key, on_change=remember, **kwargs)
