"""Look inside's "Gate drivers" view: what moves a gate, from the exact split of its pre-activation
(inspect/drivers.py), over a stretch of time and by phase, with a sentence naming the source that dominates."""
from __future__ import annotations

from typing import TYPE_CHECKING

import altair as alt
import numpy as np
import pandas as pd
import streamlit as st

from .. import cells
from ..errors import UserError
from ..inspect.drivers import cell_quantity, dominant_sentence
from ..inspect.run_traces import run_drivers
from ..seasonality import phase_and_cycle, phase_label
from .charts import TABLEAU10, aligned_y_axis, chart_title, top_legend
from .render import show_chart
from .state import linked_unit, memo
from .text import escape_markdown

if TYPE_CHECKING:
    from ..data.series import LoadedSeries
    from ..runs import Run

SEASONS_SHOWN = 4  # the over-time chart shows the last few seasons, every step
TOTAL = "pre-activation (sum)"


def view_drivers(loaded: LoadedSeries, run: Run, layer: int, key: tuple) -> None:
    cell = cells.get(run.config.cell)
    gates = [cell_quantity(cell, s) for s in cell.gate_rows]
    try:
        found = memo(("drivers", *key, layer), lambda: run_drivers(run, loaded, layer=layer))
    except UserError as exc:
        st.warning(escape_markdown(exc))
        return
    c1, c2 = st.columns(2)
    default = gates.index(cell.keep_gate) if cell.keep_gate in gates else 0
    gate = c1.selectbox("Gate", gates, index=default, key="drivers_gate",
                        help="Whose pre-activation is split: the logit of a sigmoid gate, the tanh argument of the "
                             "candidate (and of a vanilla RNN's hidden state).")
    n_units = found.parts[gate].shape[2]
    unit = int(linked_unit("Unit", list(range(n_units)), key="drivers_unit", default=0, where=c2,
                           help="The unit chosen in any view is the unit of every view."))
    period = run.config.period
    phase, _ = phase_and_cycle(found.index, period, anchor=run.transform.anchor) if period > 1 else (None, None)
    table = found.summary(gate, unit, phase)
    st.markdown(escape_markdown(dominant_sentence(table, gate, unit)))
    notes = [note for key, note in cell.driver_notes.items() if key in (gate, "*")]  # the registry's
    if layer > 0:
        notes.append("Above the first layer the input is the hidden state of the layer below, one source.")
    for note in notes:
        st.caption(note)
    show = table.rename(columns={"sd": "sd over time", "eta2": "share explained by phase"})
    st.dataframe(show, hide_index=True, width="stretch", column_config={
        "mean": st.column_config.NumberColumn(format="%.3f"), "sd over time": st.column_config.NumberColumn(format="%.3f"),
        "share explained by phase": st.column_config.NumberColumn(format="percent")})
    frame = _long(found, gate, unit)
    colours = _colours(found.sources)
    steps = max(SEASONS_SHOWN * max(period, 1), 48)
    show_chart(("drivers_time", *key, layer, gate, unit),
               lambda: _over_time(frame[frame["step"] >= frame["step"].max() - steps + 1], colours, gate, unit))
    if phase is not None:
        show_chart(("drivers_phase", *key, layer, gate, unit),
                   lambda: _by_phase(frame, np.asarray(phase), colours, gate,
                                     phase_label(run.info.get("freq"), period)))


def _long(found, gate: str, unit: int) -> pd.DataFrame:
    block = found.parts[gate][:, :, unit]  # (S, T)
    n = block.shape[1]
    rows = {"step": np.tile(np.arange(n), len(found.sources) + 1),
            "time": np.tile(np.asarray(found.index), len(found.sources) + 1),
            "source": np.repeat(found.sources + [TOTAL], n),
            "contribution": np.concatenate([block.reshape(-1), block.sum(axis=0)])}
    return pd.DataFrame(rows)


def _colours(sources: list[str]) -> alt.Scale:
    domain = [*sources, TOTAL]
    return alt.Scale(domain=domain, range=[TABLEAU10[i % len(TABLEAU10)] for i in range(len(sources))] + ["#222222"])


def _over_time(frame: pd.DataFrame, colours: alt.Scale, gate: str, unit: int) -> alt.Chart:
    return alt.Chart(frame).mark_line(strokeWidth=1.5).encode(
        x=alt.X("time", title="time"),
        y=alt.Y("contribution:Q", title="part of the pre-activation", axis=aligned_y_axis(titleLimit=380)),
        color=alt.Color("source:N", scale=colours, legend=top_legend(columns=4, title=None)),
        tooltip=["time", "source", alt.Tooltip("contribution:Q", format=".3f")],
    ).properties(title=chart_title(f"What drives the {gate} gate of unit {unit}",
                              "each source's part of the pre-activation, the last steps, every step",
                              "the black line is their sum"), width="container", height=400)


def _by_phase(frame: pd.DataFrame, phase: np.ndarray, colours: alt.Scale, gate: str, plabel: str) -> alt.Chart:
    by = frame.assign(phase=np.tile(phase, frame["source"].nunique())).groupby(
        ["source", "phase"], as_index=False)["contribution"].mean()
    return alt.Chart(by).mark_line(point=True, strokeWidth=1.5).encode(
        x=alt.X("phase:O", title=plabel),
        y=alt.Y("contribution:Q", title="mean part of the pre-activation", axis=aligned_y_axis(titleLimit=340)),
        color=alt.Color("source:N", scale=colours, legend=top_legend(columns=4, title=None)),
        tooltip=["phase", "source", alt.Tooltip("contribution:Q", format=".3f")],
    ).properties(title=chart_title(f"The {gate} gate's parts by {plabel}", "mean over every cycle"),
                 width="container", height=360)
