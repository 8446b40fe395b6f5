"""What every chart builder of the dashboard shares: its limits, palette, axes, titles and legends.

The builders live by view: forecast_charts.py (the series, the training, the forecasts and their
comparison), season_charts.py (Look inside's season view) and inside_charts.py (Look inside's views
over time, saturation and the walkthrough); learn_charts.py and scale_charts.py serve the Learn page
and the panels. All are pure functions (DESIGN decision 7): a tidy DataFrame goes in, an Altair chart
comes out; they never train, load or draw, and never import Streamlit.
Every frame a builder is given may hold at most ``MAX_ROWS`` rows: downsample with
``lstm_forecast.inspect.time_bins.downsample`` first. A builder that aggregates by itself is the
exception, and it says on the chart what it did. Every builder takes ``note``, the caller's own
words for the subtitle (e.g. "mean over 20-step bins").

Layout. Every builder returns one view or a layer of views with width "container", so it fits its
column at any width: Vega-Lite cannot fit a concatenation to its container (it overflows and logs
`Autosize "fit" only works for single views`). Charts read one above the other (the season view,
states along the series, gates and states over time) share their x scale, reserve exactly
``AXIS_EXTENT`` px for the y axis and keep legends above or below the plot, so their plots line up.

Colour, on light and dark themes alike (no text or background colour is hard-coded):
- one colour per method in every chart (`forecast_charts.method_colours`): models solid, in Okabe &
  Ito's colour-blind-safe palette (one colour per cell); baselines thinner and dashed, in Paul Tol's
  muted scheme; the actual series gray;
- gates on ``viridis``, fitted to the values shown, or on the fixed domain [0, 1] on request;
- signed states on ``blueorange``, symmetric about 0.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Sequence

import altair as alt
import numpy as np
import pandas as pd

MAX_ROWS = 5_000  # rows per frame; Altair refuses more, and the browser slows down well before
NEUTRAL = "gray"  # the actual series, rules and shading: readable on light and dark themes
AXIS_EXTENT = 64  # px every y axis takes for its ticks and labels, so charts in one column line up
Y_TITLE_LIMIT = 160  # px of a y axis title: no stacked chart is lower than 170 px
SUBTITLE_CHARS = 90  # characters per subtitle line: one line fits a 500-px column in Vega's 11-px font
TABLEAU10 = ("#4c78a8", "#f58518", "#e45756", "#72b7b2", "#54a24b",
             "#eeca3b", "#b279a2", "#ff9da6", "#9d755d", "#bab0ac")  # Vega's "tableau10", for units
# A time axis label per tick: the year on 1 January, month and year on other month starts, the day
# on other midnights, the clock time otherwise; so hourly data over years still shows its years.
TIME_LABELS = ("timeFormat(datum.value, hours(datum.value) || minutes(datum.value) ? '%H:%M' : "
               "date(datum.value) !== 1 ? '%d %b' : month(datum.value) ? '%b %Y' : '%Y')")


# ---------------------------------------------------------------- helpers


def encode_time(frame: pd.DataFrame, field: str = "timestamp", *, channel=alt.X, **kwargs):
    """Encode a time column on `channel`: `:T` for datetimes, `:Q` titled "step" for integer steps.

    A datetime axis labels every tick with what a reader needs (TIME_LABELS: years stay visible).
    """
    column = frame[field]
    if pd.api.types.is_datetime64_any_dtype(column):
        kwargs.setdefault("title", "time")
        if channel is alt.Tooltip:
            kwargs.setdefault("format", "%Y-%m-%d %H:%M")
        elif channel is alt.X:
            kwargs.setdefault("axis", alt.Axis(labelExpr=TIME_LABELS, labelOverlap="greedy", labelSeparation=4))
        return channel(f"{field}:T", **kwargs)
    if pd.api.types.is_numeric_dtype(column):
        kwargs.setdefault("title", "step")
        return channel(f"{field}:Q", **kwargs)
    raise ValueError(f"column {field!r} has dtype {column.dtype}; pass datetimes or integer steps")


def time_scale(domain: Sequence | None = None) -> alt.Scale:
    """An x scale over exactly `domain` (first, last time or step), so charts read one above the other align."""
    if domain is None:
        return alt.Scale(nice=False)
    first, last = domain
    if isinstance(first, (pd.Timestamp, np.datetime64)):
        return alt.Scale(domain=[_datetime(first), _datetime(last)], nice=False)
    return alt.Scale(domain=[float(first), float(last)], nice=False)


def _datetime(value) -> alt.DateTime:
    """A Vega-Lite date-time in local time, as Vega reads the data's own time stamps."""
    t = pd.Timestamp(value)
    return alt.DateTime(year=t.year, month=t.month, date=t.day, hours=t.hour, minutes=t.minute, seconds=t.second)


