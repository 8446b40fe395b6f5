"""The Learn page's runs: the chooser every section shares, and the series a run was trained on."""
from __future__ import annotations

import streamlit as st

from .. import cells
from ..data.series import LoadedSeries
from ..errors import UserError
from ..pipeline import training_data
from ..runs import Run, data_key
from .state import RunView

CURRENT_DATA = "current_data"  # session key: app.py puts the forecasting page's data here on every run


def run_label(view: RunView) -> str:
    where = "" if view.where == "this session" else " (saved)"
    return f"{view.label}{where}"


def pick_run(views: list[RunView], *, key: str, label: str = "Run", help: str | None = None,
             keep=lambda view: True, where=None) -> RunView | None:
    """A run chooser over the views `keep` accepts, newest first; None when there are none."""
    chosen = [v for v in reversed(views) if keep(v)]
    if not chosen:
        return None
    ids = [v.run_id for v in chosen]
    by_id = {v.run_id: v for v in chosen}
    run_id = (where or st).selectbox(label, ids, format_func=lambda k: run_label(by_id[k]), key=key, help=help)
    return by_id.get(run_id, chosen[0])


def run_series(view: RunView, run: Run) -> LoadedSeries:
    """The series `run` was trained on: the forecasting page's data when it is that data, else the
    data reloaded from where the run says it came from (a bundled sample, a CSV, a ticker)."""
    current = st.session_state.get(CURRENT_DATA)
    if current is not None and data_key(current) == view.data_key:
        return current
    try:
        loaded = training_data(run)
    except UserError as exc:
        raise UserError(f"the data this run was trained on ({run.info.get('source') or 'unknown'}) is not open here "
                        f"and cannot be reopened ({exc}); load it on the forecasting page (or pick another run) "
                        "and come back") from None
    if data_key(loaded) != view.data_key:
        raise UserError(f"the data this run was trained on ({run.info.get('source') or 'unknown'}) reopens with other "
                        "values than it was trained on; load it on the forecasting page (or pick another run)")
    return loaded


def has_cell_state(view: RunView) -> bool:
    """True for the LSTM family: cells whose registry quantities include a cell state."""
    return "cell" in cells.get(view.config.cell).quantities
