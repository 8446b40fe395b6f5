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
from ..evaluation.kept import not_kept_note
from ..inspect import summary as streamed  # called through the module, so a patched look_inside is the one used
from ..inspect.references import seasonality_against_references
from ..inspect.season import LAYER_MEAN
from ..runs import Run, data_key
from ..seasonality import phase_label
from . import charts, inside_charts, season_charts
from .ablation_view import show_unit_effects
from .drivers_view import view_drivers
from .memory_view import view_memory
from .render import show_chart
from .state import RunView, linked_unit, memo, open_run
from .text import cell_label, escape_markdown

if TYPE_CHECKING:  # torch and the trace engine load when a run is first inspected
    from ..inspect.summary import LookInside

SUMMARIES_KEPT = 2  # look-inside summaries per session: at 1M points one holds a few hundred MB
REFERENCE_AUTO_STEPS = 200_000  # up to this many steps the untrained reference is traced by default (~0.4 s at 8,760)
LEARNED_MIN = 0.05  # a learned seasonality (trained - untrained score) below this is not called a gain

VIEWS = ("Cell state", "Gates by season", "Gates over time", "Gate drivers", "Memory", "Saturation", "One step")
HOW_TO_READ = {
    "Cell state": "Top: the series; below, on the same time axis: the memory of the units that move most.\nA unit "
                  "whose state climbs and falls with the season is tracking it; one that drifts slowly is tracking "
                  "the level.",
    "Gates by season": "Each cell of the heatmap is the gate's mean at one phase of one cycle: {keep_words}. "
                       "The colours span the values shown; switch on **fixed 0-1** to "
                       "compare with other runs.\nVertical stripes mean the gate follows the season; a pattern that "
                       "changes down the rows means it drifts from cycle to cycle. The profile below shares the "
                       "heatmap's phase axis, and the series' own season is under it.\nAn untrained network's gates follow "
                       "the season too, because its inputs do: the table at the bottom sets each unit's score beside "
                       "the same network at its initial weights and on shuffled steps (chance). Only the difference, "
                       "**learned**, is what training did.",
    "Gates over time": "Every unit (rows) of every gate (a block of rows each) over time, in bins of at most a "
                       "tenth of a season, low (closed) to high (open).\nLong bright runs are units holding "
                       "information; flicker is a unit reacting step by step; stripes that repeat are the season.",
    "Gate drivers": "A gate's pre-activation (what goes into its sigmoid, or the candidate's tanh) is a sum: one "
                    "part per input feature, one from the recurrent state (the memory), a peephole part where there "
                    "is one, and the bias. The parts below sum to it exactly.\nA gate moved mostly by today's "
                    "inputs is reacting; one moved by the recurrent part is using memory. The share explained by "
                    "phase says how much of each part's swing is the season.",
    "Memory": "Top: how long the chosen unit keeps what it holds. Its half-life at a step is the number of steps "
              "until the keep gate has let half of it go (the product of the kept shares reaches 1/2; "
              "{keep_words}), drawn by the phase it starts at: a unit that holds longer at night than by day shows "
              "it here.\nBelow: how far back the forecast looks, as the gradient of each horizon step's forecast "
              "with respect to each lookback step's inputs (Madsen 2019). Bright far to the right means the "
              "forecast reads far back; bright only at lag 0 means it reads the last step.",
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
    "Gate drivers": "A vanilla RNN has no gates; below, its hidden state's pre-activation is split exactly into one "
                    "part per input feature, the recurrent state and the bias.",
    "Memory": "A vanilla RNN has no keep gate, so its memory has no half-life. Below: how far back its forecast "
              "looks, as the gradient of each horizon step's forecast with respect to each lookback step's inputs "
              "(Madsen 2019).",
    "Saturation": "A vanilla RNN has no gates, so nothing can saturate.",
    "One step": "The textbook equation, with this network's numbers at one step: each row is a vector over the "
                "units.\nWith no gates, every step rewrites the whole state from the input and the last state.",
}