_NAMED_PHASES = {  # calendar phases are 0-based numbers in the data; axes and sentences show what a reader expects
    "month of year": ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
    "day of week": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
    "weekday": ("Mon", "Tue", "Wed", "Thu", "Fri"),
}
_PHASE_NAMES = {  # the same as Vega label expressions
    **{label: f"{list(names)!r}[datum.value]" for label, names in _NAMED_PHASES.items()},
    "quarter of year": "'Q' + (datum.value + 1)",
    "week of year": "datum.value + 1",
    "day of year": "datum.value + 1",
}


def phase_text(phase_label: str, phase: int) -> str:
    """One phase in words, as its axis shows it: 'Jul' (month of year 6), 'Q3', 'week 5', 'hour 7'."""
    names = _NAMED_PHASES.get(phase_label)
    if names is not None and 0 <= phase < len(names):
        return names[phase]
    if phase_label == "quarter of year":
        return f"Q{phase + 1}"
    if phase_label in ("week of year", "day of year"):
        return f"{phase_label.split()[0]} {phase + 1}"
    unit = phase_label.split(" of ")[0] if " of " in phase_label else "step"
    return f"{unit} {phase}"


def plain_phase(phase_label: str) -> str:
    """The phase axis in words: 'step mod 127' becomes 'step within the 127-step season'."""
    if phase_label.startswith("step mod "):
        return f"step within the {phase_label.removeprefix('step mod ')}-step season"
    return phase_label


def column_title(name: object) -> str:
    """A column name fit for a title: a bare number or symbol ('0') becomes 'value of column 0'."""
    text = str(name).strip()
    return text if any(ch.isalpha() for ch in text) else f"value of column {text or repr(name)}"


def phase_label_expr(phase_label: str):
    """A Vega label expression naming calendar phases (Jan.., Mon..), or Undefined to show the number."""
    return _PHASE_NAMES.get(phase_label, alt.Undefined)


def check_frame(frame: pd.DataFrame, columns: Sequence[str], *, builder: str, arg: str) -> None:
    """Raise ValueError if `frame` lacks a column or holds more than MAX_ROWS rows."""
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{builder}: {arg} lacks column(s) {missing}; it has {list(frame.columns)}")
    if len(frame) > MAX_ROWS:
        raise ValueError(
            f"{builder}: {arg} has {len(frame):,} rows, more than the {MAX_ROWS:,} a chart may take; "
            "downsample it first with lstm_forecast.inspect.time_bins.downsample"
        )


def chart_title(text: str, *parts: str, note: str = "") -> alt.TitleParams:
    """A left-anchored title whose subtitle lines join the non-empty `parts` and the caller's `note`,
    wrapped at SUBTITLE_CHARS so that a narrow column shows all of it."""
    subtitle = textwrap.wrap(" · ".join(p for p in (*parts, note) if p), SUBTITLE_CHARS, break_on_hyphens=False)
    if subtitle:  # Streamlit's theme colours the title but not the subtitle; gray reads on both
        return alt.Title(text, subtitle=subtitle, subtitleColor=NEUTRAL, anchor="start")
    return alt.Title(text, anchor="start")


