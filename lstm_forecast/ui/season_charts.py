"""Chart builders for Look inside's season view: a quantity folded by phase and cycle, and the most seasonal units.

Pure, no Streamlit; the conventions (MAX_ROWS, `note`, layout, colour) are charts.py's. The heatmap
and the profiles share one phase axis (`_phase_x`), so they line up one above the other.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import altair as alt
import numpy as np
import pandas as pd

from .charts import (MAX_ROWS, NEUTRAL, TABLEAU10, aligned_y_axis, chart_title, check_frame, column_title,
                     fitted_domain, gradient_legend, hover_points, label_units, phase_label_expr, plain_phase,
                     signed_scale, sparse_labels, top_legend, unit_axis_title)


def _in_unit_interval(values: pd.Series) -> bool:
    return bool(values.dropna().between(-1e-6, 1 + 1e-6).all())


def cycle_names(starts: pd.Series) -> tuple[dict, str]:
    """starts: cycle -> its first time stamp. Each cycle's calendar name and the axis title:
    years for yearly seasons ('1949'), months, week starts or days for shorter ones."""
    if not pd.api.types.is_datetime64_any_dtype(starts) or len(starts) == 0:
        return {c: str(int(c) + 1) for c in starts.index}, "cycle"
    gaps = pd.Series(starts.sort_values().values).diff().dropna()
    gap = gaps.median() if len(gaps) else pd.Timedelta(0)
    for least, fmt, title in ((pd.Timedelta(days=360), "%Y", "year"), (pd.Timedelta(days=28), "%b %Y", "month"),
                              (pd.Timedelta(days=6), "%d %b %Y", "week starting"), (pd.Timedelta(days=1), "%d %b %Y", "day")):
        if gap >= least:
            return {c: t.strftime(fmt) for c, t in starts.items()}, title
    return {c: t.strftime("%d %b %Y %H:%M") for c, t in starts.items()}, "cycle starting"


def _phase_x(frame: pd.DataFrame, phase_label: str, period: int | None, *, start: str = "phase") -> dict:
    """The shared phase axis of the season view: quantitative, one unit per phase, over exactly
    [-0.5, period - 0.5], so a heatmap cell and a profile point of one phase sit at the same x."""
    n = int(period) if period else int(frame["phase"].max()) + 1 if len(frame) else 1
    label = plain_phase(phase_label)
    axis = alt.Axis(values=sparse_labels(list(range(n)), 24), labelExpr=phase_label_expr(phase_label),
                    labelAngle=0, grid=False, labelOverlap="greedy")
    return {"x": alt.X(f"{start}:Q", title=label, axis=axis, scale=alt.Scale(domain=[-0.5, n - 0.5], nice=False,
                                                                             zero=False))}


def plot_phase_cycle_heatmap(
    fold: pd.DataFrame, *, gate_label: str, phase_label: str, period: int | None = None,
    cycle_labels: Mapping | None = None, cycle_title: str = "cycle", fixed_scale: bool = False, note: str = ""
) -> alt.LayerChart:
    """fold[phase, cycle, value] -> phase (x) by cycle (y) heatmap of the mean value.

    Aggregates by itself, so any number of rows is accepted: duplicates of a (phase, cycle) are
    averaged, and cycles are grouped when phases x cycles would pass MAX_ROWS. A gate's colour is
    fitted to the values shown (`fixed_scale`: [0, 1]); signed values diverge about 0. The x axis is
    `_phase_x`'s, shared with plot_phase_profile. cycle_labels: cycle -> name ('1949'), see cycle_names.
    """
    check_frame(fold.head(0), ["phase", "cycle", "value"], builder="plot_phase_cycle_heatmap", arg="fold")
    cells = fold.groupby(["phase", "cycle"], as_index=False)["value"].mean()
    parts = ["colour: mean per phase and cycle"]
    cycles = np.sort(cells["cycle"].unique())
    n_phases = max(1, cells["phase"].nunique())
    if len(cells) > MAX_ROWS:
        group = math.ceil(len(cycles) / max(1, MAX_ROWS // n_phases))
        first = cycles[(np.searchsorted(cycles, cells["cycle"]) // group) * group]
        cells = cells.assign(cycle=first).groupby(["phase", "cycle"], as_index=False)["value"].mean()
        cycles = np.sort(cells["cycle"].unique())
        parts.append(f"cycles averaged in groups of {group}, each named by its first")
    check_frame(cells, [], builder="plot_phase_cycle_heatmap", arg="fold after averaging")
    names = {c: (cycle_labels or {}).get(c, str(int(c) + 1) if cycle_labels is None else str(c)) for c in cycles}
    cells = cells.assign(cycle_name=cells["cycle"].map(names), start=cells["phase"] - 0.5, end=cells["phase"] + 0.5)
    order = [names[c] for c in cycles]
    if _in_unit_interval(cells["value"]):
        domain, said = fitted_domain(cells["value"], fixed=fixed_scale)
        scale = alt.Scale(scheme="viridis", domain=domain)
        parts.append(said)
    else:
        scale = signed_scale(cells["value"])
    plabel = plain_phase(phase_label)
    chart = alt.Chart(cells).mark_rect().encode(
        **_phase_x(cells, phase_label, period, start="start"), x2="end:Q",
        y=alt.Y("cycle_name:O", title=cycle_title, sort=order, axis=aligned_y_axis(values=sparse_labels(order, 12))),
        color=alt.Color("value:Q", title=gate_label, scale=scale, legend=gradient_legend()),
        tooltip=[alt.Tooltip("phase:Q", title=plabel), alt.Tooltip("cycle_name:N", title=cycle_title),
                 alt.Tooltip("value:Q", title=gate_label, format=".3f")],
    )
    height = min(480, max(120, 22 * len(order))) + 190  # rows, plus title, legend and axis
    return alt.layer(chart).properties(title=chart_title(f"{gate_label} by {plabel} and {cycle_title}", *parts, note=note),
                                       width="container", height=height)


def plot_phase_profile(
    profile: pd.DataFrame, *, value_title: str, phase_label: str, period: int | None = None, gate: bool = True,
    fixed_scale: bool = False, note: str = ""
) -> alt.LayerChart:
    """profile[phase, mean, q25, q75, (unit)] -> mean line and 25-75% band over the phase.

    gate: a gate's profile (y fitted to the values, or [0, 1] with `fixed_scale`); else the series'
    own (gray). On `_phase_x`'s axis, so it lines up under plot_phase_cycle_heatmap.
    """
    check_frame(profile, ["phase", "mean", "q25", "q75"], builder="plot_phase_profile", arg="profile")
    title_text = column_title(value_title)
    unit_title = unit_axis_title(profile)
    if "unit" in profile.columns:
        profile, _ = label_units(profile)
    x = _phase_x(profile, phase_label, period)
    values = profile[["mean", "q25", "q75"]].stack()
    parts = ["line: mean over cycles; band: middle 50% of cycles"]
    if gate and _in_unit_interval(values):
        domain, said = fitted_domain(values, fixed=fixed_scale)
        scale = alt.Scale(domain=domain, nice=False, zero=False)
        parts.append(said.replace("scale", "y scale"))
    else:
        scale = alt.Scale(zero=False)
    by_unit = "unit" in profile.columns and profile["unit"].nunique() > 1
    if by_unit:
        base = alt.Chart(profile).encode(**x, color=alt.Color("unit:N", title=unit_title, legend=top_legend(),
                                                              scale=alt.Scale(range=list(TABLEAU10))))
        mark = {}
    else:
        base, mark = alt.Chart(profile).encode(**x), {"color": TABLEAU10[0] if gate else NEUTRAL}
    band = base.mark_area(opacity=0.3, **mark).encode(
        y=alt.Y("q25:Q", title=title_text, scale=scale, axis=aligned_y_axis(tickCount=4, titleLimit=240)), y2="q75:Q")
    line = base.mark_line(**mark).encode(y=alt.Y("mean:Q", title=title_text, scale=scale))
    plabel = plain_phase(phase_label)
    tooltip = [alt.Tooltip("phase:Q", title=plabel)] + ([alt.Tooltip("unit:N", title=unit_title)] if by_unit else [])
    tooltip += [alt.Tooltip(f"{c}:Q", format=".4~g") for c in ("mean", "q25", "q75")]
    hover = hover_points(line, tooltip, fields=["phase"], name="hover", **mark)
    what = f"{title_text} across the season" if gate else f"The series' own season: {title_text}"
    return alt.layer(band, line, hover).properties(
        title=chart_title(f"{what}, by {plabel}", *parts, note=note), width="container", height=250)


def plot_seasonality_scores(scores: pd.DataFrame, *, k: int = 10, note: str = "") -> alt.LayerChart:
    """scores[unit, score, amplitude, (layer)] -> bars of the top-k units by share of variance explained.

    Selects by itself, so any number of rows is accepted.
    """
    check_frame(scores.head(0), ["unit", "score", "amplitude"], builder="plot_seasonality_scores", arg="scores")
    unit_title = unit_axis_title(scores)
    labelled, _ = label_units(scores)
    top = labelled.dropna(subset=["score"]).nlargest(k, "score")
    bars = alt.Chart(top).mark_bar().encode(
        x=alt.X("score:Q", title="share of the gate's variance explained by the phase", scale=alt.Scale(domain=[0, 1]),
                axis=alt.Axis(format="%", tickCount=5)),
        y=alt.Y("unit:N", title=unit_title, sort="-x", axis=aligned_y_axis(labelOverlap=False)),
        tooltip=[alt.Tooltip("unit:N", title=unit_title), alt.Tooltip("score:Q", format=".1%"),
                 alt.Tooltip("amplitude:Q", format=".3f")],
    )
    title = chart_title("Most seasonal units", f"top {len(top)} of {len(scores)} units by score", note=note)
    return alt.layer(bars).properties(title=title, width="container", height=110 + 30 * len(top))
