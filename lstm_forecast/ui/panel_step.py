"""The panel page: load many series, train one global model or one per series, read the scoreboard,
then pick any series to compare and to look inside with the main page's own steps.

Every series of a panel run is an ordinary run, so step 4 (compare) and step 5 (look inside) are
called unchanged with that series' data and runs: gate and state traces work per series.
"""
from __future__ import annotations

import io
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import streamlit as st
from streamlit.runtime.scriptrunner_utils.exceptions import ScriptControlException

from ..config import CELLS, Config
from ..data.samples import load_sample, make_synthetic
from ..errors import UserError
from ..runs import distinct_labels, read_entry
from ..scale.panel import Panel, load_panel, load_panel_files, panel_from_series
from ..scale.panels import DEFAULT_PANELS_DIR, MODES, PanelRun, scoreboard, train_panel
from ..scale.store import panel_scores_of, save_panel, series_data, series_path
from . import scale_charts
from .compare_step import show_comparison
from .inside_step import show_inside
from .render import show_chart
from .state import RunView
from .text import escape_markdown

SOURCES = ("Demo panel", "Long CSV", "Several CSV files", "Saved panel run")


def panels_dir() -> Path:
    return Path(os.environ.get("LSTM_FORECAST_PANELS", str(DEFAULT_PANELS_DIR)))


@st.cache_data(show_spinner="Building the demo panel…", max_entries=2)
def demo_panel() -> Panel:
    """Two bundled samples and five generated series whose levels span 0.1 to 10,000."""
    series = {name: load_sample(name) for name in ("airline", "sunspots_yearly")}
    for i, (freq, periods, level) in enumerate([("h", (24,), 0.1), ("h", (24, 168), 10.0), ("D", (7,), 1000.0),
                                               ("MS", (12,), 50.0), ("D", (7,), 10_000.0)]):
        loaded = make_synthetic(400 if freq != "MS" else 180, freq=freq, periods=periods,
                                amplitudes=tuple(level * 0.2 for _ in periods), trend=level * 1e-4,
                                noise=level * 0.05, level=level, seed=i)
        loaded.source = f"synthetic-{i}"
        series[f"synthetic-{i}-{freq}"] = loaded
    return panel_from_series(series, source="demo panel")


@st.cache_data(show_spinner="Reading the panel…", max_entries=8)
def _long(data: bytes, name: str, id_col: str, date_col: str | None, value_col: str | None) -> Panel:
    buffer = io.BytesIO(data)
    buffer.name = name
    return load_panel(buffer, id_col=id_col, date_col=date_col, value_col=value_col)


@st.cache_data(show_spinner="Reading the files…", max_entries=8)
def _files(files: tuple[tuple[str, bytes], ...]) -> Panel:
    buffers = []
    for name, data in files:
        buffer = io.BytesIO(data)
        buffer.name = name
        buffers.append(buffer)
    return load_panel_files(buffers)


@st.cache_data(show_spinner="Reading the saved panel…", max_entries=4)
def _saved(folder: str, stamp: float) -> Panel:
    info, _ = panel_scores_of(folder)
    series = {sid: series_data(folder, sid) for sid in info.get("series", {})}
    return Panel(series, dict(info.get("problems", {})), info.get("source", "panel"), list(info.get("notes", [])),
                 info.get("id_col", "id"))


