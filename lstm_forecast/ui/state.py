"""Per-session state: this session's runs, runs found on disk, and a small memo for derived data.

Runs belong to the session that trained them (st.session_state), never to a cache shared across
users; other sessions see them only through the runs directory, which every session lists.
"""
from __future__ import annotations

import os
import tomllib
from collections import OrderedDict
from functools import cache
from pathlib import Path
from typing import Any, Callable

import streamlit as st

from ..pipeline import Run
from ..runs import list_runs, load_run
from ..errors import UserError

MEMO_SIZE = 64


def runs_dir() -> Path:
    return Path(os.environ.get("LSTM_FORECAST_RUNS", "runs"))


@cache
def help_texts() -> dict[str, dict[str, str]]:
    with open(Path(__file__).with_name("help.toml"), "rb") as fh:
        return tomllib.load(fh)


def help_text(section: str, key: str) -> str:
    return help_texts()[section][key]


def session_runs() -> dict[str, Run]:
    """run_id -> Run, in training order."""
    return st.session_state.setdefault("runs", {})


def disk_runs() -> dict[str, Run]:
    """Runs saved in the runs directory (by any session), loaded once per folder and mtime."""
    found: dict[str, Run] = {}
    for folder in list_runs(runs_dir()):
        key = ("disk", str(folder), folder.stat().st_mtime)
        try:
            run = memo(key, lambda f=folder: load_run(f))
        except (UserError, OSError):
            continue  # a folder another session is still writing, or a broken or foreign one: skip it
        found[run.run_id] = run
    return found


def all_runs() -> dict[str, Run]:
    """This session's runs first, then saved ones it does not hold already."""
    mine = session_runs()
    return {**mine, **{k: v for k, v in disk_runs().items() if k not in mine}}


def memo(key: Any, compute: Callable[[], Any]) -> Any:
    """A tiny per-session LRU cache for derived data (traces, folds): never shared across users."""
    store: OrderedDict = st.session_state.setdefault("_memo", OrderedDict())
    if key in store:
        store.move_to_end(key)
        return store[key]
    value = compute()
    store[key] = value
    while len(store) > MEMO_SIZE:
        store.popitem(last=False)
    return value
