"""Step 5: look inside a trained run. Traces are computed once per run and series (per session);
every view is a fragment, so its controls redraw only that view and never retrain or re-trace."""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import streamlit as st

from .. import cells
from ..data.series import LoadedSeries
from ..errors import UserError
from ..inspect import fold as F
from ..runs import Run, data_key
from ..seasonality import phase_and_cycle, phase_label, seasonal_profile
from . import charts
from .render import show_chart
from .text import cell_label
from .state import RunView, memo, open_run

if TYPE_CHECKING:  # torch and the trace engine load when a run is first inspected
    import torch

    from ..inspect.traces import Trace

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
    from ..inspect.run_traces import trace_series

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
        trace = memo(("trace", run_id, data_key(loaded)), lambda: trace_series(run, loaded))
    except UserError as exc:
        st.error(f"**Cannot trace this run on this data.** {exc}")
        return
    phase, cycle = memo(("phase", run_id, data_key(loaded)), lambda: phase_and_cycle(trace.index, run.config.period, anchor=run.transform.anchor))
    st.caption(_describe(run, trace))
    with st.expander("How to read this", expanded=True):
        st.markdown(HOW_TO_READ[view].replace("\n", "  \n"))
    if view == "Cell state":
        _view_states(loaded, run, trace, layer, phase)
    elif view == "Gates by season":
        _view_season(loaded, run, trace, layer, phase, cycle)
    elif view == "Gates over time":
        _view_gates(run, trace, layer)
    elif view == "Saturation":
        _view_saturation(run, trace, layer)
    else:
        _view_step(loaded, run, trace, layer)


def _describe(run: Run, trace: Trace) -> str:
    c = run.config
    dirs = " (units ≥ %d read backwards)" % c.hidden if c.bidirectional else ""
    return (f"{cell_label(c.cell)}, {c.layers} layer(s) × {c.hidden} units{dirs}: traced over the whole series "
            f"({trace.n_steps:,} steps) as one sequence from a zero state. Each forecast reads only the last "
            f"{c.lookback} steps, also from a zero state, so the first steps here look like a window's start.")


@st.fragment
def _view_states(loaded: LoadedSeries, run: Run, trace: Trace, layer: int, phase: np.ndarray) -> None:
    quantity = "cell" if "cell" in trace.quantities else "hidden"
    if quantity == "hidden":
        st.caption(f"A {cell_label(run.config.cell)} has no separate cell state: its hidden state is its memory.")
    c1, c2 = st.columns(2)
    by = c1.radio("Pick units by", ("variance", "seasonality"), horizontal=True, key="traj_by")
    k = c2.slider("Units", 1, min(8, trace.n_units), min(4, trace.n_units), key="traj_k")
    show_chart(("traj", run.run_id, data_key(loaded), layer, by, k),
               lambda: _trajectories_chart(loaded, run, trace, layer, phase, by, k, quantity))


def _trajectories_chart(loaded, run, trace, layer, phase, by, k, quantity):
    units = F.top_units(trace, layer=layer, k=k, by=by, quantity=quantity, phase=phase)
    traj = F.trajectories(trace, units, layer=layer, quantities=(quantity,))
    traj, note = F.downsample(traj, max_rows=4000, time_col="step")
    series = pd.DataFrame({"timestamp": trace.index, "value": _series_values(loaded, run, trace), "step": np.arange(trace.n_steps)})
    series, _ = F.downsample(series, max_rows=1000, time_col="step", group_cols=[])
    return charts.plot_trajectories(series, traj, note=note)


@st.fragment
def _view_season(loaded: LoadedSeries, run: Run, trace: Trace, layer: int, phase: np.ndarray, cycle: np.ndarray) -> None:
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
    scores = memo(("scores", run.run_id, layer), lambda: F.seasonality_scores(trace, phase, layer=layer))
    options = [F.LAYER_MEAN] + scores["unit"].tolist()
    unit = st.selectbox("Unit", options, index=1 if len(options) > 1 else 0, key="season_unit",
                        format_func=lambda u: "mean over the layer's units" if u == F.LAYER_MEAN
                        else f"unit {u} (seasonality {scores.set_index('unit').loc[u, 'score']:.0%})")
    plabel = phase_label(run.info.get("freq"), period)
    key = (run.run_id, data_key(loaded), layer, unit)
    show_chart(("heat", *key), lambda: charts.plot_phase_cycle_heatmap(
        F.fold_by_cycle(trace, phase, cycle, layer=layer, unit=None if unit == F.LAYER_MEAN else unit),
        gate_label=label, phase_label=plabel))
    show_chart(("profile", *key), lambda: charts.plot_phase_profile(
        _unit_rows(_by_phase(run, trace, layer, phase, cycle), unit),
        seasonal_profile(_series_values(loaded, run, trace), phase),
        gate_label=label, phase_label=plabel, note="mean and interquartile range over cycles"))
    show_chart(("scores", *key), lambda: charts.plot_seasonality_scores(scores, k=10))