def input_panel() -> Panel | None:
    """Sidebar: where the panel comes from. Returns it, or None with a message shown."""
    st.sidebar.header("1. Panel")
    source = st.sidebar.radio("Source", SOURCES, key="panel_source",
                              help="A long CSV holds many series: an id column, a date column and the value.")
    try:
        if source == "Demo panel":
            return demo_panel()
        if source == "Long CSV":
            upload = st.sidebar.file_uploader("Long CSV", type=["csv", "txt", "tsv"], key="panel_upload")
            id_col = st.sidebar.text_input("Id column", "id", key="panel_id_col").strip() or "id"
            date_col = st.sidebar.text_input("Date column (detected when empty)", key="panel_date_col").strip() or None
            value_col = st.sidebar.text_input("Value column (first numeric when empty)", key="panel_value_col").strip() or None
            if upload is None:
                st.info("Upload a long CSV in the sidebar: one row per series and time stamp, with columns such as "
                        "`id, date, value` (and optional covariates).")
                return None
            return _long(upload.getvalue(), upload.name, id_col, date_col, value_col)
        if source == "Several CSV files":
            uploads = st.sidebar.file_uploader("CSV files, one series each", type=["csv", "txt", "tsv"],
                                               accept_multiple_files=True, key="panel_files")
            if not uploads:
                st.info("Upload two or more CSV files in the sidebar; each file's name becomes its series' id.")
                return None
            return _files(tuple((u.name, u.getvalue()) for u in uploads))
        saved = {folder: info for folder, (info, _) in saved_panels().items()}
        if not saved:
            st.info(f"No saved panel run in {escape_markdown(repr(str(panels_dir())))} yet: train one from another source first.")
            return None
        newest = sorted(saved, key=lambda f: saved[f].get("created", ""), reverse=True)
        folder = st.sidebar.selectbox("Panel run", [str(p) for p in newest], key="panel_saved",
                                      format_func=lambda f: _saved_label(saved[Path(f)]))
        return _saved(folder, os.path.getmtime(Path(folder) / "manifest.json"))
    except UserError as exc:
        st.error(f"**Could not load the panel.** {escape_markdown(exc)}")
        return None


def _saved_label(info: dict) -> str:
    return f"{info.get('source', '?')} · {info.get('mode', '?')} · {info.get('n_trained', '?')} series · {info.get('created', '')}"


def show_panel(panel: Panel) -> None:
    """What was loaded: series kept and left out, and every series' repairs."""
    st.header("1. Panel")
    report = panel.report()
    row = st.container(horizontal=True, gap="large")  # metrics wrap onto a new line rather than being cut
    row.metric("Series kept", f"{len(panel.series):,}", width="content")
    row.metric("Left out", f"{len(panel.problems):,}", width="content")
    row.metric("Points", f"{int(report['points'].sum()):,}", width="content")
    for note in panel.notes:
        st.caption(escape_markdown(note))
    if panel.problems:
        st.warning("**Left out:** " + "; ".join(f"{escape_markdown(k)}: {escape_markdown(v)}"
                                                 for k, v in panel.problems.items()))
    with st.expander(f"Every series and the loader's repairs ({len(report)})"):
        st.dataframe(report, hide_index=True, width="stretch")


@dataclass
class PanelEntry:
    """A panel run of this panel: trained in this session (run set) or read from the panels folder."""

    panel_id: str
    info: dict
    scores: pd.DataFrame
    run: PanelRun | None = None
    folder: Path | None = None

    @property
    def label(self) -> str:
        i = self.info
        emb = f" + embedding {i['embedding']}" if i.get("embedding") else ""
        return f"{i.get('mode')}{emb} · {i['config']['cell']} {i['config']['hidden']}×{i['config']['layers']} · {i.get('created', '')[11:19]}"


def session_panels() -> dict[str, PanelRun]:
    return st.session_state.setdefault("panel_runs", {})


def panel_runs_for(panel: Panel) -> dict[str, PanelEntry]:
    """Panel runs on exactly this panel (same series, same data), oldest first."""
    key = panel.key()
    out = {pid: PanelEntry(pid, r.info, r.scores(), r, r.path) for pid, r in session_panels().items()
           if r.info.get("panel_key") == key}
    for folder, (info, scores) in saved_panels().items():
        if info.get("panel_key") == key and info["panel_id"] not in out:
            out[info["panel_id"]] = PanelEntry(info["panel_id"], info, scores, None, folder)
    return dict(sorted(out.items(), key=lambda kv: kv[1].info.get("created", "")))


def saved_panels() -> dict[Path, tuple[dict, pd.DataFrame]]:
    """Good panel folders of the panels folder with their panel.json and scores, each folder read (and its
    manifest checked) again only when its manifest changes."""
    root = panels_dir()
    cached: dict = st.session_state.setdefault("_panel_index", {})
    out = {}
    for name in sorted(os.listdir(root)) if root.is_dir() else []:
        folder = root / name
        try:
            stamp = os.lstat(folder / "manifest.json").st_mtime_ns
        except OSError:
            continue
        hit = cached.get(folder)
        if hit is None or hit[0] != stamp:
            try:
                hit = (stamp, panel_scores_of(folder))
            except (UserError, OSError, ValueError):
                continue
            cached[folder] = hit
        out[folder] = hit[1]
    return out