def aligned_y_axis(**kwargs) -> alt.Axis:
    """A y axis taking exactly AXIS_EXTENT px, so stacked charts' plots start at the same x; its title is cut
    with an ellipsis at Y_TITLE_LIMIT px (a longer one squashed the plot to a line: a 62-character gate name)."""
    kwargs.setdefault("labelLimit", AXIS_EXTENT - 8)
    kwargs.setdefault("titleLimit", Y_TITLE_LIMIT)
    return alt.Axis(minExtent=AXIS_EXTENT, maxExtent=AXIS_EXTENT, **kwargs)


def top_legend(**kwargs) -> alt.Legend:
    """A legend above the plot, so it never takes width from it (charts in a column stay aligned)."""
    kwargs.setdefault("orient", "top")
    kwargs.setdefault("titleLimit", 400)
    kwargs.setdefault("labelLimit", 260)
    return alt.Legend(**kwargs)


def gradient_legend(**kwargs) -> alt.Legend:
    """A horizontal colour gradient above the plot."""
    return top_legend(direction="horizontal", gradientLength=180, **kwargs)


def fitted_domain(values: pd.Series, *, fixed: bool) -> tuple[list[float], str]:
    """Domain of a gate's scale: [0, 1] when `fixed`, else the values' range; and words saying which."""
    if fixed:
        return [0.0, 1.0], "fixed 0-1 scale"
    finite = values[np.isfinite(values)] if len(values) else values
    lo, hi = (float(finite.min()), float(finite.max())) if len(finite) else (0.0, 1.0)
    if hi - lo < 1e-6:
        lo, hi = lo - 0.005, hi + 0.005
    return [lo, hi], f"scale fitted to the values shown, {lo:.2f} to {hi:.2f}"


def signed_scale(values: pd.Series) -> alt.Scale:
    """Diverging colour on a domain symmetric about 0, so 0 is the neutral middle."""
    reach = float(np.nanmax(np.abs(values))) if len(values) else 0.0
    reach = reach if np.isfinite(reach) and reach > 0 else 1.0
    return alt.Scale(scheme="blueorange", domain=[-reach, reach])


def hover_points(base: alt.Chart, tooltip: list, *, fields: Sequence[str], name: str, **mark) -> alt.Chart:
    """Points that appear at the pointer's nearest x and carry the tooltip; the line stays clean."""
    hover = alt.selection_point(
        name=name, nearest=True, on="pointerover", clear="pointerout", fields=list(fields), empty=False
    )
    return (
        base.mark_point(filled=True, size=50, clip=True, **mark)
        .encode(opacity=alt.when(hover).then(alt.value(1)).otherwise(alt.value(0)), tooltip=tooltip)
        .add_params(hover)
    )


def ordered_unique(values: pd.Series | Sequence, first: Sequence[str]) -> list:
    """Unique `values`: those named in `first` in that order, then the rest as they appear."""
    present = list(pd.unique(pd.Series(list(values), dtype=object)))
    return [v for v in first if v in present] + [v for v in present if v not in first]


def sparse_labels(values: Sequence, max_labels: int = 12) -> list:
    """Every k-th of `values` so at most `max_labels` axis labels show."""
    step = max(1, math.ceil(len(values) / max_labels))
    return list(values)[::step]


def label_units(frame: pd.DataFrame) -> tuple[pd.DataFrame, list]:
    """Unit labels as "layer · unit" (layers counted from 1) when several layers are present, and their order."""
    if "layer" in frame.columns and frame["layer"].nunique() > 1:
        keys = frame[["layer", "unit"]].drop_duplicates().sort_values(["layer", "unit"])
        order = [f"{layer + 1} · {unit}" for layer, unit in keys.itertuples(index=False)]
        labels = (frame["layer"] + 1).astype(str) + " · " + frame["unit"].astype(str)
        return frame.assign(unit=labels), order
    return frame, sorted(pd.unique(frame["unit"]))


def unit_axis_title(frame: pd.DataFrame) -> str:
    return "layer · unit" if "layer" in frame.columns and frame["layer"].nunique() > 1 else "unit"
