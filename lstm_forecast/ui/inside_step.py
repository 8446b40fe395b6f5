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
    "Cell state": "Top: the series; below, on the same time axis: the memory of the units that move most.\nA unit "
                  "whose state climbs and falls with the season is tracking it; one that drifts slowly is tracking "
                  "the level.",
    "Gates by season": "Each cell of the heatmap is the gate's mean at one phase of one cycle: near 1 the unit keeps "
                       "its memory, near 0 it forgets. The colours span the values shown; switch on **fixed 0-1** to "
                       "compare with other runs.\nVertical stripes mean the gate follows the season; a pattern that "
                       "changes down the rows means it drifts from cycle to cycle. The profile below shares the "
                       "heatmap's phase axis, and the series' own season is under it.",
    "Gates over time": "Every unit (rows) of every gate (a block of rows each) over time, in bins of at most a "
                       "tenth of a season, low (closed) to high (open).\nLong bright runs are units holding "
                       "information; flicker is a unit reacting step by step; stripes that repeat are the season.",
    "Saturation": "Each point is one gate of one unit: how often it is almost shut (< 0.1, x) or almost fully open "
                  "(> 0.9, y).\nPoints near the corners act like switches; points near the origin work in the "
                  "soft middle (Karpathy et al. 2015).",
    "One step": "The textbook equations, with this network's numbers at one step: each row is a vector over the units."
                "\nRead it top to bottom: the gates decide how much of the old memory and of the new candidate make "
                "the new state.",
}
HOW_TO_READ_NO_GATES = {  # a vanilla RNN: no gate views to describe
    "Cell state": "Top: the series; below, on the same time axis: the hidden state of the units that move most, "
                  "its only memory.\nA unit that climbs and falls with the season is tracking it.",
    "Gates by season": "A vanilla RNN has no gates, so nothing here is folded by season. Its hidden state is shown "
                       "in **Cell state** and **Gates over time**.",
    "Gates over time": "A vanilla RNN has no gates: below is its hidden state, every unit (rows) over time, blue "
                       "below 0 and orange above.\nStripes that repeat are the season; long runs are held memory.",
    "Saturation": "A vanilla RNN has no gates, so nothing can saturate.",
    "One step": "The textbook equation, with this network's numbers at one step: each row is a vector over the "
                "units.\nWith no gates, every step rewrites the whole state from the input and the last state.",
}


def how_to_read(view: str, cell: str) -> str:
    """The reading guide of a view, for this cell: none describes a chart that is not drawn."""
    if not F.SIGMOID_GATES[cell]:
        return HOW_TO_READ_NO_GATES[view]
    return HOW_TO_READ[view]


def show_inside(loaded: LoadedSeries, runs: dict[str, RunView]) -> None:
    st.header("5. Look inside")
    if not runs:
        st.info("Train a model to look inside it: its gates and states are traced from the trained weights.")
        return
    from ..inspect.run_traces import trace_series

    ids = list(runs)
    _seed_run_choice(ids)
    c1, c2 = st.columns([4, 1])
    run_id = c1.selectbox("Run", ids, format_func=lambda k: runs[k].label, key="inside_run")
    try:
        run = open_run(runs[run_id])  # the model loads here, only for the run looked at
    except UserError as exc:
        st.error(f"**Cannot open this run.** {exc}")
        return
    layer = c2.selectbox("Layer", list(range(run.config.layers)), key="inside_layer",
                         format_func=lambda i: f"{i + 1} of {run.config.layers}", help="Layers count from the input.")
    view = st.segmented_control("View", VIEWS, default=VIEWS[0], key="inside_view") or VIEWS[0]
    try:
        trace = memo(("trace", run_id, data_key(loaded)), lambda: trace_series(run, loaded))
    except UserError as exc:
        st.error(f"**Cannot trace this run on this data.** {exc}")
        return
    phase, cycle = memo(("phase", run_id, data_key(loaded)), lambda: phase_and_cycle(trace.index, run.config.period, anchor=run.transform.anchor))
    st.caption(_describe(run, trace))
    with st.expander("How to read this", expanded=True):
        st.markdown(how_to_read(view, run.config.cell).replace("\n", "  \n"))
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


def _seed_run_choice(ids: list[str]) -> None:
    """The run looked at: the first one just trained after each training, else the newest; a choice
    the user made stays until the next training."""
    selected = tuple(rid for rid in st.session_state.get("training", {}).get("selected") or [] if rid in ids)
    chosen = st.session_state.get("inside_run")
    if chosen not in ids or (selected and selected != st.session_state.get("inside_run::trained")):
        st.session_state["inside_run"] = selected[0] if selected else ids[-1]
        st.session_state["inside_run::trained"] = selected


