"""Learn, section 1: the LSTM cell drawn from a trained run's own numbers, one unit at one step.

The step is one of the window the run's forecast past the end of the series read (exactly the
inputs the network saw). The numbers are the float64 walkthrough (inspect.traces.walkthrough),
the equations are the registry's, and each part links to the look-inside view that shows it over
the whole series.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import streamlit as st

from .. import cells
from ..errors import UserError
from ..pipeline import prepared_for
from ..prepare import windows
from ..runs import Run, data_key
from . import learn_charts as charts
from .learn_runs import has_cell_state, pick_run, run_series
from .render import show_chart
from .state import RunView, memo, open_run
from .text import escape_markdown

if TYPE_CHECKING:
    import torch

VIEW_LINKS = (  # (what it shows, the look-inside view on the forecasting page)
    ("the conveyor belt c over the whole series", "Cell state"),
    ("the forget gate, folded by season", "Gates by season"),
    ("every gate of every unit over time", "Gates over time"),
    ("what each gate's sum W x + U h + b is made of", "Gate drivers"),
    ("how many steps each unit keeps what it holds", "Memory"),
    ("how often each gate is shut or wide open", "Saturation"),
    ("these numbers for every unit at once", "One step"),
)
ROLES = ("**σ (sigmoid)** squashes any number into (0, 1): a gate is a dial, 0 shut, 1 open, and it "
         "*multiplies*. **tanh** squashes into (−1, 1): the candidate g and the shown memory tanh(c) are "
         "*signed values*. Hover a box for its role.")


@st.fragment
def show_cell(views: list[RunView]) -> None:
    st.header("1. The cell, with a trained run's numbers")
    view = pick_run(views, key="learn_run", keep=has_cell_state,
                    help="Runs of the LSTM family (a cell state to draw): this session's and the runs folder's.")
    if view is None:
        others = len(views)
        st.info("Train an LSTM on the forecasting page (or `python -m lstm_forecast train ... --model lstm`) and this "
                "diagram fills with its numbers." + (f" The {others} run(s) there have no cell state." if others else ""))
        _equations(cells.get("lstm"))
        return
    try:
        run = open_run(view)
        loaded = run_series(view, run)
        x, index = memo(("learn_window", view.run_id, data_key(loaded)), lambda: _last_window(run, loaded))
    except UserError as exc:
        st.warning(escape_markdown(exc))
        return
    cell = cells.get(run.config.cell)
    c1, c2 = st.columns(2)
    layer = c1.selectbox("Layer", list(range(run.config.layers)), key="learn_layer") if run.config.layers > 1 else 0
    if run.config.layers == 1:  # no layer to choose: the unit takes the first column
        c1, c2 = c2, c1
    trace = memo(("learn_trace", view.run_id, data_key(loaded)), lambda: _trace(run, x, index))
    size = run.config.hidden
    memory = trace.get("cell", layer)[:, :size]  # (L, H) forward direction
    busiest = int((memory.max(axis=0) - memory.min(axis=0)).argmax())
    unit = c2.selectbox("Unit", list(range(size)), index=busiest, key=f"learn_unit::{view.run_id}::{layer}",
                        format_func=lambda u: f"unit {u}" + (" (its memory moves most in this window)"
                                                             if u == busiest else ""))
    L = len(index)
    step = st.slider("Step in the window", 1, L, L, key=f"learn_step::{view.run_id}",
                     help=f"The {L} steps the run's last forecast read, oldest first; step {L} is the last one, "
                          "from which the forecast is made.")
    values = _walk(run, x, trace, step - 1, layer, unit)
    x_text = _inputs_text(run, values.pop("x_vector"), layer)
    coupled = cell.symbols["input"] not in cell.gate_rows  # no weights of its own: i = 1 - f
    peephole = cells.weights(run.inside_rnn(), layer, 0).peephole is not None
    when = _when(index[step - 1])
    show_chart(("learn_diagram", view.run_id, data_key(loaded), layer, unit, step),
               lambda: charts.plot_cell_diagram(
                   *charts.diagram_frames(values, coupled=coupled, peephole=peephole, x_text=x_text),
                   title=f"{cell.label} cell, unit {unit} of layer {layer + 1}, at step {step} of {L}",
                   note=f"{when} · the numbers this run computed there (hover a part for its role)"))
    st.caption(ROLES)
    _equations(cell)
    _view_links(view)


def _when(stamp) -> str:
    """A time stamp as people write it: the date alone at midnight."""
    if isinstance(stamp, pd.Timestamp):
        return str(stamp.date()) if stamp == stamp.normalize() else str(stamp)
    return f"position {stamp}"


def _equations(cell: cells.Cell) -> None:
    with st.expander(f"The {cell.label}'s equations (PyTorch's, with both biases)", expanded=False):
        st.markdown(cell.equations)


def _view_links(view: RunView) -> None:
    """Buttons that open the forecasting page on the look-inside view showing a part over the whole series."""
    from .inside_step import VIEWS  # deferred: ui/inside_step.py imports torch

    st.markdown("**See it on the whole series** (opens the forecasting page, *5. Look inside*; load this run's "
                "data there if it is not open):")
    columns = st.columns(len(VIEW_LINKS))
    for column, (what, target) in zip(columns, VIEW_LINKS):
        if target not in VIEWS:  # the view was renamed: no dead link
            continue
        if column.button(f"{target} ↗", key=f"learn_link::{target}", help=what):
            st.session_state["inside_view"] = target  # the look-inside view control's key (ui/inside_step.py)
            st.switch_page("app.py")


def _last_window(run: Run, loaded) -> tuple[torch.Tensor, pd.Index]:
    """The inputs (L, F) of the window the run's forecast past the end read, exactly as the network saw them,
    and their time stamps."""
    prep = prepared_for(run, loaded)
    origin = prep.n - 1
    window = windows(prep, np.array([origin]), run.config)
    L = run.config.lookback
    return window.inputs([0])[0], prep.index[origin - L + 1: origin + 1]


def _trace(run: Run, x, index):
    from ..inspect.traces import compute_trace  # deferred: inspect/traces.py imports torch

    return compute_trace(run.inside_rnn(), x, index)


def _walk(run: Run, x, trace, step: int, layer: int, unit: int) -> dict[str, float]:
    """One unit's walkthrough rows at one step (float64), plus the layer's whole input vector."""
    from ..inspect.traces import walkthrough  # deferred: inspect/traces.py imports torch

    parts = walkthrough(run.inside_rnn(), x, step, layer=layer, trace=trace)
    values = {row: float(np.asarray(v)[unit]) for row, v in parts.items() if row != "x_t"}
    values["x_vector"] = np.asarray(parts["x_t"], dtype=float)
    return values


def _inputs_text(run: Run, x: np.ndarray, layer: int) -> str:
    """The input vector, named, on at most three lines."""
    names = run.feature_names if layer == 0 else [f"unit {u} below" for u in range(len(x))]
    lines = [f"{name} {value:+.2f}" for name, value in zip(names, x)]
    return "\n".join(lines[:3] + ([f"and {len(lines) - 3} more"] if len(lines) > 3 else []))
