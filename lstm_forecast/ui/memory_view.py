"""Look inside's "Memory" view: how long each unit keeps what it holds (its half-life, by phase), and how far
back the run's forecasts look (connectivity), both from inspect/memory.py."""
from __future__ import annotations

from typing import TYPE_CHECKING

import altair as alt
import numpy as np
import pandas as pd
import streamlit as st

from .. import cells
from ..errors import UserError
from ..inspect.memory import run_connectivity
from ..seasonality import phase_label
from .charts import NEUTRAL, aligned_y_axis, chart_title, phase_label_expr, phase_text
from .render import show_chart
from .state import linked_unit, memo
from .text import escape_markdown

if TYPE_CHECKING:
    from ..data.series import LoadedSeries
    from ..runs import Run

REACH_SHARE = 0.5  # the sentence names the lags that hold this share of the forecast's sensitivity


def view_memory(loaded: LoadedSeries, run: Run, layer: int, key: tuple) -> None:
    from ..inspect.run_traces import run_memory  # deferred: inspect/run_traces.py imports torch

    cell = cells.get(run.config.cell)
    period = run.config.period
    if cell.keep_gate is None:
        st.info(f"A {cell.label} has no keep gate, so its memory has no half-life: every step rewrites its state. "
                "How far back its forecasts look is below.")
    else:
        try:
            table = memo(("memory", *key, layer), lambda: run_memory(run, loaded, layer=layer, by_phase=period > 1))
        except UserError as exc:
            st.warning(escape_markdown(exc))
            table = None
        if table is not None and len(table):
            _half_life(table, run, layer, cell, period)
    try:
        reach = memo(("connectivity", *key), lambda: run_connectivity(run, loaded))
    except UserError as exc:
        st.warning(escape_markdown(exc))
        return
    st.markdown(escape_markdown(reach_sentence(reach)))
    if reach["gradient"].max() > 0:  # an unused network's forecast does not move: no picture of nothing
        show_chart(("connectivity", *key), lambda: plot_connectivity(reach))


def _half_life(table: pd.DataFrame, run: Run, layer: int, cell: cells.Cell, period: int) -> None:
    units = sorted(table["unit"].unique())
    overall = table.groupby("unit").apply(_typical, include_groups=False)
    longest = units[int(np.argmax(overall.reindex(units).to_numpy()))]
    unit = linked_unit("Unit", units, key="memory_unit", default=longest,
                       format_func=lambda u: f"unit {u} (half-life about {overall[u]:.1f} steps)",
                       help="The unit chosen in any view is the unit of every view; at first, the one that "
                            "remembers longest.")
    rows = table[table["unit"] == unit]
    label = phase_label(run.info.get("freq"), period) if period > 1 else ""
    st.markdown(escape_markdown(half_life_sentence(rows, unit, cell, label)))
    if period > 1 and "phase" in rows.columns:
        show_chart(("memory_phase", run.run_id, layer, unit),
                   lambda: plot_half_life(rows, unit=unit, phase_title=label, keep_label=cell.keep_label))


def _typical(rows: pd.DataFrame) -> float:
    """A unit's half-life over the whole series: its phases' medians weighted by their steps."""
    weights = rows["n_steps"].to_numpy(float)
    return float(np.average(rows["half_life_median"], weights=weights)) if weights.sum() else float("nan")


def half_life_sentence(rows: pd.DataFrame, unit: int, cell: cells.Cell, phase_label: str = "") -> str:
    """'Unit 3 halves what it holds in about 4.2 steps (its forget gate: near 1 ...); longest from Jul (6.0
    steps), shortest from Nov (2.2).' phase_label: the phase axis ('' when there is no season)."""
    gate = cell.keep_gate
    text = f"Unit {unit} halves what it holds in about {_typical(rows):.1f} steps (its {gate} gate: {cell.keep_words})"
    if phase_label and "phase" in rows.columns and len(rows) > 1:
        top, low = rows.loc[rows["half_life_median"].idxmax()], rows.loc[rows["half_life_median"].idxmin()]
        text += (f"; longest from {phase_text(phase_label, int(top['phase']))} ({top['half_life_median']:.1f} "
                 f"steps), shortest from {phase_text(phase_label, int(low['phase']))} "
                 f"({low['half_life_median']:.1f})")
    return text + "."


def reach_sentence(reach: pd.DataFrame) -> str:
    """How many of the latest lookback steps hold half of the forecast's sensitivity to its inputs."""
    by_lag = reach.groupby("lag")["gradient"].sum().sort_index()
    total = by_lag.sum()
    if not total > 0:
        return ("The forecast does not move with the network's inputs at all (the network's correction is zero: "
                "its forecast is its base's), so there is no reach to draw.")
    within = int(np.searchsorted(np.cumsum(by_lag.to_numpy()) / total, REACH_SHARE) + 1)
    return (f"Half of the forecast's sensitivity to its inputs lies in the latest {within} of its "
            f"{len(by_lag)} lookback steps (gradient norms, averaged over the holdout origins).")


def plot_half_life(rows: pd.DataFrame, *, unit: int, phase_title: str, keep_label: str) -> alt.LayerChart:
    """rows[phase, half_life_median, half_life_q25, half_life_q75] of one unit -> line with its middle half."""
    base = alt.Chart(rows).encode(x=alt.X("phase:Q", title=phase_title,
                                          axis=alt.Axis(tickMinStep=1, labelExpr=phase_label_expr(phase_title))))
    band = base.mark_area(opacity=0.25, color="#4c78a8").encode(
        y=alt.Y("half_life_q25:Q", title="half-life (steps)", axis=aligned_y_axis()), y2="half_life_q75:Q")
    line = base.mark_line(point=True, color="#4c78a8").encode(
        y="half_life_median:Q",
        tooltip=["phase:Q", alt.Tooltip("half_life_median:Q", title="median", format=".2f"),
                 alt.Tooltip("half_life_q25:Q", title="q25", format=".2f"),
                 alt.Tooltip("half_life_q75:Q", title="q75", format=".2f"), alt.Tooltip("n_steps:Q", title="steps")])
    return alt.layer(band, line).properties(
        title=chart_title(f"How long unit {unit} remembers, by the phase it starts at",
                          f"steps until the {keep_label} has let half of it go", "line: median; band: middle half"),
        width="container", height=260)


def plot_connectivity(reach: pd.DataFrame) -> alt.Chart:
    """reach[horizon_step, lag, gradient] -> heatmap: how much each horizon step's forecast moves with each lag."""
    return alt.Chart(reach).mark_rect(stroke=NEUTRAL, strokeWidth=0.1).encode(
        x=alt.X("lag:O", title="lag (steps back from the forecast origin)",
                axis=alt.Axis(labelAngle=0, values=_every(reach["lag"].max()))),
        y=alt.Y("horizon_step:O", title="horizon step", axis=aligned_y_axis(values=_every(reach["horizon_step"].max()))),
        color=alt.Color("gradient:Q", title="gradient norm", scale=alt.Scale(scheme="viridis")),
        tooltip=["horizon_step:O", "lag:O", alt.Tooltip("gradient:Q", format=".4f")],
    ).properties(title=chart_title("How far back the forecast looks",
                                   "mean gradient norm of each horizon step's forecast by each lookback step's inputs",
                                   "over the holdout origins (Madsen 2019)"), width="container", height=320)


def _every(top: int) -> list[int]:
    step = max(1, int(np.ceil((top + 1) / 24)))
    return list(range(0, int(top) + 1, step))
