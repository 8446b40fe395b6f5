"""The sweep page: a sweep's trials (parallel coordinates, score against trial, where pruning cut trials
short), the best settings against the defaults, and the best run opened with the main page's steps.

Sweeps run from the command line (`python -m lstm_forecast sweep ... --out DIR`); this page reads
their folders from the sweeps folder (LSTM_FORECAST_SWEEPS, default `sweeps/`) or a path typed in.
"""
from __future__ import annotations

import math
import os
from pathlib import Path

import streamlit as st

from ..errors import UserError
from ..evaluation.leaderboard import TIE_TOLERANCE
from ..pipeline import training_data
from ..runs import load_run, read_entry, run_folder, save_run
from ..scale.sweep import DEFAULT_SWEEPS_DIR, list_sweeps, read_sweep
from . import scale_charts
from .compare_step import show_comparison
from .inside_step import show_inside
from .render import show_chart
from .state import RunView, runs_dir
from .text import escape_markdown


def sweeps_dir() -> Path:
    return Path(os.environ.get("LSTM_FORECAST_SWEEPS", str(DEFAULT_SWEEPS_DIR)))


def input_sweep() -> Path | None:
    """Sidebar: a sweep folder from the sweeps folder, or a path typed in."""
    st.sidebar.header("Sweep")
    found = list_sweeps(sweeps_dir())
    typed = st.sidebar.text_input("Sweep folder", key="sweep_path",
                                  help="The --out of `python -m lstm_forecast sweep`; empty: pick one below.").strip()
    if typed:
        return Path(typed)
    if not found:
        st.info(f"No sweep in {escape_markdown(repr(str(sweeps_dir())))} yet. Run one, for example\n\n"
                "`python -m lstm_forecast sweep --sample seattle_hourly_temp --trials 20 --jobs 2 "
                f"--out {sweeps_dir() / 'hourly'}`\n\nand open this page again (or type its folder in the sidebar).")
        return None
    return Path(st.sidebar.selectbox("Sweeps found", [str(p) for p in found], key="sweep_pick",
                                     format_func=lambda p: Path(p).name))


def show_sweep(folder: Path) -> dict | None:
    """The trials and the verdict; returns the summary (None when the folder cannot be read)."""
    try:
        spec, summary, trials, curves = read_sweep(folder)
    except (UserError, OSError, ValueError) as exc:
        st.error(f"**Cannot read this sweep.** {escape_markdown(exc)}")
        return None
    st.header(f"Sweep · {escape_markdown(folder.name)}")
    st.caption(f"{escape_markdown(spec['data'].get('source') or spec['data']['kind'])} · every trial scored on validation origins "
               "(validation MASE: the error at the validation targets over the training part's seasonal-naive error); "
               "the holdout is read only when the best and the default settings are retrained at the end.")
    row = st.container(horizontal=True, gap="large")  # metrics wrap onto a new line rather than being cut
    row.metric("Trials", f"{summary.get('trials', len(trials))}",
               f"{summary.get('pruned', 0)} pruned, {summary.get('failed', 0)} failed", delta_color="off",
               width="content")
    best, default = summary.get("best") or {}, summary.get("default") or {}
    if best:
        row.metric("Best validation MASE", f"{best['score']:.4f}", f"trial {best['number']}", delta_color="off",
                   width="content")
    if default:
        gain = summary.get("validation_gain", math.nan)
        row.metric("Default settings", f"{default['score']:.4f}", *_gain_words(gain), width="content")
    if best.get("holdout_mase") is not None and default.get("holdout_mase") is not None:
        gain = summary.get("holdout_gain", math.nan)
        row.metric("Holdout: best / default", f"{best['holdout_mase']:.3f} / {default['holdout_mase']:.3f}",
                   *_gain_words(gain), width="content",
                   help=best.get("holdout_measure", "MASE on the holdout"))
    if summary.get("pruned"):
        st.caption(f"Pruning: {summary['pruned']} trials stopped after {summary['epochs_pruned_mean']:.1f} epochs on "
                   f"average, against {summary['epochs_complete_mean']:.1f} for the trials that ran to their end.")
    key = (str(folder), os.path.getmtime(folder / "trials.csv"))
    long = scale_charts.parallel_frame(trials)
    if len(long):
        show_chart(("sweep_parallel", *key), lambda: scale_charts.plot_parallel(long))
    shown = scale_charts.with_last_scores(trials, curves)
    c1, c2 = st.columns(2)
    with c1:
        show_chart(("sweep_scores", *key), lambda: scale_charts.plot_score_by_trial(shown))
    if len(curves):
        capped, note = scale_charts.cap_rows(curves)
        with c2:
            show_chart(("sweep_curves", *key), lambda: scale_charts.plot_curves(capped, note=note))
    with st.expander(f"Every trial ({len(trials)})"):
        st.dataframe(trials, hide_index=True, width="stretch")
    return summary


def show_best(folder: Path, summary: dict) -> None:
    """Open the best run beside the default one: the main page's compare and look-inside steps."""
    st.header("The best run")
    best_dir, default_dir = folder / "best", folder / "default"
    if summary.get("kind") == "panel":
        st.info(f"This sweep tuned a panel's global model: its best run is the panel folder {escape_markdown(repr(str(best_dir)))}. "
                "Open it on the Panels page (source: Saved panel run), after copying it into the panels folder.")
        return
    entry = read_entry(best_dir)
    if not entry.ok:
        st.info("The best run has not been saved yet: the sweep retrains it when its command finishes.")
        return
    if not st.toggle("Open the best run", key=f"sweep_open::{folder}",
                     help="Reloads the sweep's data and shows the best and the default runs side by side."):
        return
    try:
        best = load_run(best_dir)

        loaded = training_data(best)
    except UserError as exc:
        st.error(f"**Cannot open the best run.** {escape_markdown(exc)}")
        return
    views = {}
    for role, path in (("default settings", default_dir), ("best of the sweep", best_dir)):
        e = read_entry(path)
        if e.ok:
            run = best if path == best_dir else load_run(path)
            views[run.run_id] = RunView(run.run_id, f"{role} · {run.label}", run.config, run.metrics, run.info,
                                        "sweep folder", path, run)
    c1, c2 = st.columns([3, 1])
    c1.caption(f"Runs in {escape_markdown(str(folder))}: ordinary run folders, so the command line reads them too "
               f"(`python -m lstm_forecast inspect --run {best_dir} --out traces.csv`).")
    if c2.button("Copy the best run to the runs folder", help="So the main page lists it beside your other runs."):
        try:  # the run ID comes from the sweep folder's config.json: checked, so it cannot name a path out
            target = run_folder(runs_dir(), best.run_id)
            save_run(best, target, expect="")
            st.success(f"Copied to {escape_markdown(str(target))}.")
        except UserError as exc:
            st.error(escape_markdown(exc))
    show_comparison(loaded, views, [])
    show_inside(loaded, views)


def _gain_words(gain: float) -> tuple[str, str]:
    """(delta text, delta colour) of the best trial against the defaults: within the leaderboard's tie
    tolerance it is a tie, drawn without an arrow colour, not a green "0.0% better"."""
    if not math.isfinite(gain):
        return "not comparable", "off"
    if abs(gain) <= TIE_TOLERANCE:
        return f"a tie: within {TIE_TOLERANCE:.0%} ({gain:+.1%})", "off"
    return (f"best is {gain:.1%} better", "normal") if gain > 0 else (f"best is {-gain:.1%} worse", "inverse")