def _describe(run: Run, trace: Trace) -> str:
    c = run.config
    dirs = " (units ≥ %d read backwards)" % c.hidden if c.bidirectional else ""
    layers = f"{c.layers} layers" if c.layers > 1 else "1 layer"
    return (f"{cell_label(c.cell)}, {layers} × {c.hidden} units{dirs}: traced over the whole series "
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
    key = ("traj", run.run_id, data_key(loaded), layer, by, k)
    series, traj, note = memo(key, lambda: _trajectories_frames(loaded, run, trace, layer, phase, by, k, quantity))
    domain = (trace.index[0], trace.index[-1])  # one time axis for both charts, so they line up
    show_chart(("strip", *key), lambda: charts.plot_series_strip(series, value_title=loaded.value_col,
                                                                  time_domain=domain))
    show_chart(key, lambda: charts.plot_trajectories(traj, time_domain=domain, note=note))


def _trajectories_frames(loaded, run, trace, layer, phase, by, k, quantity):
    units = F.top_units(trace, layer=layer, k=k, by=by, quantity=quantity, phase=phase)
    traj = F.trajectories(trace, units, layer=layer, quantities=(quantity,))
    traj, note = F.downsample(traj, max_rows=4000, time_col="step")
    series = pd.DataFrame({"timestamp": trace.index, "value": _series_values(loaded, run, trace), "step": np.arange(trace.n_steps)})
    series, _ = F.downsample(series, max_rows=1000, time_col="step", group_cols=[])
    return series, traj, note


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
    fixed = st.toggle("Fixed 0-1 scale", key="season_fixed",
                      help="Off: the colours and the profile's axis span the values shown, so a small swing shows. "
                           "On: both span 0 to 1, the same in every run.")
    plabel = phase_label(run.info.get("freq"), period)
    key = (run.run_id, data_key(loaded), layer, unit, fixed)
    names, cycle_title = memo(("cycle_names", run.run_id, data_key(loaded)),
                              lambda: charts.cycle_names(pd.Series(trace.index).groupby(cycle).min()))
    show_chart(("heat", *key), lambda: charts.plot_phase_cycle_heatmap(
        F.fold_by_cycle(trace, phase, cycle, layer=layer, unit=None if unit == F.LAYER_MEAN else unit),
        gate_label=label, phase_label=plabel, period=period, cycle_labels=names, cycle_title=cycle_title,
        fixed_scale=fixed))
    show_chart(("profile", *key), lambda: charts.plot_phase_profile(
        _unit_rows(_by_phase(run, trace, layer, phase, cycle), unit), value_title=label, phase_label=plabel,
        period=period, fixed_scale=fixed))
    show_chart(("series_profile", *key[:2]), lambda: charts.plot_phase_profile(
        seasonal_profile(_series_values(loaded, run, trace), phase), value_title=loaded.value_col,
        phase_label=plabel, period=period, gate=False))
    show_chart(("scores", *key), lambda: charts.plot_seasonality_scores(scores, k=10))


def _unit_rows(frame: pd.DataFrame, unit: int) -> pd.DataFrame:
    return frame[frame["unit"] == unit]


def _by_phase(run: Run, trace: Trace, layer: int, phase: np.ndarray, cycle: np.ndarray) -> pd.DataFrame:
    return memo(("by_phase", run.run_id, layer), lambda: F.fold_by_phase(trace, phase, layer=layer, cycle=cycle))


@st.fragment
def _view_gates(run: Run, trace: Trace, layer: int) -> None:
    gates = list(F.SIGMOID_GATES[trace.cell])
    signed = [q for q in trace.quantities if q not in gates]
    width, span = charts.heatmap_window(trace.n_steps, max(len(gates), len(signed)) * trace.n_units,
                                        run.config.period)
    start = trace.n_steps - span
    if span < trace.n_steps:  # bins of at most a tenth of a season: a stretch at a time
        start = st.slider("Stretch shown, from step", 0, trace.n_steps - span, start, step=max(1, span // 4),
                          key="gates_from", help=f"{span:,} of {trace.n_steps:,} steps fit at this resolution; "
                                                 "move the stretch along the series.")
        st.caption(f"Showing {trace.index[start]} to {trace.index[start + span - 1]} in bins of {width} step"
                   f"{'s' * (width > 1)}, at most a tenth of the {run.config.period}-step season.")
    steps = slice(start, start + span)
    if gates:
        fixed = st.toggle("Fixed 0-1 scale", key="gates_fixed",
                          help="Off: the gates' colours span the values shown. On: 0 to 1, the same in every run.")
        show_chart(("gates", run.run_id, layer, start, fixed), lambda: _heatmap(
            charts.plot_gate_heatmaps, trace, layer, gates, steps, fixed_scale=fixed))
    else:
        st.warning(F.keep_gate_label("rnn") + "; below is its hidden state over time instead.")
    shown = st.multiselect("States and candidate (can be negative)", signed, default=signed[-1:], key="signed_q",
                           help="Blue below 0, orange above; each with its own colour scale.")
    if shown:
        show_chart(("states", run.run_id, layer, tuple(shown), start),
                   lambda: _heatmap(charts.plot_state_heatmap, trace, layer, shown, steps))


def _heatmap(plot, trace: Trace, layer: int, quantities: list[str], steps: slice, **options):
    """A time x unit heatmap of some quantities over `steps`, binned in time to stay under 5,000 rows."""
    frame = trace.to_frame(layer=layer, quantities=quantities, steps=steps)
    frame, note = F.downsample(frame, max_rows=5000, time_col="step")
    return plot(frame, note=note, **options)


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
    inputs = ", ".join(run.feature_names) if layer == 0 else f"the {trace.n_units} outputs of layer {layer}"
    st.caption(f"Step {step} · {trace.index[step]} · layer {layer + 1}, forward direction · "
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
