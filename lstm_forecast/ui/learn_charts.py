"""Chart builders for the Learn page: a tidy DataFrame goes in, an Altair chart comes out.

Pure functions (DESIGN decision 7): they never train, load or draw, and never import Streamlit.
Every frame holds at most MAX_ROWS rows. Cells keep one colour in every chart (Vega's tableau10,
in the registry's order); gates use viridis on [0, 1] as the inspection charts do.
"""
from __future__ import annotations

from collections.abc import Sequence

import altair as alt
import numpy as np
import pandas as pd

from ..cells import CELLS

MAX_ROWS = 5_000
NEUTRAL = "gray"
TABLEAU10 = ("#4c78a8", "#f58518", "#e45756", "#72b7b2", "#54a24b",
             "#eeca3b", "#b279a2", "#ff9da6", "#9d755d", "#bab0ac")  # Vega's "tableau10"
CELL_LABELS = [cell.label for cell in CELLS.values()]
CELL_COLOURS = alt.Scale(domain=CELL_LABELS, range=list(TABLEAU10[: len(CELL_LABELS)]))
EVENT_COLOURS = alt.Scale(domain=["+1", "-1"], range=["#f58518", "#4c78a8"])
LANE_WIDTH = 330  # px of each memory-lane panel: two lanes side by side fit the wide layout
STEP_WIDTH = 620  # px of the stacked step charts (playground, real gates)


def _title(text: str, *parts: str) -> alt.TitleParams:
    subtitle = " · ".join(p for p in parts if p)
    return alt.Title(text, subtitle=subtitle, subtitleColor=NEUTRAL, anchor="start") if subtitle \
        else alt.Title(text, anchor="start")


