"""Step 5: look inside a trained run. The series is traced once per run and series (per session),
in chunks, into a summary that holds what the views need (inspect/summary.py), so memory stays
bounded at any length. Every view is a fragment, so its controls redraw only that view and never
retrain or re-trace."""
from __future__ import annotations

from collections import OrderedDict
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import streamlit as st

from .. import cells
from ..data.series import LoadedSeries
from ..errors import UserError
from ..inspect import fold as F
from ..runs import Run, data_key
from ..seasonality import phase_label
from . import charts
from .render import show_chart
from .text import cell_label
from .state import RunView, memo, open_run

if TYPE_CHECKING:  # torch and the trace engine load when a run is first inspected
    from ..inspect.summary import LookInside

SUMMARIES_KEPT = 2  # look-inside summaries per session: at 1M points one holds a few hundred MB

VIEWS = ("Cell state", "Gates by season", "Gates over time", "Saturation", "One step")
HOW_TO_READ = {
    "Cell state": "Top: the series; below: the memory of the units that move most. Drag across the series "
                  "to zoom both.\nA unit whose state climbs and falls with the season is tracking it; one that "
                  "drifts slowly is tracking the level.",
    "Gates by season": "Each cell of the heatmap is the gate's mean at one phase of one cycle: near 1 the unit keeps "
                       "its memory, near 0 it forgets.\nVertical stripes mean the gate follows the season; a pattern "
                       "that changes down the rows means it drifts from cycle to cycle.",
    "Gates over time": "Every unit (rows) of every gate over the whole series (time bins across), 0 closed to 1 open."
                       "\nLong bright runs are units holding information; flicker is a unit reacting step by step.",
    "Saturation": "Each point is one gate of one unit: how often it is almost shut (< 0.1, x) or almost fully open "
                  "(> 0.9, y).\nPoints near the corners act like switches; points near the origin work in the "
                  "soft middle (Karpathy et al. 2015).",
    "One step": "The textbook equations, with this network's numbers at one step: each row is a vector over the units."
                "\nRead it top to bottom: the gates decide how much of the old memory and of the new candidate make "
                "the new state.",
}


def show_inside(loaded: LoadedSeries, runs: dict[str, RunView]) -> None:
    st.header("5. Look inside")
    if not runs:
        st.info("Train a model to look inside it: its gates and states are traced from the trained weights.")
        return
    ids = list(runs)
    selected = st.session_state.get("training", {}).get("selected") or []
    default = selected[0] if selected else None
    c1, c2 = st.columns([4, 1])
    run_id = c1.selectbox("Run", ids, index=ids.index(default) if default in ids else len(ids) - 1,
                          format_func=lambda k: runs[k].label, key="inside_run")
    try:
        run = open_run(runs[run_id])  # the model loads here, only for the run looked at
    except UserError as exc:
        st.error(f"**Cannot open this run.** {exc}")
        return
    layer = c2.selectbox("Layer", list(range(run.config.layers)), key="inside_layer")
    default = None if "inside_view" in st.session_state else VIEWS[0]  # the Learn page's links set it first
    view = st.segmented_control("View", VIEWS, default=default, key="inside_view") or VIEWS[0]
    try:
        summary = _summary(run, loaded)
    except UserError as exc:
        st.error(f"**Cannot trace this run on this data.** {exc}")
        return
    st.caption(_describe(run, summary))
    with st.expander("How to read this", expanded=True):
        st.markdown(HOW_TO_READ[view].replace("\n", "  \n"))
    if view == "Cell state":
        _view_states(loaded, run, summary, layer)
    elif view == "Gates by season":
        _view_season(loaded, run, summary, layer)
    elif view == "Gates over time":
        _view_gates(loaded, run, summary, layer)
    elif view == "Saturation":
        _view_saturation(loaded, run, summary, layer)
    else:
        _view_step(loaded, run, summary, layer)


def _summary(run: Run, loaded: LoadedSeries) -> LookInside:
    """The run's look-inside summary over `loaded`: traced once, kept for the last SUMMARIES_KEPT runs and data."""
    from ..inspect.summary import look_inside

    store: OrderedDict = st.session_state.setdefault("_look_inside", OrderedDict())
    key = (run.run_id, data_key(loaded))
    if key not in store:
        with st.spinner("Tracing every gate of every step…"):
            store[key] = look_inside(run, loaded)
        while len(store) > SUMMARIES_KEPT:
            store.popitem(last=False)
    store.move_to_end(key)
    return store[key]


def _key(run: Run, loaded: LoadedSeries, *parts) -> tuple:
    """A memo or chart key: the run, the data and whatever else the result depends on."""
    return (run.run_id, data_key(loaded), *parts)


def _describe(run: Run, summary: LookInside) -> str:
    c = run.config
    dirs = " (units ≥ %d read backwards)" % c.hidden if c.bidirectional else ""
    return (f"{cell_label(c.cell)}, {c.layers} layer(s) × {c.hidden} units{dirs}: traced over the whole series "
            f"({summary.n_steps:,} steps) as one sequence from a zero state. Each forecast reads only the last "
            f"{c.lookback} steps, also from a zero state, so the first steps here look like a window's start.")


@st.fragment
def _view_states(loaded: LoadedSeries, run: Run, summary: LookInside, layer: int) -> None:
    quantity = summary.state_quantity
    if quantity == "hidden":
        st.caption(f"A {cell_label(run.config.cell)} has no separate cell state: its hidden state is its memory.")
    c1, c2 = st.columns(2)
    by = c1.radio("Pick units by", ("variance", "seasonality"), horizontal=True, key="traj_by")
    k = c2.slider("Units", 1, min(8, summary.n_units), min(4, summary.n_units), key="traj_k")
    show_chart(("traj", *_key(run, loaded, layer, by, k)),
               lambda: _trajectories_chart(summary, layer, by, k, quantity))