def _unit_rows(frame: pd.DataFrame, unit: int) -> pd.DataFrame:
    return frame[frame["unit"] == unit]


def _by_phase(run: Run, trace: Trace, layer: int, phase: np.ndarray, cycle: np.ndarray) -> pd.DataFrame:
    return memo(("by_phase", run.run_id, layer), lambda: F.fold_by_phase(trace, phase, layer=layer, cycle=cycle))


@st.fragment
def _view_gates(run: Run, trace: Trace, layer: int) -> None:
    gates = list(F.SIGMOID_GATES[trace.cell])
    signed = [q for q in trace.quantities if q not in gates]
    if gates:
        show_chart(("gates", run.run_id, layer), lambda: _heatmap(charts.plot_gate_heatmaps, trace, layer, gates))
    else:
        st.warning(F.keep_gate_label("rnn") + "; below is its hidden state over time instead.")
    shown = st.multiselect("Signed quantities", signed, default=signed[-1:], key="signed_q",
                           help="The candidate and the states range over negative and positive values.")
    if shown:
        show_chart(("states", run.run_id, layer, tuple(shown)),
                   lambda: _heatmap(charts.plot_state_heatmap, trace, layer, shown))


def _heatmap(plot, trace: Trace, layer: int, quantities: list[str]):
    """A time x unit heatmap of some quantities, binned in time to stay under 5,000 rows."""
    frame = trace.to_frame(layer=layer, quantities=quantities)
    frame, note = F.downsample(frame, max_rows=5000, time_col="step")
    return plot(frame, note=note)


@st.fragment
def _view_saturation(run: Run, trace: Trace, layer: int) -> None:
    if not F.SIGMOID_GATES[trace.cell]:
        st.warning(F.keep_gate_label("rnn") + ", so nothing can saturate.")
        return
    show_chart(("saturation", run.run_id, layer), lambda: charts.plot_saturation(F.saturation(trace, layer=layer)))


@st.fragment
def _view_step(loaded: LoadedSeries, run: Run, trace: Trace, layer: int) -> None:
    step = st.slider("Step", 1, trace.n_steps - 1, trace.n_steps - 1, key="walk_step",
                     help="The step whose update to show. Its time stamp appears below.")
    import torch

    from ..inspect.run_traces import prepared_for

    x = memo(("features", run.run_id, data_key(loaded)), lambda: torch.from_numpy(prepared_for(run, loaded).features))
    inputs = ", ".join(run.feature_names) if layer == 0 else f"the {trace.n_units} outputs of layer {layer - 1}"
    st.caption(f"Step {step} · {trace.index[step]} · layer {layer}, forward direction · "
               f"x_t's entries are the layer's inputs ({inputs}); every other row has one entry per unit")
    show_chart(("walk", run.run_id, data_key(loaded), layer, step),
               lambda: charts.plot_walkthrough(_walk_rows(run, x, trace, step, layer), cell=run.config.cell))
    st.markdown(cells.get(run.config.cell).equations)


def _walk_rows(run: Run, x: torch.Tensor, trace: Trace, step: int, layer: int) -> pd.DataFrame:
    from ..inspect.traces import walkthrough

    parts = walkthrough(run.model.rnn, x, step, layer=layer, trace=trace)
    return pd.concat([pd.DataFrame({"quantity": name, "unit": np.arange(len(v)), "value": np.asarray(v, dtype=float)})
                      for name, v in parts.items()], ignore_index=True)


def _series_values(loaded: LoadedSeries, run: Run, trace: Trace) -> np.ndarray:
    """The original series aligned to the traced steps (one fewer when the run differences)."""
    values = loaded.frame[run.config.value_col].to_numpy(dtype=float)
    return values[len(values) - trace.n_steps:]
