"""Sweeps: every trial of a hyperparameter sweep, the best settings against the defaults, the best run opened."""
import streamlit as st

from lstm_forecast.ui.render import show_pages
from lstm_forecast.ui.sweep_step import input_sweep, show_best, show_sweep

st.set_page_config(page_title="lstm-forecast · sweeps", page_icon="📈", layout="wide")
st.title("Sweeps")
st.caption("Settings searched with Optuna (TPE, median pruning), each trial scored on validation origins.")
show_pages()

folder = input_sweep()
if folder is None:
    st.stop()
summary = show_sweep(folder)
if summary is not None:
    show_best(folder, summary)
