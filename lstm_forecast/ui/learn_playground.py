"""Learn, section 2: one LSTM unit whose gates the user sets by hand, then a trained run's real gates."""
from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st
import torch

from .. import cells
from ..errors import UserError
from ..inspect.traces import compute_trace
from ..learn import playground as P
from . import learn_charts as charts
from .learn_runs import pick_run
from .render import show_chart
from .state import RunView, memo, open_run
from .text import escape_markdown

MODES = ("constant", "per step")
DEFAULTS = {"forget": 0.9, "input": 1.0, "output": 1.0}  # a pulse read in full, then fading by 10% a step
SCHEDULE = "learn_schedule"  # session key: the per-step gates (gate -> one value per step)
EDITOR = "learn_schedule_editor"


@st.fragment
def show_playground(views: list[RunView]) -> None:
    lstm = cells.get("lstm")
    gate_names = {name: f"{name} gate {lstm.symbols[name]}" for name in P.GATES}
    st.header("2. Set the gates yourself")
    st.markdown("One LSTM unit, with its gates set by hand instead of computed. It reads the input x, its candidate "
                "is g = tanh(x), and the rest is the cell's own update: **c = f·c(t-1) + i·g**, "
                "**h = o·tanh(c)**. Make it **remember**, **forget** or **hide** what it saw at step "
                f"{P.EVENT_STEP}, and watch c and h.")
    c1, c2 = st.columns([3, 2])
    kind = c1.radio("Input sequence", P.SEQUENCES, horizontal=True, key="learn_seq")
    mode = c2.radio("Gates", MODES, horizontal=True, key="learn_gate_mode",
                    help="The same value at every step, or one value per step (edit the table, or load a preset).")
    x = P.sequence(kind)
    presets = P.presets(len(x))
    st.caption("Presets (they set the gates per step):")
    for column, name in zip(st.columns(len(presets) + 2), presets):
        column.button(name.title(), key=f"learn_preset::{name}", on_click=_load_preset, args=(name, len(x)),
                      help=presets[name].why)
    if mode == "constant":
        columns = st.columns(len(P.GATES))
        gates = {name: column.slider(gate_names[name], 0.0, 1.0, DEFAULTS[name], 0.05, key=f"learn_gate::{name}")
                 for column, name in zip(columns, P.GATES)}
        why = _why_constant(gates)
    else:
        gates = _edit_schedule(len(x), gate_names)
        why = next((p.why for p in presets.values()
                    if all(np.allclose(p.gates[g], gates[g]) for g in P.GATES)),
                   "Your own schedule. Read the chart top to bottom: where i is open, g enters c; where f is below 1, "
                   "c shrinks by that factor each step; where o is shut, h is 0 whatever c holds.")
    try:
        frame = P.run_cell(x, **gates)
    except UserError as exc:
        st.warning(str(exc))
        return
    g = lstm.symbols
    panels = [("input", ("x_t", g["candidate"]), False),
              ("gates", tuple(lstm.walkthrough_gates), True),
              ("memory and output", (g["cell"], g["hidden"]), False)]
    key = ("learn_play", kind, tuple(np.round(np.concatenate([np.atleast_1d(v) for v in gates.values()]), 4)))
    show_chart(key, lambda: charts.plot_unit_steps(
        frame, panels, title=f"One hand-set LSTM unit on a {kind}",
        note="c = f·c(t-1) + i·g, h = o·tanh(c), g = tanh(x)"))
    st.info(why)
    _real_gates(views, kind, x)


def _why_constant(gates: dict[str, float]) -> str:
    """What constant gates do to the memory, in numbers."""
    f, i, o = gates["forget"], gates["input"], gates["output"]
    kept = ", ".join(f"after {k} steps {_percent(f ** k)} is left" for k in (5, 20))
    parts = [f"f = {f:.2f}: each step keeps {f:.0%} of c, so {kept}." if f < 1 else
             "f = 1: nothing is ever forgotten; every write adds up."]
    parts.append("i = 0: nothing is ever written, so c stays 0." if i == 0 else
                 f"i = {i:.2f}: {i:.0%} of the candidate g = tanh(x) is written at every step.")
    parts.append("o = 0: h is 0 whatever c holds: the memory is there, but hidden." if o == 0 else
                 f"o = {o:.2f}: h shows {o:.0%} of tanh(c).")
    return " ".join(parts)


