"""The Learn page (pages/1_Learn.py): why LSTMs exist, shown on live values rather than told.

1. The cell, drawn from a trained run's own numbers at a chosen step, linked to the views that
   show each part on the whole series.
2. A gate playground: one unit whose gates the user sets by hand, then a trained run's real gates.
3. The long-memory race: every cell against the lag, and the memory lane of one lag.
4. Vanishing gradients, measured.

Runs come from this session and the runs folder (ui.state); heavy work runs only behind a button.
"""
from __future__ import annotations

import streamlit as st

from .learn_cell import show_cell
from .learn_playground import show_playground
from .learn_race import show_gradients, show_race
from .render import show_pages
from .state import all_runs

INTRO = (
    "An LSTM cell keeps a separate memory, the **cell state** c, that runs from step to step like a conveyor "
    "belt: each step only multiplies it by the **forget gate** and adds what the **input gate** lets in. The "
    "**output gate** decides how much of it to show. A vanilla RNN has no such belt: every step rewrites its "
    "whole state, so what it saw fades within a few steps, and so does the gradient that would teach it to "
    "remember. Below, each of these claims happens in front of you."
)


def show_learn_page() -> None:
    st.title("Learn: why LSTMs exist")
    show_pages()
    st.markdown(INTRO)
    views, _ = all_runs()
    show_cell(views)  # 1. the cell, live
    show_playground(views)  # 2. the gates by hand, then a trained run's
    show_race()  # 3. the long-memory race
    show_gradients(views)  # 4. vanishing gradients, measured
