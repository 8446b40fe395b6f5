"""The Learn page (pages/1_Learn.py): why LSTMs exist, shown on live values rather than told.

1. The cell, drawn from a trained run's own numbers at a chosen step, linked to the views that
   show each part on the whole series.
2. A gate playground: one unit whose gates the user sets by hand, then a trained run's real gates.
3. The long-memory race: every cell against the lag, and the memory lane of one lag.
4. Vanishing gradients, measured.

Runs come from this session and the runs folder (ui.state); heavy work runs only behind a button.
"""
from __future__ import annotations

import streamlit as st

from .. import cells
from ..data.series import LoadedSeries
from ..errors import UserError
from ..runs import Run, data_key
from .state import RunView, all_runs

CURRENT_DATA = "current_data"  # session key: app.py puts the forecasting page's data here on every run

INTRO = (
    "An LSTM cell keeps a separate memory, the **cell state** c, that runs from step to step like a conveyor "
    "belt: each step only multiplies it by the **forget gate** and adds what the **input gate** lets in. The "
    "**output gate** decides how much of it to show. A vanilla RNN has no such belt: every step rewrites its "
    "whole state, so what it saw fades within a few steps, and so does the gradient that would teach it to "
    "remember. Below, each of these claims happens in front of you."
)


def show_learn_page() -> None:
    from .learn_cell import show_cell
    from .learn_playground import show_playground
    from .learn_race import show_gradients, show_race

    from .render import show_pages

    st.title("Learn: why LSTMs exist")
    show_pages()
    st.markdown(INTRO)
    views, _ = all_runs()
    show_cell(views)  # 1. the cell, live
    show_playground(views)  # 2. the gates by hand, then a trained run's
    show_race()  # 3. the long-memory race
    show_gradients(views)  # 4. vanishing gradients, measured


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
    from ..pipeline import training_data

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
