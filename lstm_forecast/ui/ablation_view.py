"""What each unit does to the forecast (inspect/ablation.py), under Gates by season's seasonal ranking: units
ranked by how much the holdout forecast moves when each is knocked out, the most seasonal ones marked, so a
reader sees whether "seasonal" means "used"."""
from __future__ import annotations

from typing import TYPE_CHECKING

import altair as alt
import pandas as pd
import streamlit as st

from ..errors import UserError
from .charts import NEUTRAL, aligned_y_axis, chart_title
from .render import show_chart
from .state import memo
from .text import escape_markdown

if TYPE_CHECKING:
    from ..data.series import LoadedSeries
    from ..runs import Run

SHOWN = 10  # units in the chart
SEASONAL = "among the 5 most seasonal"


def show_unit_effects(loaded: LoadedSeries, run: Run, layer: int, key: tuple, seasonal: list[int]) -> None:
    from ..inspect.ablation import run_ablation  # deferred: inspect/ablation.py imports torch

    st.subheader("What each unit does to the forecast")
    if run.metrics.get("network_kept") is False:
        st.info("The forecast does not use this network (its correction was not kept), so knocking a unit out "
                "changes nothing in it.")
        return
    try:
        table = memo(("ablation", *key, layer), lambda: run_ablation(run, loaded, layer=layer))
    except UserError as exc:
        st.warning(escape_markdown(exc))
        return
    st.markdown(escape_markdown(effects_sentence(table, seasonal, run.config.value_col)))
    show_chart(("ablation", *key, layer), lambda: plot_unit_effects(table, seasonal))


def effects_sentence(table: pd.DataFrame, seasonal: list[int], units: str = "") -> str:
    """Which unit the forecast leans on most, and whether the most seasonal units are the ones it uses."""
    if table.empty or not table["forecast_change"].max() > 0:
        return "Knocking out any single unit leaves the holdout forecast as it is."
    top = table.iloc[0]
    used = set(table["unit"].head(5))
    both = sorted(used & set(seasonal[:5]))
    text = (f"Knocking out unit {int(top['unit'])} moves the holdout forecast most: by {top['forecast_change']:.3g}"
            f"{f' ({units})' if units else ''} on average, and its MASE by {top['mase_change']:+.3f}. ")
    text += (f"Of the 5 most seasonal units, {len(both)} ({', '.join(map(str, both))}) are among the 5 the forecast "
             "leans on most." if both else "None of the 5 most seasonal units is among the 5 the forecast leans on "
             "most: seasonal here does not mean used.")
    return text


def plot_unit_effects(table: pd.DataFrame, seasonal: list[int]) -> alt.Chart:
    """table[unit, forecast_change, mase_change] -> bars of the SHOWN units the forecast moves most with."""
    top = table.head(SHOWN).assign(
        unit_name=lambda f: "unit " + f["unit"].astype(str),
        kind=lambda f: f["unit"].isin(seasonal[:5]).map({True: SEASONAL, False: "other"}))
    return alt.Chart(top).mark_bar().encode(
        x=alt.X("forecast_change:Q", title="mean absolute change of the holdout forecast"),
        y=alt.Y("unit_name:N", title=None, sort=list(top["unit_name"]), axis=aligned_y_axis(labelOverlap=False)),
        color=alt.Color("kind:N", title=None, scale=alt.Scale(domain=[SEASONAL, "other"], range=["#e45756", NEUTRAL]),
                        legend=alt.Legend(orient="top")),
        tooltip=["unit:O", alt.Tooltip("forecast_change:Q", format=".4g"), alt.Tooltip("mase:Q", format=".3f"),
                 alt.Tooltip("mase_change:Q", format="+.3f"), "kind:N"],
    ).properties(title=chart_title("The units the forecast leans on", f"top {len(top)} of {len(table)} by the change "
                                   "when each is knocked out (its output held at 0 at every step)"),
                 width="container", height=110 + 30 * len(top))
