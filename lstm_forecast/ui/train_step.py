"""Steps 2 and 3: the configuration form (moving a slider never retrains) and training with live progress.

Stop: any click while a script runs makes Streamlit raise a control exception at the next st call.
The progress callback catches it, tells `fit` to stop (which keeps the best weights so far), the
run is finished and saved, and the exception is re-raised so Streamlit carries on as asked.
"""
from __future__ import annotations

import time
from dataclasses import replace
from typing import TYPE_CHECKING

import pandas as pd
import streamlit as st
from streamlit.runtime.scriptrunner_utils.exceptions import ScriptControlException

from ..cells import CELLS as REGISTRY
from ..config import CELLS, Config
from ..data.series import LoadedSeries
from ..data.source import Source, store_upload
from ..errors import UserError
from ..evaluation.kept import not_kept_note
from ..evaluation.leaderboard import TIE_TOLERANCE, verdict
from ..pipeline import train_run
from ..prepare import resolve
from ..runs import Run, data_key, run_folder, save_run
from . import forecast_charts
from .state import UPLOADED, UPLOADS_FOLDER, help_text, memo, runs_dir, session_runs
from .text import cell_label, escape_markdown

if TYPE_CHECKING:
    from ..train import Progress

DEVICES = ("auto", "cpu", "cuda", "mps")
THREADS = ("auto", 1, 2, 4, 8)


def _h(key: str) -> str:
    return help_text("config", key)


