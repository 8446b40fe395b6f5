"""Panels: many series at once. One global model or one model per series, a scoreboard, any series opened."""
import streamlit as st

from lstm_forecast.ui.panel_step import (input_panel, input_panel_config, panel_runs_for, show_panel, show_scoreboard,
                                         show_series, train_panel_now)
from lstm_forecast.ui.render import show_pages

st.set_page_config(page_title="lstm-forecast · panels", page_icon="📈", layout="wide")
st.title("Panels: many series")
st.caption("Train one network across every series of a panel, or one per series, and score each series against "
           "its own baselines.")
show_pages()

panel = input_panel()  # 1. Panel (sidebar), cached by content
if panel is None:
    st.stop()
chosen = input_panel_config(panel)  # 2. a form: nothing trains until it is pressed
show_panel(panel)
if chosen is not None:
    train_panel_now(panel, *chosen)
entries = panel_runs_for(panel)
entry = show_scoreboard(entries)  # 3. Scoreboard
if entry is not None:
    show_series(panel, entries, entry)  # 4. Any series: compare and look inside