def how_to_read(view: str, cell: str) -> str:
    """The reading guide of a view, for this cell: none describes a chart that is not drawn."""
    if not cells.get(cell).sigmoid_gates:
        return HOW_TO_READ_NO_GATES[view]
    return HOW_TO_READ[view].replace("{keep_words}", cells.get(cell).keep_words)  # which way its keep gate points


def show_inside(loaded: LoadedSeries, runs: dict[str, RunView]) -> None:
    st.header("5. Look inside")
    if not runs:
        st.info("Train a model to look inside it: its gates and states are traced from the trained weights.")
        return
    ids = list(runs)
    _seed_run_choice(ids)
    c1, c2 = st.columns([4, 1])
    run_id = c1.selectbox("Run", ids, format_func=lambda k: runs[k].label, key="inside_run")
    try:
        run = open_run(runs[run_id])  # the model loads here, only for the run looked at
    except UserError as exc:
        st.error(f"**Cannot open this run.** {escape_markdown(exc)}")
        return
    layer = c2.selectbox("Layer", list(range(run.config.layers)), key="inside_layer",
                         format_func=lambda i: f"{i + 1} of {run.config.layers}", help="Layers count from the input.")
    default = None if "inside_view" in st.session_state else VIEWS[0]  # the Learn page's links set it first
    view = st.segmented_control("View", VIEWS, default=default, key="inside_view") or VIEWS[0]
    try:
        summary = _summary(run, loaded)
    except UserError as exc:
        st.error(f"**Cannot trace this run on this data.** {escape_markdown(exc)}")
        return
    st.caption(_describe(run, summary))
    unused = not_kept_note(cell_label(run.config.cell), run.metrics, run.info, run.transform.base)
    if unused:
        drawn = (f"What is drawn here is its best trained epoch ({run.info['inside_epoch']}), which the forecast "
                 "does not use." if run.inside_state is not None else
                 "What is drawn here is the untrained network (best epoch 0): its output weights are zero, so "
                 "nothing below reaches the forecast.")
        st.warning(escape_markdown(f"{unused}. {drawn}"))
    with st.expander("How to read this", expanded=True):
        st.markdown(how_to_read(view, run.config.cell).replace("\n", "  \n"))
    if view == "Cell state":
        _view_states(loaded, run, summary, layer)
    elif view == "Gates by season":
        _view_season(loaded, run, summary, layer)
    elif view == "Gates over time":
        _view_gates(loaded, run, summary, layer)
    elif view == "Gate drivers":
        view_drivers(loaded, run, layer, _key(run, loaded))
    elif view == "Memory":
        view_memory(loaded, run, layer, _key(run, loaded))
    elif view == "Saturation":
        _view_saturation(loaded, run, summary, layer)
    else:
        _view_step(loaded, run, summary, layer)


def _seed_run_choice(ids: list[str]) -> None:
    """The run looked at: the first one just trained after each training, else the newest; a choice
    the user made stays until the next training."""
    selected = tuple(rid for rid in st.session_state.get("training", {}).get("selected") or [] if rid in ids)
    chosen = st.session_state.get("inside_run")
    if chosen not in ids or (selected and selected != st.session_state.get("inside_run::trained")):
        st.session_state["inside_run"] = selected[0] if selected else ids[-1]
        st.session_state["inside_run::trained"] = selected