def input_panel_config(panel: Panel) -> tuple[Config, str, int, str] | None:
    """The sidebar form: mode, embedding, backend and a few model settings. None until pressed."""
    st.sidebar.header("2. Train the panel")
    with st.sidebar.form("panel_config"):
        mode = st.radio("Mode", MODES, horizontal=True, help="Global: one network learns from every series' windows. "
                        "Per series: one ordinary model per series.")
        embedding = st.number_input("Per-series embedding (global)", 0, 32, 0,
                                    help="A learned vector per series, fed with its inputs (0: none).")
        cell = st.selectbox("Model", CELLS, format_func=str.upper)
        c1, c2 = st.columns(2)
        hidden = c1.number_input("Hidden units", 4, 256, 32, step=4)
        layers = c2.number_input("Layers", 1, 3, 1)
        epochs = c1.number_input("Max epochs", 1, 300, 30)
        horizon = c2.number_input("Horizon (0: chosen)", 0, 500, 0,
                                  help="Every series gets the same horizon; 0 takes the median the series choose.")
        backend = st.selectbox("Per-series fits run", ("local", "ray"),
                               help="ray: Ray tasks on a local instance, or the cluster at RAY_ADDRESS "
                                    "(pip install -r requirements-scale.txt).")
        pressed = st.form_submit_button("Train panel", type="primary", width="stretch")
    if not pressed:
        return None
    config = Config(cell=cell, hidden=int(hidden), layers=int(layers), epochs=int(epochs),
                    horizon=int(horizon) or None, threads=1)
    return config, mode, int(embedding), backend


def train_panel_now(panel: Panel, config: Config, mode: str, embedding: int, backend: str) -> None:
    """Train with live progress; the panel run is kept in the session and saved to the panels folder."""
    st.header("2. Train")
    box = st.status(f"Training {len(panel.series)} series ({mode})…", expanded=True, state="running")
    with box:
        bar = st.progress(0.0)
        text = st.empty()
    interrupt: list[BaseException] = []

    def on_epoch(p) -> bool:
        try:
            bar.progress(min((p.epoch - 1 + p.fraction) / p.epochs, 1.0))
            text.markdown(f"epoch {p.epoch}/{p.epochs} · validation {p.val_loss:.4f} (best {p.best_val_loss:.4f}) · "
                          f"{p.elapsed_s:.0f}s")
        except ScriptControlException as exc:
            interrupt.append(exc)
            return False
        return True

    def on_series(sid: str, done: int, total: int) -> None:
        bar.progress(done / total)
        text.markdown(f"fitted {done} of {total}: {escape_markdown(sid)}")

    try:
        run = train_panel(panel, config, mode=mode, embedding=embedding if mode == "global" else 0,
                          backend=backend if mode != "global" else "local", threads=1, callback=on_epoch,
                          on_series=on_series)
    except UserError as exc:
        box.update(label=f"Training failed: {exc}", state="error")
        return
    session_panels()[run.panel_id] = run
    try:
        save_panel(run, panels_dir() / run.panel_id, panel=panel)
    except UserError as exc:
        st.warning(f"Trained, but not saved: {escape_markdown(exc)}")
    board = run.scoreboard()
    if not interrupt:
        box.update(label=f"{len(run.runs)} series trained in {run.info['seconds']:.0f}s: geometric-mean relative "
                         f"MASE {board['geomean_relative_mase']:.3f}", state="complete", expanded=False)
    st.session_state["panel_selected"] = run.panel_id
    if interrupt:
        raise interrupt[0]