def _check(frame: pd.DataFrame, columns: Sequence[str], builder: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{builder}: the frame lacks column(s) {missing}; it has {list(frame.columns)}")
    if len(frame) > MAX_ROWS:
        raise ValueError(f"{builder}: {len(frame):,} rows, more than the {MAX_ROWS:,} a chart may take; cut it first")


# ---------------------------------------------------------------- the race


def plot_race(results: pd.DataFrame, *, note: str = "") -> alt.LayerChart:
    """Accuracy against lag, one line per cell. results: label, lag, accuracy (0..1)."""
    _check(results, ["label", "lag", "accuracy"], "plot_race")
    lags = sorted(results["lag"].unique().tolist())
    x = alt.X("lag:Q", title="lag: steps between the event and the answer (log scale)",
              scale=alt.Scale(type="log", domain=[min(lags) * 0.8, max(lags) * 1.25], nice=False),
              axis=alt.Axis(values=lags, format="d", grid=False))
    y = alt.Y("accuracy:Q", title="accuracy on test sequences", scale=alt.Scale(domain=[0.4, 1.0]),
              axis=alt.Axis(format="%"))
    colour = alt.Color("label:N", title="cell", scale=CELL_COLOURS)
    tooltip = [alt.Tooltip("label:N", title="cell"), alt.Tooltip("lag:Q"), alt.Tooltip("accuracy:Q", format=".1%")]
    lines = alt.Chart(results).mark_line(point=alt.OverlayMarkDef(size=60, filled=True)).encode(
        x=x, y=y, color=colour, tooltip=tooltip)
    chance = alt.Chart(pd.DataFrame({"accuracy": [0.5], "text": ["coin toss"]}))
    rule = chance.mark_rule(strokeDash=[4, 4], color=NEUTRAL).encode(y="accuracy:Q")
    label = chance.mark_text(align="left", dx=4, dy=-6, color=NEUTRAL).encode(
        y="accuracy:Q", text="text:N", x=alt.value(0))
    return (rule + label + lines).properties(
        height=320, title=_title("Accuracy against lag", "the event exactly `lag` steps back", note))


def plot_memory_lane(lane: pd.DataFrame, *, cell_label: str, memory_title: str, keep_title: str | None,
                     unit: int, note: str = "") -> alt.VConcatChart:
    """One unit's memory (and keep gate) on the two probe runs, against steps since the event.

    lane: event ("+1"/"-1"), since_event, role ("memory" / "keep gate"), value.
    """
    _check(lane, ["event", "since_event", "role", "value"], "plot_memory_lane")
    x = alt.X("since_event:Q", title="steps since the event")
    colour = alt.Color("event:N", title="event", scale=EVENT_COLOURS, legend=alt.Legend(orient="top"))
    tooltip = [alt.Tooltip("event:N"), alt.Tooltip("since_event:Q", title="steps since event"),
               alt.Tooltip("value:Q", format=".3f")]
    event_rule = alt.Chart(pd.DataFrame({"since_event": [0]})).mark_rule(strokeDash=[3, 3], color=NEUTRAL).encode(x=x)
    memory = lane[lane["role"] == "memory"]
    top = (event_rule + alt.Chart(memory).mark_line(interpolate="step-after").encode(
        x=x, y=alt.Y("value:Q", title=memory_title), color=colour, tooltip=tooltip)).properties(
        width=LANE_WIDTH, height=170)
    panels = [top]
    keep = lane[lane["role"] == "keep gate"]
    if keep_title and len(keep):
        one = alt.Chart(pd.DataFrame({"value": [1.0]})).mark_rule(color=NEUTRAL, opacity=0.5).encode(y="value:Q")
        panels.append((one + alt.Chart(keep).mark_line(interpolate="step-after").encode(
            x=x, y=alt.Y("value:Q", title=keep_title, scale=alt.Scale(domain=[0, 1])), color=colour,
            tooltip=tooltip)).properties(width=LANE_WIDTH, height=100))
    return alt.vconcat(*panels).properties(title=_title(f"{cell_label}, unit {unit}", note))


def plot_event_gap(gap: pd.DataFrame, *, floor: float, note: str = "") -> alt.Chart:
    """How much of the event each network still holds, log scale. gap: label, since_event, gap (>= 0)."""
    _check(gap, ["label", "since_event", "gap"], "plot_event_gap")
    shown = gap.assign(gap=gap["gap"].clip(lower=floor))
    return alt.Chart(shown).mark_line().encode(
        x=alt.X("since_event:Q", title="steps since the event"),
        y=alt.Y("gap:Q", title="distance between the two runs' memories", scale=alt.Scale(type="log")),
        color=alt.Color("label:N", title="cell", scale=CELL_COLOURS),
        tooltip=[alt.Tooltip("label:N", title="cell"), alt.Tooltip("since_event:Q", title="steps since event"),
                 alt.Tooltip("gap:Q", format=".2e")],
    ).properties(height=260, title=_title(
        "What is left of the event", "||memory(+1 run) - memory(-1 run)|| over all units",
        f"drawn at {floor:.0e} where float32 has lost it", note))


# ---------------------------------------------------------------- gradients


def plot_gradients(frame: pd.DataFrame, *, floor: float, title: str, note: str = "", by: str = "label",
                   by_title: str = "cell") -> alt.Chart:
    """Gradient norm against distance, log scale. frame: `by`, k, mean_norm."""
    _check(frame, [by, "k", "mean_norm"], "plot_gradients")
    shown = frame.assign(mean_norm=frame["mean_norm"].clip(lower=floor))
    colour = alt.Color(f"{by}:N", title=by_title,
                       scale=CELL_COLOURS if set(shown[by]) <= set(CELL_LABELS) else alt.Undefined)
    return alt.Chart(shown).mark_line().encode(
        x=alt.X("k:Q", title="k: steps back from the last step"),
        y=alt.Y("mean_norm:Q", title="||d loss / d x(t-k)||, mean", scale=alt.Scale(type="log")),
        color=colour,
        tooltip=[alt.Tooltip(f"{by}:N", title=by_title), alt.Tooltip("k:Q"),
                 alt.Tooltip("mean_norm:Q", title="mean norm", format=".2e")],
    ).properties(height=280, title=_title(title, note))


# ---------------------------------------------------------------- steps of one unit


def plot_unit_steps(frame: pd.DataFrame, panels: Sequence[tuple[str, Sequence[str], bool]], *,
                    title: str, note: str = "", highlight: int | None = None) -> alt.VConcatChart:
    """Stacked panels of one unit's quantities over steps, sharing the step axis.

    frame: step, quantity, value. panels: (axis title, quantities shown, True for the [0, 1] gate scale).
    highlight: a step to mark in every panel.
    """
    _check(frame, ["step", "quantity", "value"], "plot_unit_steps")
    x = alt.X("step:Q", title="step", scale=alt.Scale(domain=[0, int(frame["step"].max())], nice=False))
    charts = []
    for axis_title, quantities, unit_interval in panels:
        rows = frame[frame["quantity"].isin(list(quantities))]
        y = alt.Y("value:Q", title=axis_title, scale=alt.Scale(domain=[0, 1]) if unit_interval else alt.Undefined)
        base = alt.Chart(rows).encode(
            x=x, y=y, color=alt.Color("quantity:N", title=None, sort=list(quantities),
                                      scale=alt.Scale(scheme="category10"),  # i, f, o apart at a glance
                                      legend=alt.Legend(orient="right")),
            tooltip=[alt.Tooltip("quantity:N"), alt.Tooltip("step:Q"), alt.Tooltip("value:Q", format=".3f")])
        layer = base.mark_line(interpolate="step-after") + base.mark_point(size=18, filled=True)
        if highlight is not None:
            layer = alt.Chart(pd.DataFrame({"step": [highlight]})).mark_rule(color=NEUTRAL, opacity=0.6).encode(
                x="step:Q") + layer
        charts.append(layer.properties(width=STEP_WIDTH, height=110))
    return alt.vconcat(*charts).resolve_scale(color="independent").properties(title=_title(title, note))


# ---------------------------------------------------------------- the cell diagram

# The LSTM cell as in the classic drawings, on a 100 x 64 canvas (y up): the cell state runs along
# the top (the conveyor belt), the gates sit below it, h(t-1) and x(t) come in along the bottom
# and feed every gate. Rows are the registry's walkthrough rows; `place` says where the label goes.
_NODES = {  # row: (x, y, shape, caption, place)
    "c_prev": (3, 56, "state", "c", "below"),
    "f*c_prev": (24, 56, "op", "×", "above-right"),
    "c": (48, 56, "op", "+", "above-right"),
    "i*g": (48, 38, "op", "×", "right"),
    "tanh(c)": (80, 45, "tanh", "tanh", "right"),
    "h": (80, 30, "op", "×", "below-right"),
    "f": (24, 18, "sigmoid", "σ", "below-right"),
    "i": (40, 18, "sigmoid", "σ", "below-right"),
    "g": (56, 18, "tanh", "tanh", "below-right"),
    "o": (68, 18, "sigmoid", "σ", "below-right"),
    "h_prev": (3, 6, "state", "h", "below"),
    "x_t": (12, -2, "state", "x", "right"),
}
_BUS_Y = 6  # h(t-1) and x(t) run along here
_JOIN_Y = 29  # i and g meet here on their way to their product
_NAMES = {"c_prev": "c(t-1)", "f*c_prev": "kept: f·c(t-1)", "i*g": "written: i·g", "c": "c(t)",
          "tanh(c)": "tanh(c(t))", "h": "h(t) = o·tanh(c)", "f": "forget gate f", "i": "input gate i",
          "g": "candidate g", "o": "output gate o", "h_prev": "h(t-1)", "x_t": "x(t)"}
_ROLES = {
    "c_prev": "the memory carried in from the step before",
    "f*c_prev": "what is kept of the old memory: f times c(t-1), unit by unit",
    "i*g": "what is written: the candidate g let through by the input gate i",
    "c": "the new memory c(t) = f·c(t-1) + i·g: the conveyor belt, changed only by a multiply and an add",
    "tanh(c)": "tanh squashes the memory into (-1, 1) before it is shown",
    "h": "what the cell shows: h(t) = o·tanh(c(t)), passed to the next step and to the layer above",
    "f": "a sigmoid (0..1) of x(t) and h(t-1): how much of the old memory to keep; 1 keeps all",
    "i": "a sigmoid (0..1) of x(t) and h(t-1): how much of the candidate to write",
    "g": "a tanh (-1..1) of x(t) and h(t-1): the signed value that could be written",
    "o": "a sigmoid (0..1) of x(t) and h(t-1): how much of the memory to show",
    "h_prev": "the hidden state from the step before, read by every gate",
    "x_t": "this step's input, read by every gate",
}
_PLACES = {  # label placement -> text mark properties (offsets in pixels)
    "below": dict(align="center", baseline="top", dx=0, dy=22),
    "right": dict(align="left", baseline="middle", dx=24, dy=0),
    "below-right": dict(align="left", baseline="top", dx=6, dy=22),
    "above-right": dict(align="left", baseline="bottom", dx=6, dy=-22),
}


def _wires(coupled: bool, peephole: bool) -> list[tuple[list[tuple[float, float]], str]]:
    """Polylines (points, style) between the nodes: style 'belt', 'wire' or 'peephole'."""
    at = {row: (x, y) for row, (x, y, *_) in _NODES.items()}
    (fx, fy), (ix, iy), (gx, gy), (ox, oy) = at["f"], at["i"], at["g"], at["o"]
    (mx, my), (hx, hy), (tx, ty), (cx, cy) = at["i*g"], at["h"], at["tanh(c)"], at["c"]
    belt_y = at["c_prev"][1]
    lines = [([at["c_prev"], (97, belt_y)], "belt"),
             ([at["f"], at["f*c_prev"]], "wire"),
             ([(ix, iy), (ix, _JOIN_Y), (gx, _JOIN_Y), (gx, gy)], "wire"),
             ([(mx, _JOIN_Y), (mx, my), (cx, cy)], "wire"),
             ([(tx, belt_y), (tx, ty), (hx, hy)], "wire"),
             ([(ox, oy), (ox, hy), (hx, hy)], "wire"),
             ([(hx, hy), (97, hy)], "wire"),
             ([at["h_prev"], (ox, _BUS_Y)], "wire"),
             ([at["x_t"], (at["x_t"][0], _BUS_Y)], "wire")]
    fed = ("f", "g", "o") if coupled else ("f", "i", "g", "o")
    lines += [([(at[g][0], _BUS_Y), at[g]], "wire") for g in fed]
    if coupled:  # i = 1 - f: the input gate has no weights of its own
        lines.append(([(fx, fy), (ix, iy)], "wire"))
    if peephole:  # i and f read c(t-1), o reads c(t)
        lines += [([(fx - 3, belt_y), (fx - 3, fy)], "peephole"), ([(ix - 3, belt_y), (ix - 3, iy)], "peephole"),
                  ([(ox - 3, belt_y), (ox - 3, oy)], "peephole")]
    return lines


def diagram_frames(values: dict[str, float], *, coupled: bool = False, peephole: bool = False,
                   x_text: str = "") -> tuple[pd.DataFrame, pd.DataFrame]:
    """Nodes (row, x, y, shape, caption, place, name, role, value, label, kind) and edges (x, y, x2, y2, style).

    values: one number per walkthrough row (one unit at one step; x_t may be left out and described by x_text).
    coupled: the input gate is 1 - f (no weights of its own); peephole: the gates also read the cell state.
    """
    nodes = []
    for row, (x, y, shape, caption, place) in _NODES.items():
        value = float(values.get(row, np.nan))
        if row == "i" and coupled:
            caption = "1−f"
        number = x_text if row == "x_t" and x_text else ("" if np.isnan(value) else f"{value:+.3f}")
        kind = "gate" if shape == "sigmoid" else ("state" if shape == "state" else "signed")
        nodes.append((row, x, y, shape, caption, place, _NAMES[row], _ROLES[row], value,
                      f"{_NAMES[row]}\n{number}" if number else _NAMES[row], kind))
    node_frame = pd.DataFrame(nodes, columns=["row", "x", "y", "shape", "caption", "place", "name", "role", "value",
                                              "label", "kind"])
    edges = [(*a, *b, style) for points, style in _wires(coupled, peephole) for a, b in zip(points, points[1:])]
    return node_frame, pd.DataFrame(edges, columns=["x", "y", "x2", "y2", "style"])


def plot_cell_diagram(nodes: pd.DataFrame, edges: pd.DataFrame, *, title: str, note: str = "",
                      width: int = 900) -> alt.LayerChart:
    """The LSTM cell drawn from diagram_frames: gates coloured by their live value (viridis on [0, 1]),
    signed values on blue-orange [-1, 1], the conveyor belt thick along the top."""
    _check(nodes, ["x", "y", "shape", "caption", "place", "name", "role", "value", "label", "kind"], "plot_cell_diagram")
    _check(edges, ["x", "y", "x2", "y2", "style"], "plot_cell_diagram")
    x_scale = alt.Scale(domain=[-3, 103], nice=False)
    y_scale = alt.Scale(domain=[-12, 66], nice=False)

    def at(chart: alt.Chart, **encodings) -> alt.Chart:
        return chart.encode(x=alt.X("x:Q", scale=x_scale, axis=None), y=alt.Y("y:Q", scale=y_scale, axis=None),
                            **encodings)

    tooltip = [alt.Tooltip("name:N", title="part"), alt.Tooltip("value:Q", format="+.4f"),
               alt.Tooltip("role:N", title="what it does")]

    def wires(style: str, **mark) -> alt.Chart:
        return at(alt.Chart(edges[edges["style"] == style]).mark_rule(**mark), x2="x2:Q", y2="y2:Q")

    layers = [wires("belt", strokeWidth=8, color="#f58518", opacity=0.55),
              wires("wire", strokeWidth=1.5, color=NEUTRAL),
              wires("peephole", strokeWidth=1.3, color=NEUTRAL, strokeDash=[4, 3])]
    box = dict(size=1400, strokeWidth=1.5, stroke=NEUTRAL, filled=True, opacity=1)
    layers.append(at(alt.Chart(nodes[nodes["kind"] == "gate"]).mark_point(shape="square", **box), tooltip=tooltip,
                     color=alt.Color("value:Q", scale=alt.Scale(scheme="viridis", domain=[0, 1]),
                                     title="gate: 0 shut … 1 open", legend=alt.Legend(orient="bottom"))))
    layers.append(at(alt.Chart(nodes[nodes["kind"] == "signed"]).mark_point(shape="circle", **box), tooltip=tooltip,
                     color=alt.Color("value:Q", scale=alt.Scale(scheme="blueorange", domain=[-1, 1], clamp=True),
                                     title="signed value: -1 … +1", legend=alt.Legend(orient="bottom"))))
    layers.append(at(alt.Chart(nodes[nodes["kind"] == "state"]).mark_point(
        shape="circle", size=700, filled=True, color=NEUTRAL, opacity=0.35), tooltip=tooltip))
    layers.append(at(alt.Chart(nodes).mark_text(fontSize=15, fontWeight="bold"), text="caption:N", tooltip=tooltip))
    for place, props in _PLACES.items():
        layers.append(at(alt.Chart(nodes[nodes["place"] == place]).mark_text(fontSize=12, lineBreak="\n", **props),
                         text="label:N"))
    ends = pd.DataFrame({"x": [97, 97], "y": [56, 30], "text": ["c(t) → next step", "h(t) →"]})
    layers.append(at(alt.Chart(ends).mark_text(align="right", baseline="bottom", dy=-7, fontSize=11, color=NEUTRAL),
                     text="text:N"))
    return alt.layer(*layers).resolve_scale(color="independent").properties(
        width=width, height=440, title=_title(title, note))
