"""Learn, sections 3 and 4: the long-memory race and the measured gradients.

The race trains 25 small networks behind a button (about a minute), reporting progress; its
result stays in the session. The gradients of freshly initialised networks take a fraction of a
second and are computed on first view.
"""
from __future__ import annotations

import uuid
from dataclasses import replace

import pandas as pd
import streamlit as st

from .. import cells
from ..errors import UserError
from ..pipeline import prepared_for
from ..runs import data_key
from . import learn_charts as charts
from .learn_runs import pick_run, run_series
from .render import show_chart
from .state import RunView, memo, open_run
from .text import escape_markdown

RACE = "learn_race"  # session key: the last RaceResult


@st.fragment
def show_race() -> None:
    from ..learn.memory import MemoryTask  # deferred: learn/memory.py imports torch
    from ..learn.race import LAGS  # deferred: learn/race.py imports torch

    task = MemoryTask(50)
    st.header("3. The long-memory race")
    st.markdown(
        f"Every sequence is noise, with one marked pulse of +1 or −1 somewhere; at the last step the network must say "
        f"which it was. In the test sequences the pulse is exactly **lag** steps back, with noise in between. Every cell "
        f"gets about the same number of weights, the same training batches and the same number of steps; each gated "
        f"cell's keep gate starts biased towards keeping (bias +1, as Keras does by default; −1 for the MGU's forget "
        f"gate, which keeps at 0). A coin toss scores 50%.")
    with st.form("learn_race_form", border=False):
        c1, c2, c3 = st.columns([3, 2, 1])
        lags_text = c1.text_input("Lags", ",".join(map(str, LAGS)), key="learn_race_lags",
                                  help="Steps between the pulse and the answer, separated by commas.")
        steps = c2.number_input("Training steps per network", 20, 5000, 300, 20, key="learn_race_steps",
                                help="Adam steps of 64 fresh sequences each, the same for every cell and lag.")
        seed = c3.number_input("Seed", 0, 100_000, 0, key="learn_race_seed")
        start = st.form_submit_button("Run the race", type="primary",
                                      help=f"{len(cells.CELLS)} cells × the lags above: about a minute with the "
                                           "defaults on two cores.")
    if start:
        _run(lags_text, int(steps), int(seed))
    result = st.session_state.get(RACE)
    if result is None:
        st.info(f"Press **Run the race**. The sequences look like this: {task.lead} noise steps, the pulse, then "
                "`lag` more noise steps, and the answer is read at the last one.")
        return
    _show_result(result)


def _run(lags_text: str, steps: int, seed: int) -> None:
    from ..learn.memory import parse_lags  # deferred: learn/memory.py imports torch
    from ..learn.race import RaceSettings, run_race  # deferred: learn/race.py imports torch

    try:
        base = RaceSettings()
        settings = RaceSettings(lags=parse_lags(lags_text),
                                training=replace(base.training, steps=steps, seed=seed))
    except UserError as exc:
        st.error(escape_markdown(exc))
        return
    bar = st.progress(0.0, text="Starting the workers…")

    def report(p) -> None:
        bar.progress(p.fraction, text=f"{p.finished} of {p.networks} networks trained · now {cells.get(p.cell).label} "
                                      f"at lag {p.lag} · {p.elapsed_s:.0f} s")

    result = run_race(settings, callback=report)
    bar.empty()
    result.info["key"] = uuid.uuid4().hex  # names its charts in the memo
    st.session_state[RACE] = result


def _show_result(result) -> None:
    settings = result.settings
    labels = {name: cells.get(name).label for name in settings.cells}
    frame = result.results.assign(label=result.results["cell"].map(labels))
    st.caption(f"{len(frame)} networks, {settings.training.steps} steps each, trained in {result.seconds:.0f} s "
               f"with {result.workers} worker process(es)" + (" · stopped early" if result.stopped else ""))
    show_chart(("learn_race", result.info["key"]), lambda: charts.plot_race(
        frame, note=f"{settings.test_size} test sequences per point · seed {settings.training.seed}"))
    with st.expander("The numbers, and each network's size"):
        table = (result.accuracy_table() * 100).round(1)
        table.index = [labels[c] for c in table.index]
        table.columns = [f"lag {lag}" for lag in table.columns]
        st.dataframe(table, width="stretch")
        st.dataframe(result.networks.drop(columns="cell").rename(columns={"seconds": "training seconds"}),
                     hide_index=True, width="stretch")
    lag = settings.traced_lag
    if result.lane.empty:
        return
    st.subheader(f"Memory lane at lag {lag}")
    st.markdown(
        f"The trained networks of lag {lag} read one noise sequence twice: once with a **+1** pulse, once with a "
        f"**−1** pulse, exactly {lag} steps before the answer. Everything that differs between the two runs is the "
        f"network's memory of the pulse. Each panel shows the unit that carries it best.")
    traced = list(dict.fromkeys(result.lane["cell"]))
    defaults = [c for c in ("lstm", "rnn") if c in traced] or traced[:2]
    columns = st.columns(2)
    for k, column in enumerate(columns):
        default = defaults[k] if k < len(defaults) else traced[0]
        name = column.selectbox("Cell", traced, index=traced.index(default), format_func=labels.get,
                                key=f"learn_lane_{k}")
        _lane(result, name, column)
    gap = _event_gap(result, labels)
    show_chart(("learn_gap", result.info["key"]), lambda: charts.plot_event_gap(gap, floor=1e-8))
    st.caption("The RNN's two runs become the same within a few steps: the noise has overwritten the pulse. "
               "The gated cells keep them apart across the whole gap.")