def show_scoreboard(entries: dict[str, PanelEntry]) -> PanelEntry | None:
    """The chosen panel run's scoreboard: geometric-mean relative MASE, share beating seasonal naive, the worst."""
    st.header("3. Scoreboard")
    if not entries:
        st.info("No panel run on this panel yet: press **Train panel** in the sidebar.")
        return None
    ids = list(entries)
    chosen = st.session_state.get("panel_selected")
    pid = st.selectbox("Panel run", ids, index=ids.index(chosen) if chosen in ids else len(ids) - 1,
                       format_func=lambda k: entries[k].label, key="panel_run")
    entry = entries[pid]
    board = scoreboard(entry.scores, entry.info.get("problems") or (entry.run.problems if entry.run else {}))
    row = st.container(horizontal=True, gap="large")  # metrics wrap onto a new line rather than being cut
    row.metric("Geometric-mean relative MASE", f"{board['geomean_relative_mase']:.3f}", width="content",
               help="Each series' MASE over its seasonal naive's, averaged geometrically: below 1 is better.")
    row.metric("Beat seasonal naive", f"{board['share_beating_seasonal_naive']:.0%}", width="content",
               help="Series whose MASE is more than 2% below seasonal naive's.")
    worst = board.get("worst") or {}
    row.metric("Worst series", str(worst.get("id", "–")), f"{worst.get('relative_mase', float('nan')):.2f}×",
               delta_color="off", width="content")
    row.metric("Series scored", f"{board['n_scored']}", f"{board['n_left_out']} left out", delta_color="off",
               width="content")
    c = entry.info["config"]
    st.caption(f"{escape_markdown(entry.info.get('mode'))} · horizon {c['horizon']}, lookback {c['lookback']} for every series · "
               f"trained in {entry.info.get('seconds', 0):.0f}s · scored on each series' last {c['horizon']} points "
               "against its own baselines")
    scores = entry.scores
    show_chart(("panel_rel", pid), lambda: scale_charts.plot_relative_mase(scores))
    with st.expander("Scores of every series"):
        st.dataframe(scores.drop(columns=["run_id"]), hide_index=True, width="stretch")
    return entry


def show_series(panel: Panel, entries: dict[str, PanelEntry], entry: PanelEntry) -> None:
    """Pick a series; compare every panel run's model on it with its baselines, and look inside."""
    st.header("Pick a series")
    scores = entry.scores.sort_values("relative_mase", ascending=False, na_position="last")
    ids = [i for i in scores["id"].astype(str) if i in panel.series]
    if not ids:
        st.info("None of this run's series is in the loaded panel.")
        return
    sid = st.selectbox("Series", ids, key="panel_series", help="Worst first (highest relative MASE).",
                       format_func=lambda i: f"{i} · relative MASE {_rel(scores, i)}")
    loaded = panel.series[sid]
    views = _series_views(entries, sid)
    if not views:
        st.info("No panel run has a model for this series.")
        return
    show_comparison(loaded, views, [])
    show_inside(loaded, views)


def _rel(scores: pd.DataFrame, sid: str) -> str:
    value = scores.loc[scores["id"].astype(str) == sid, "relative_mase"]
    return f"{float(value.iloc[0]):.2f}" if len(value) and np.isfinite(value.iloc[0]) else "–"


def _series_views(entries: dict[str, PanelEntry], sid: str) -> dict[str, RunView]:
    """Every panel run's model for series `sid`, as the compare and inside steps take runs."""
    views = []
    for entry in entries.values():
        prefix = entry.info.get("mode", "panel")
        if entry.run is not None and sid in entry.run.runs:
            r = entry.run.runs[sid]
            views.append(RunView(r.run_id, f"{prefix} · {r.label}", r.config, r.metrics, r.info, "this session",
                                 r.path, r))
        elif entry.folder is not None and sid in entry.info.get("series", {}):
            try:
                folder = series_path(entry.folder, entry.info, sid)
            except UserError:
                continue
            e = read_entry(folder, root=entry.folder / "series")
            if e.ok and e.run_id == entry.info["series"][sid].get("run_id"):  # not a run copied in from elsewhere
                views.append(RunView(e.run_id, f"{prefix} · {e.label}", Config.from_dict(e.config), e.metrics, e.info,
                                     "panels folder", folder))
    labels = distinct_labels([(v.run_id, v.label, v.config.to_dict()) for v in views])
    for v in views:
        v.label = labels[v.run_id]
    return {v.run_id: v for v in views}