def _trajectories_chart(summary: LookInside, layer: int, by: str, k: int, quantity: str):
    units = summary.top_units(layer=layer, k=k, by=by, quantity=quantity)
    traj, note = summary.binned(layer=layer, quantities=[quantity], units=units, max_rows=4000)
    return charts.plot_trajectories(summary.series_binned(max_rows=1000), traj, note=note)


@st.fragment
def _view_season(loaded: LoadedSeries, run: Run, summary: LookInside, layer: int) -> None:
    gate = F.keep_gate(run.config.cell)
    if gate is None:
        st.warning(F.keep_gate_label("rnn") + ". There is nothing to fold; the other views show its hidden state.")
        return
    label = F.keep_gate_label(run.config.cell)
    period = run.config.period
    if period <= 1:
        st.warning("This run has no season (period 1), so there is nothing to fold by phase. "
                   "Set a season length in the configuration and train again.")
        return
    scores = memo(("scores", *_key(run, loaded, layer)), lambda: summary.seasonality_scores(layer=layer))
    options = [F.LAYER_MEAN] + scores["unit"].tolist()
    unit = st.selectbox("Unit", options, index=1 if len(options) > 1 else 0, key="season_unit",
                        format_func=lambda u: "mean over the layer's units" if u == F.LAYER_MEAN
                        else f"unit {u} (seasonality {scores.set_index('unit').loc[u, 'score']:.0%})")
    plabel = phase_label(run.info.get("freq"), period)
    key = _key(run, loaded, layer, unit)
    note = summary.keep_note
    show_chart(("heat", *key), lambda: charts.plot_phase_cycle_heatmap(
        summary.fold_by_cycle(layer=layer, unit=None if unit == F.LAYER_MEAN else unit),
        gate_label=label, phase_label=plabel, note=note))
    show_chart(("profile", *key), lambda: charts.plot_phase_profile(
        _unit_rows(_by_phase(run, loaded, summary, layer), unit), summary.series_profile,
        gate_label=label, phase_label=plabel,
        note="mean and interquartile range over cycles" + (f"; {note}" if note else "")))
    show_chart(("scores", *key), lambda: charts.plot_seasonality_scores(scores, k=10))


def _unit_rows(frame: pd.DataFrame, unit: int) -> pd.DataFrame:
    return frame[frame["unit"] == unit]


def _by_phase(run: Run, loaded: LoadedSeries, summary: LookInside, layer: int) -> pd.DataFrame:
    return memo(("by_phase", *_key(run, loaded, layer)), lambda: summary.fold_by_phase(layer=layer))


@st.fragment
def _view_gates(loaded: LoadedSeries, run: Run, summary: LookInside, layer: int) -> None:
    gates = list(F.SIGMOID_GATES[summary.cell])
    signed = [q for q in summary.quantities if q not in gates]
    if gates:
        show_chart(("gates", *_key(run, loaded, layer)),
                   lambda: _heatmap(charts.plot_gate_heatmaps, summary, layer, gates))
    else:
        st.warning(F.keep_gate_label("rnn") + "; below is its hidden state over time instead.")
    shown = st.multiselect("Signed quantities", signed, default=signed[-1:], key="signed_q",
                           help="The candidate and the states range over negative and positive values.")
    if shown:
        show_chart(("states", *_key(run, loaded, layer, tuple(shown))),
                   lambda: _heatmap(charts.plot_state_heatmap, summary, layer, shown))


def _heatmap(plot, summary: LookInside, layer: int, quantities: list[str]):
    """A time x unit heatmap of some quantities, binned in time to stay under 5,000 rows."""
    frame, note = summary.binned(layer=layer, quantities=quantities, max_rows=5000)
    return plot(frame, note=note)


@st.fragment
def _view_saturation(loaded: LoadedSeries, run: Run, summary: LookInside, layer: int) -> None:
    if not F.SIGMOID_GATES[summary.cell]:
        st.warning(F.keep_gate_label("rnn") + ", so nothing can saturate.")
        return
    show_chart(("saturation", *_key(run, loaded, layer)),
               lambda: charts.plot_saturation(summary.saturation(layer=layer)))


@st.fragment
def _view_step(loaded: LoadedSeries, run: Run, summary: LookInside, layer: int) -> None:
    step = st.slider("Step", 1, summary.n_steps - 1, summary.n_steps - 1, key="walk_step",
                     help="The step whose update to show. Its time stamp appears below.")
    inputs = ", ".join(run.feature_names) if layer == 0 else f"the {summary.n_units} outputs of layer {layer - 1}"
    st.caption(f"Step {step} · {summary.index[step]} · layer {layer}, forward direction · "
               f"x_t's entries are the layer's inputs ({inputs}); every other row has one entry per unit")
    show_chart(("walk", *_key(run, loaded, layer, step)),
               lambda: charts.plot_walkthrough(_walk_rows(summary, step, layer), cell=run.config.cell))
    st.markdown(cells.get(run.config.cell).equations)


def _walk_rows(summary: LookInside, step: int, layer: int) -> pd.DataFrame:
    parts = summary.walkthrough(step, layer=layer)
    return pd.concat([pd.DataFrame({"quantity": name, "unit": np.arange(len(v)), "value": np.asarray(v, dtype=float)})
                      for name, v in parts.items()], ignore_index=True)