def _percent(share: float) -> str:
    """A share as a percentage that does not round a small remainder to 0%: 0.0008 -> '0.08%'."""
    return f"{share:.0%}" if share >= 0.1 or share == 0 else f"{share * 100:.2g}%"


def _load_preset(name: str, n_steps: int) -> None:
    preset = P.presets(n_steps)[name]
    st.session_state[SCHEDULE] = {gate: values.tolist() for gate, values in preset.gates.items()}
    st.session_state["learn_gate_mode"] = "per step"
    st.session_state.pop(EDITOR, None)  # the editor starts again from the preset


def _edit_schedule(n_steps: int, gate_names: dict[str, str]) -> dict[str, np.ndarray]:
    """A table, one row per gate and one column per step, that the user edits; the gates per step."""
    stored = st.session_state.get(SCHEDULE)
    if not stored or any(len(v) != n_steps for v in stored.values()):
        stored = {gate: [DEFAULTS[gate]] * n_steps for gate in P.GATES}
        st.session_state[SCHEDULE] = stored
    table = pd.DataFrame([stored[gate] for gate in P.GATES], index=[gate_names[g] for g in P.GATES],
                         columns=[str(t) for t in range(n_steps)])
    config = {str(t): st.column_config.NumberColumn(str(t), min_value=0.0, max_value=1.0, step=0.05, format="%.2f")
              for t in range(n_steps)}
    edited = st.data_editor(table, key=EDITOR, column_config=config, width="stretch")
    return {gate: edited.loc[gate_names[gate]].to_numpy(dtype=float).clip(0, 1) for gate in P.GATES}


def _real_gates(views: list[RunView], kind: str, x: np.ndarray) -> None:
    st.subheader("The same sequence through a trained run's real gates")
    view = pick_run(views, key="learn_contrast_run", label="Trained run",
                    keep=lambda v: bool(cells.get(v.config.cell).sigmoid_gates),
                    help="Any run with gates. The sequence is fed as the run's first input, its change as the "
                         "'change' input, every other input held at 0.")
    if view is None:
        st.info("Train a run with gates (LSTM, GRU or a variant) and its real gates appear here, on the same input.")
        return
    try:
        run = open_run(view)
    except UserError as exc:
        st.warning(escape_markdown(exc))
        return
    frame, unit, memory = memo(("learn_real", view.run_id, kind), lambda: _real_frame(run, x))
    cell = cells.get(run.config.cell)
    gates = tuple(cell.symbols[q] for q in cell.sigmoid_gates)
    shown = tuple(dict.fromkeys((cell.symbols[memory], cell.symbols["hidden"])))
    panels = [("input", ("x_t",), False), ("gates", gates, True), ("memory and output", shown, False)]
    show_chart(("learn_real", view.run_id, kind), lambda: charts.plot_unit_steps(
        frame, panels, title=f"{cell.label}, unit {unit} of layer 1, on the same {kind}",
        note=f"its weights decide the gates now · {cell.summary}"))
    st.caption(f"Unit {unit} is the one whose {'cell' if memory == 'cell' else 'hidden'} state moves most on this "
               f"input. Inputs: x as {escape_markdown(run.feature_names[0])}"
               + (", its change as change" if "change" in run.feature_names[1:] else "")
               + (f"; {escape_markdown(', '.join(n for n in run.feature_names[1:] if n != 'change'))} held at 0."
                  if len(run.feature_names) > 2 else "."))


def _real_frame(run, x: np.ndarray) -> tuple[pd.DataFrame, int, str]:
    """The run's layer-0 unit that reacts most to x: its quantities by step (step, quantity symbol, value)."""
    trace = compute_trace(run.inside_rnn(), torch.from_numpy(P.forecaster_inputs(run.feature_names, x)))
    cell = cells.get(run.config.cell)
    memory = "cell" if "cell" in cell.quantities else "hidden"
    unit = P.reactive_unit(trace.get(memory, 0)[:, : run.config.hidden])
    rows = [pd.DataFrame({"step": np.arange(len(x)), "quantity": cell.symbols[q], "value": trace.get(q, 0)[:, unit]})
            for q in cell.quantities]
    rows.append(pd.DataFrame({"step": np.arange(len(x)), "quantity": "x_t", "value": x}))
    return pd.concat(rows, ignore_index=True), unit, memory