def _lane(result, name: str, where) -> None:
    from ..learn.memory import carrier_unit, lane, memory_quantity  # deferred: learn/memory.py imports torch

    cell = cells.get(name)
    unit = carrier_unit(result.traces, name)
    rows = lane(result.traces, name, unit)
    memory = memory_quantity(name)
    memory_title = f"cell state {cell.symbols[memory]}" if memory == "cell" else f"hidden state {cell.symbols[memory]}"
    keep_title = cell.keep_label if cell.keep_gate else None
    show_chart(("learn_lane", result.info["key"], name), lambda: charts.plot_memory_lane(
        rows, cell_label=cell.label, memory_title=memory_title, keep_title=keep_title, unit=unit), where=where)
    if cell.keep_gate is None:
        where.caption(f"{cell.keep_label}: nothing protects the state from the noise.")


def _event_gap(result, labels: dict[str, str]) -> pd.DataFrame:
    from ..learn.memory import event_gap  # deferred: learn/memory.py imports torch

    gap = event_gap(result.traces)
    return gap.assign(label=gap["cell"].map(labels))


@st.fragment
def show_gradients(views: list[RunView]) -> None:
    from ..learn.gradients import FLOOR, fresh_gradients  # deferred: learn/gradients.py imports torch

    st.header("4. Vanishing gradients, measured")
    st.markdown(
        "Training moves each weight by how much the loss at the last step changes with the input k steps back: "
        "**‖∂ loss / ∂ x(t−k)‖**. Where that has fallen a millionfold, the input k steps back has no say in what "
        "the network learns. Each line is the mean over 256 sequences, on a log scale.")
    result = st.session_state.get(RACE)
    sources = ["freshly initialised"] + ([f"trained in the race (lag {result.settings.traced_lag})"] if result else [])
    source = st.radio("Networks", sources, horizontal=True, key="learn_grad_source",
                      help="Fresh: the cells as built, before any training (equal parameter budgets, lag 100). "
                           "Trained: the race's networks of the traced lag, on their test sequences.")
    left, right = st.columns(2)
    if source == sources[0]:
        frame = memo(("learn_grad_fresh",), lambda: fresh_gradients(tuple(cells.CELLS)))
        note = "untrained · sequences of 105 steps · equal parameter budgets"
    else:
        frame = memo(("learn_grad_race", result.info["key"]), lambda: _race_gradients(result))
        note = f"trained on lag {result.settings.traced_lag} · its test sequences"
    show_chart(("learn_grad", source, result.info["key"] if result else ""), lambda: charts.plot_gradients(
        frame, floor=FLOOR, title="How far back the loss still reaches", note=note), where=left)
    with right:
        _run_gradients(views)


def _race_gradients(result) -> pd.DataFrame:
    from ..learn.gradients import memory_net_gradients  # deferred: learn/gradients.py imports torch

    task = result.settings.task(result.settings.traced_lag)
    frames = [memory_net_gradients(net, task, seed=result.settings.training.seed).assign(
        cell=name, label=cells.get(name).label) for name, net in result.models.items()]
    return pd.concat(frames, ignore_index=True)


def _run_gradients(views: list[RunView]) -> None:
    from ..learn.gradients import FLOOR  # deferred: learn/gradients.py imports torch

    view = pick_run(views, key="learn_grad_run", label="Your run",
                    help="The same measure for a trained forecaster: its own loss on its training windows.")
    if view is None:
        st.info("Train a run on the forecasting page to measure its gradients here too.")
        return
    try:
        run = open_run(view)
        loaded = run_series(view, run)
        frame = memo(("learn_grad_run", view.run_id, data_key(loaded)), lambda: _forecaster_frame(run, loaded))
    except UserError as exc:
        st.warning(escape_markdown(exc))
        return
    show_chart(("learn_grad_run", view.run_id, data_key(loaded)), lambda: charts.plot_gradients(
        frame, floor=FLOOR, by="label", by_title="run", title=f"{view.label}: across its lookback window",
        note=f"{cells.get(run.config.cell).label} · its {run.config.loss} loss · up to 256 training windows"))


def _forecaster_frame(run, loaded) -> pd.DataFrame:
    from ..learn.gradients import run_gradients  # deferred: learn/gradients.py imports torch

    return run_gradients(run, prepared_for(run, loaded)).assign(label=cells.get(run.config.cell).label)