def input_config(loaded: LoadedSeries) -> tuple[Config | None, tuple[str, ...]]:
    """The sidebar form. Returns the config and the cells to train now (empty: nothing pressed)."""
    st.sidebar.header("2. Configure")
    try:
        defaults, _ = memo(("defaults", data_key(loaded)), lambda: resolve(Config(), loaded))
    except UserError as exc:
        st.sidebar.error(escape_markdown(exc))
        return None, ()
    n = len(loaded.frame)
    with st.sidebar.form("config"):
        cell = st.selectbox("Model", CELLS, format_func=lambda name: REGISTRY[name].label,
                            help="  \n".join(f"{c.label}: {c.help}." for c in REGISTRY.values()))
        c1, c2 = st.columns(2)
        lookback = c1.number_input("Lookback", 2, max(2, n // 2), min(defaults.lookback, max(2, n // 2)), help=_h("lookback"))
        horizon = c2.number_input("Horizon", 1, max(1, n // 4), min(defaults.horizon, max(1, n // 4)), help=_h("horizon"))
        hidden = c1.number_input("Hidden units", 2, 512, defaults.hidden, step=8, help=_h("hidden"))
        layers = c2.number_input("Layers", 1, 4, defaults.layers, help=_h("layers"))
        epochs = c1.number_input("Max epochs", 1, 500, defaults.epochs, help=_h("epochs"))
        seed = c2.number_input("Seed", 0, 10_000, defaults.seed, help=_h("seed"))
        lr = st.select_slider("Learning rate", [1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2], value=defaults.lr, help=_h("lr"))
        # The buttons come before the rarely changed settings, so they show without scrolling on a
        # 900-px-high window.
        one = st.form_submit_button("Train", type="primary", width="stretch",
                                    help="Train the model chosen above with these settings.")
        three = st.form_submit_button("Train LSTM, GRU and RNN", width="stretch",
                                      help="The same settings for all three cells: a fair comparison.")
        with st.expander("More: dropout, transforms, season, device"):
            dropout = st.slider("Dropout", 0.0, 0.5, defaults.dropout, 0.05, help=_h("dropout"))
            target = st.selectbox("Target", ("residual", "level"), help=_h("target"))
            log = st.selectbox("Log transform", ("auto", "on", "off"), help=_h("log"))
            difference = st.checkbox("Difference", help=_h("difference"))
            period = st.number_input("Season length (steps)", 1, max(1, n // 2), defaults.period, help=_h("period"))
            calendar = st.checkbox("Phase features", value=True, help=_h("calendar"))
            bidirectional = st.checkbox("Bidirectional encoder", help=_h("bidirectional"))
            covariates = st.multiselect("Covariates", loaded.covariate_cols, help=_h("covariates"))
            device = st.selectbox("Device", DEVICES, help=_h("device"))
            threads = st.selectbox("CPU threads", THREADS, help=_h("threads"))
    try:
        config = Config(value_col=loaded.value_col, cell=cell, lookback=int(lookback), horizon=int(horizon),
                        hidden=int(hidden), layers=int(layers), dropout=float(dropout), epochs=int(epochs),
                        seed=int(seed), lr=float(lr), target=target, log=log, difference=difference,
                        period=int(period), calendar=calendar, bidirectional=bidirectional,
                        covariates=list(covariates), device=device,
                        threads=None if threads == "auto" else int(threads))
    except UserError as exc:
        st.sidebar.error(escape_markdown(exc))
        return None, ()
    return config, (("lstm", "gru", "rnn") if three else (cell,) if one else ())


def training_record() -> dict:
    """This session's training status as a plain dict: active flag, notes per data, the runs to select.

    A click during training stops the script thread (fast reruns) and from then on every st call
    in that thread raises again, st.session_state included. So the finishing thread writes only to
    plain objects taken out of session state beforehand, and the new run reads the same objects.
    """
    return st.session_state.setdefault("training", {"active": False, "notes": {}, "selected": []})


def train_now(loaded: LoadedSeries, config: Config, cells: tuple[str, ...]) -> None:
    """Train each cell with live progress; each finished run is kept in the session and saved."""
    st.header("3. Train")
    record, runs = training_record(), session_runs()
    if record["active"]:  # a second click while the first training is still finishing
        wait_for_stopped_training()
        if record["active"]:
            st.warning("A training is still finishing; press Train again when it is done.")
            return
    key = data_key(loaded)
    record.update(active=True, selected=[])
    notes = record["notes"].setdefault(key, [])
    notes.clear()
    stop = st.empty()
    stop.button("Stop training", key="stop", help="Stops at once and keeps the best model so far.")
    try:
        for cell in cells:
            run, interrupt = _train_one(loaded, replace(config, cell=cell), notes)
            if run is not None:
                runs[run.run_id] = run  # no st call: this may run after a stop request
                problem = save_or_reason(run)
                if problem:
                    notes.append(problem)  # shown as a warning on every rerun (show_last_training)
                    if interrupt is None:
                        st.error(escape_markdown(problem))
                record["selected"].append(run.run_id)
            if interrupt is not None:
                raise interrupt  # let Streamlit carry out the click that stopped us
    finally:
        record["active"] = False
    stop.empty()


def save_or_reason(run: Run) -> str:
    """Save a finished run to the runs folder; "" when saved, else why not (the run stays in the session).

    Never raises for a failed write: a trained model is kept in memory whatever the disk does.
    A run on an uploaded CSV stores the upload's bytes in the runs folder's `.data` first (once per
    content), so its origin names a file that `inspect --run` and `backtest --run` reopen."""
    try:
        _store_upload(run)
        save_run(run, run_folder(runs_dir(), run.run_id), expect="",
                 setting="runs folder (the LSTM_FORECAST_RUNS variable; restart the dashboard after setting it)")
    except UserError as exc:
        return (f"{cell_label(run.config.cell)} is trained and kept in this session, but not saved to the runs "
                f"folder, so it is lost when the session ends: {exc}")
    except OSError as exc:
        return (f"{cell_label(run.config.cell)} is trained and kept in this session, but not saved to the runs "
                f"folder ({exc.strerror or exc}), so it is lost when the session ends")
    return ""


def _store_upload(run: Run) -> None:
    origin = run.info.get("origin") or {}
    if origin.get("kind") != "upload":
        return
    data = (st.session_state.get(UPLOADED) or {}).get(origin.get("sha256"))
    if data is None:  # the upload was replaced meanwhile: the run says so when reopened
        return
    stored = store_upload(Source.from_dict(origin), data, runs_dir() / UPLOADS_FOLDER)
    run.info["origin"] = stored.to_dict()


def wait_for_stopped_training(timeout_s: float = 300) -> None:
    """A click during training starts a new script run at once while the old one is still finishing
    the run with its best weights; wait for it, so this run shows the result."""
    record = training_record()
    if not record["active"]:
        return
    with st.spinner("Stopping: finishing the run with the best weights so far…"):
        deadline = time.monotonic() + timeout_s
        while record["active"] and time.monotonic() < deadline:
            time.sleep(0.1)


def _train_one(loaded: LoadedSeries, config: Config, notes: list[str]) -> tuple[Run | None, BaseException | None]:
    label = cell_label(config.cell)
    box = st.status(f"Training {label}…", expanded=True, state="running")
    # Not `with box:`: leaving that block marks the status complete (a check mark while it trains).
    bar = box.progress(0.0)
    text = box.empty()
    chart = box.empty()
    rows: list[dict] = []
    interrupt: list[BaseException] = []

    def on_progress(p: Progress) -> bool:
        try:
            bar.progress(min((p.epoch - 1 + p.fraction) / p.epochs, 1.0))
            if p.end_of_epoch:
                rows.append({"epoch": p.epoch, "train_loss": p.train_loss, "val_loss": p.val_loss})
                chart.altair_chart(forecast_charts.plot_losses(pd.DataFrame(rows)), width="stretch")
            done = f"validation {p.val_loss:.4f} (best {p.best_val_loss:.4f})" if rows else "first epoch"
            text.markdown(f"**{label}** epoch {p.epoch}/{p.epochs} · {done} · {p.elapsed_s:.0f}s elapsed, "
                          f"about {p.eta_s:.0f}s left at the current pace (early stopping may end sooner) · "
                          f"{p.threads} CPU thread{'s' * (p.threads > 1)}")
        except ScriptControlException as exc:  # a click (Stop, or any widget) arrived: finish cleanly
            interrupt.append(exc)
            return False
        return True

    try:
        run = train_run(loaded, config, callback=on_progress)
    except UserError as exc:
        box.update(label=f"{label}: {exc}", state="error")
        st.error(f"**Training {label} failed.** {escape_markdown(exc)}")
        return None, None
    note = summary(run)
    notes.append(note)
    if not interrupt:
        box.update(label=note, state="complete", expanded=False)
    return run, (interrupt[0] if interrupt else None)


def summary(run: Run) -> str:
    """One line: the run's MASE against seasonal naive and the best baseline (beats / ties / loses), and how
    training ended."""
    m, baselines = run.metrics["model"], run.metrics["baselines"]
    naive = baselines["seasonal_naive"]["mase"]
    best_name = min(baselines, key=lambda k: baselines[k]["mase"] if baselines[k]["mase"] is not None else float("inf"))
    best = baselines[best_name]["mase"]
    against = f"{verdict(m['mase'], naive)} seasonal naive ({naive:.3f})"
    if best_name != "seasonal_naive":
        against += f", {verdict(m['mase'], best)} the best baseline, {best_name} ({best:.3f})"
    unused = not_kept_note(cell_label(run.config.cell), run.metrics, run.info)
    if unused:  # its scores are its base's: no verdict of the network's own
        return (f"{unused} (MASE {m['mase']:.3f}) · best epoch {run.info['best_epoch']} of {run.info['epochs_run']} "
                f"({run.info['stopped']}) · {run.info['train_seconds']:.1f}s on {run.info['device']}")
    return (f"{cell_label(run.config.cell)}: MASE {m['mase']:.3f}, {against} · best epoch {run.info['best_epoch']} "
            f"of {run.info['epochs_run']} ({run.info['stopped']}) · {run.info['train_seconds']:.1f}s on "
            f"{run.info['device']}")


def show_config(config: Config | None) -> None:
    """Step 2 on the page: the settings the sidebar holds now, in one line."""
    st.header("2. Configure")
    if config is None:
        st.caption("Waits for settings that fit this series: see the message in the sidebar.")
        return
    layers = f"{config.layers} layers" if config.layers > 1 else "1 layer"
    st.caption(f"In the sidebar: {cell_label(config.cell)}, {config.hidden} units × {layers}, reads the last "
               f"{config.lookback} steps to forecast the next {config.horizon}, season {config.period} steps, "
               f"up to {config.epochs} epochs. Change them there; nothing trains until you press **Train**.")


def show_last_training(loaded: LoadedSeries) -> None:
    """Step 3 when nothing is training: this session's last outcome on this data, kept across reruns,
    or what the step waits for."""
    wait_for_stopped_training()
    notes = training_record()["notes"].get(data_key(loaded), [])
    st.header("3. Train")
    if not notes:
        st.caption("Waits for a press on **Train** (or **Train LSTM, GRU and RNN**) in the sidebar. "
                   "Training shows its progress here and can be stopped at any time.")
        return
    for note in notes:
        winning = " beats seasonal naive" in note and "loses to" not in note and "not used" not in note
        show = st.error if "not saved" in note else st.success if winning else st.warning
        show(escape_markdown(note))
    st.caption(f"MASEs within {TIE_TOLERANCE:.0%} of each other tie: a smaller gap is noise on one holdout.")
    if any("stopped by user" in note for note in notes):
        st.caption("Stopped early: the model kept is the one from the best validation epoch so far.")