def _summary(run: Run, loaded: LoadedSeries) -> LookInside:
    """The run's look-inside summary over `loaded`: traced once, kept for the last SUMMARIES_KEPT runs and data."""
    store: OrderedDict = st.session_state.setdefault("_look_inside", OrderedDict())
    key = (run.run_id, data_key(loaded))
    if key not in store:
        with st.spinner("Tracing every gate of every step…"):
            store[key] = streamed.look_inside(run, loaded)
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
    layers = f"{c.layers} layers" if c.layers > 1 else "1 layer"
    return (f"{cell_label(c.cell)}, {layers} × {c.hidden} units{dirs}: traced over the whole series "
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
    domain = (summary.index[0], summary.index[-1])  # one time axis for both charts, so they line up
    show_chart(("strip", *_key(run, loaded)), lambda: inside_charts.plot_series_strip(
        summary.bins.series_binned(max_rows=1000), value_title=loaded.value_col, time_domain=domain))
    show_chart(("traj", *_key(run, loaded, layer, by, k)),
               lambda: _trajectories_chart(summary, layer, by, k, quantity, domain))


def _trajectories_chart(summary: LookInside, layer: int, by: str, k: int, quantity: str, domain: tuple):
    units = summary.units.top_units(layer=layer, k=k, by=by, quantity=quantity)
    traj, note = summary.bins.binned(layer=layer, quantities=[quantity], units=units, max_rows=4000)
    return inside_charts.plot_trajectories(traj, time_domain=domain, note=note)


@st.fragment
def _view_season(loaded: LoadedSeries, run: Run, summary: LookInside, layer: int) -> None:
    gate = cells.get(run.config.cell).keep_gate
    if gate is None:
        st.warning(cells.get("rnn").keep_label + ". There is nothing to fold; the other views show its hidden state.")
        return
    label = cells.get(run.config.cell).keep_label
    period = run.config.period
    if period <= 1:
        st.warning("This run has no season (period 1), so there is nothing to fold by phase. "
                   "Set a season length in the configuration and train again.")
        return
    compare = st.toggle("Against an untrained network", value=summary.n_steps <= REFERENCE_AUTO_STEPS,
                        key="season_reference",
                        help="Traces the same architecture at its initial weights (rebuilt from the run's seed) "
                             "and the trained network on the steps in a random order, so the scores say what "
                             "training added. Costs two more passes over the series.")
    refs = None
    if compare:
        with st.spinner("Tracing the untrained network and the shuffled control…"):
            refs = memo(("refs", *_key(run, loaded, layer)), lambda: seasonality_against_references(
                run, loaded, layer=layer, trained=summary))
    scores = memo(("scores", *_key(run, loaded, layer)), lambda: summary.units.seasonality_scores(layer=layer))
    order = refs["unit"].tolist() if refs is not None else scores["unit"].tolist()
    options = [LAYER_MEAN] + order
    by_unit = (refs if refs is not None else scores).set_index("unit")

    def unit_name(u) -> str:
        if u == LAYER_MEAN:
            return "mean over the layer's units"
        if refs is None:
            return f"unit {u} (seasonality {by_unit.loc[u, 'score']:.0%})"
        row = by_unit.loc[u]
        return f"unit {u} (seasonality {row['trained']:.0%}, untrained {row['untrained']:.0%}: {row['learned'] * 100:+.0f} points learned)"

    unit = linked_unit("Unit", options, key="season_unit", default=options[1] if len(options) > 1 else options[0],
                       format_func=unit_name,
                       help="Ranked by learned seasonality (trained minus untrained) when compared with the "
                            "untrained network, else by the trained score. The unit chosen here is the unit of "
                            "every other view.")
    if refs is not None:
        st.markdown(escape_markdown(references_sentence(refs)))
    fixed = st.toggle("Fixed 0-1 scale", key="season_fixed",
                      help="Off: the colours and the profile's axis span the values shown, so a small swing shows. "
                           "On: both span 0 to 1, the same in every run.")
    plabel = phase_label(run.info.get("freq"), period)
    key = _key(run, loaded, layer, unit, fixed)
    note = summary.season.keep_note
    names, cycle_title = memo(("cycle_names", *_key(run, loaded)), lambda: season_charts.cycle_names(summary.season.cycle_starts))
    show_chart(("heat", *key), lambda: season_charts.plot_phase_cycle_heatmap(
        summary.season.fold_by_cycle(layer=layer, unit=None if unit == LAYER_MEAN else unit),
        gate_label=label, phase_label=plabel, period=period, cycle_labels=names, cycle_title=cycle_title,
        fixed_scale=fixed, note=note))
    show_chart(("profile", *key), lambda: season_charts.plot_phase_profile(
        _unit_rows(_by_phase(run, loaded, summary, layer), unit), value_title=label, phase_label=plabel,
        period=period, fixed_scale=fixed, note=note))
    show_chart(("series_profile", *_key(run, loaded)), lambda: season_charts.plot_phase_profile(
        summary.series_profile, value_title=loaded.value_col, phase_label=plabel, period=period, gate=False))
    show_chart(("scores", *key), lambda: season_charts.plot_seasonality_scores(scores, k=10))
    if refs is not None:
        st.dataframe(refs.head(10), hide_index=True, width="stretch", column_config={
            c: st.column_config.NumberColumn(c, format="percent") for c in ("trained", "untrained", "shuffled")} | {
            "learned": st.column_config.NumberColumn("learned (trained − untrained)", format="%+.2f")})
    show_unit_effects(loaded, run, layer, _key(run, loaded), order)


def references_sentence(refs: pd.DataFrame) -> str:
    """What the comparison says, in one or two sentences."""
    mean = refs[["trained", "untrained", "shuffled"]].mean()
    top = refs.iloc[0]
    text = (f"Seasonality of the keep gate, mean over the layer's units: trained {mean['trained']:.0%}, an untrained "
            f"network of the same shape {mean['untrained']:.0%}, the trained one on shuffled steps "
            f"{mean['shuffled']:.0%} (chance). ")
    if mean["untrained"] >= 0.5 * max(mean["trained"], 1e-12):
        text += "Most of the gate's seasonal swing comes from the inputs, not from learning. "
    if top["learned"] > LEARNED_MIN:
        text += f"Training added most to unit {int(top['unit'])} ({top['learned'] * 100:+.0f} points)."
    else:
        text += f"No unit gained more than {LEARNED_MIN * 100:.0f} points from training."
    return text


def _unit_rows(frame: pd.DataFrame, unit: int) -> pd.DataFrame:
    return frame[frame["unit"] == unit]


def _by_phase(run: Run, loaded: LoadedSeries, summary: LookInside, layer: int) -> pd.DataFrame:
    return memo(("by_phase", *_key(run, loaded, layer)), lambda: summary.season.fold_by_phase(layer=layer))


@st.fragment
def _view_gates(loaded: LoadedSeries, run: Run, summary: LookInside, layer: int) -> None:
    gates = list(cells.get(summary.cell).sigmoid_gates)
    signed = [q for q in summary.quantities if q not in gates]
    n_steps, period = summary.n_steps, run.config.period
    width, span = _gate_window(summary, max(len(gates), len(signed)) * summary.n_units, period)
    start = 0
    if span < n_steps:  # bins of at most a tenth of a season: a stretch at a time
        last = (n_steps - span) // summary.bins.bin_width * summary.bins.bin_width  # stretches start on a fine bin
        move = max(summary.bins.bin_width, span // 4 // summary.bins.bin_width * summary.bins.bin_width)
        start = st.slider("Stretch shown, from step", 0, last, last, step=move, key="gates_from",
                          help=f"{span:,} of {n_steps:,} steps fit at this resolution; "
                               "move the stretch along the series.")
        st.caption(f"Showing {summary.index[start]} to {summary.index[start + span - 1]} "
                   + _bins_said(width, period, summary))
    steps = slice(start, start + span)
    if gates:
        fixed = st.toggle("Fixed 0-1 scale", key="gates_fixed",
                          help="Off: the gates' colours span the values shown. On: 0 to 1, the same in every run.")
        show_chart(("gates", *_key(run, loaded, layer, start, span, fixed)), lambda: _heatmap(
            inside_charts.plot_gate_heatmaps, summary, layer, gates, steps, fixed_scale=fixed))
    else:
        st.warning(cells.get("rnn").keep_label + "; below is its hidden state over time instead.")
    shown = st.multiselect("States and candidate (can be negative)", signed, default=signed[-1:], key="signed_q",
                           help="Blue below 0, orange above; each with its own colour scale.")
    if shown:
        show_chart(("states", *_key(run, loaded, layer, tuple(shown), start, span)),
                   lambda: _heatmap(inside_charts.plot_state_heatmap, summary, layer, shown, steps))


def _gate_window(summary: LookInside, n_lines: int, period: int) -> tuple[int, int]:
    """(bin width, span) in steps for Gates over time: inside_charts.heatmap_window's, in whole fine bins of
    the summary (a series longer than summary.TIME_BINS keeps nothing finer)."""
    width, span = inside_charts.heatmap_window(summary.n_steps, n_lines, period)
    if span < summary.n_steps and width % summary.bins.bin_width:
        width = -(-width // summary.bins.bin_width) * summary.bins.bin_width
        span = min(summary.n_steps, max(1, charts.MAX_ROWS // max(1, n_lines)) * width)
    return width, span


def _bins_said(width: int, period: int, summary: LookInside) -> str:
    """The caption's words for the bins of a stretch: a tenth of the season, or the finest kept."""
    steps = f"{width:,} step{'s' * (width > 1)}"
    if width == 1:
        return "step by step."
    if width <= max(1, period // 10):
        return f"in bins of {steps}, at most a tenth of the {period}-step season."
    return (f"in bins of {steps}: the finest kept for a series of {summary.n_steps:,} steps, more than a tenth "
            f"of the {period}-step season.")


def _heatmap(plot, summary: LookInside, layer: int, quantities: list[str], steps: slice, **options):
    """A time x unit heatmap of some quantities over `steps`, binned in time to stay under 5,000 rows."""
    frame, note = summary.bins.binned(layer=layer, quantities=quantities, steps=steps, max_rows=charts.MAX_ROWS)
    return plot(frame, note=note, **options)


@st.fragment
def _view_saturation(loaded: LoadedSeries, run: Run, summary: LookInside, layer: int) -> None:
    if not cells.get(summary.cell).sigmoid_gates:
        st.warning(cells.get("rnn").keep_label + ", so nothing can saturate.")
        return
    show_chart(("saturation", *_key(run, loaded, layer)),
               lambda: inside_charts.plot_saturation(summary.units.saturation(layer=layer)))


@st.fragment
def _view_step(loaded: LoadedSeries, run: Run, summary: LookInside, layer: int) -> None:
    step = st.slider("Step", 1, summary.n_steps - 1, summary.n_steps - 1, key="walk_step",
                     help="The step whose update to show. Its time stamp appears below.")
    inputs = escape_markdown(", ".join(run.feature_names)) if layer == 0 else f"the {summary.n_units} outputs of layer {layer}"
    st.caption(f"Step {step} · {summary.index[step]} · layer {layer + 1}, forward direction · "
               f"x_t's entries are the layer's inputs ({inputs}); every other row has one entry per unit")
    show_chart(("walk", *_key(run, loaded, layer, step)),
               lambda: inside_charts.plot_walkthrough(_walk_rows(summary, step, layer), cell=run.config.cell))
    st.markdown(cells.get(run.config.cell).equations)


def _walk_rows(summary: LookInside, step: int, layer: int) -> pd.DataFrame:
    parts = summary.one_step.walkthrough(step, layer=layer)
    return pd.concat([pd.DataFrame({"quantity": name, "unit": np.arange(len(v)), "value": np.asarray(v, dtype=float)})
                      for name, v in parts.items()], ignore_index=True)
