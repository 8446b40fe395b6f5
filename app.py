"""lstm-forecast: bring a series, train LSTM / GRU / RNN forecasters, compare them honestly, look inside.

Run with `streamlit run app.py`. The page reads top to bottom as the user's path; every step's
heading shows from the start and says what it waits for.
"""
import streamlit as st

from lstm_forecast.ui.compare_step import runs_for, show_comparison
from lstm_forecast.ui.data_step import input_data, show_data
from lstm_forecast.ui.inside_step import show_inside
from lstm_forecast.ui.render import show_pages, show_waiting
from lstm_forecast.ui.train_step import input_config, show_config, show_last_training, train_now

st.set_page_config(page_title="lstm-forecast", page_icon="📈", layout="wide")
st.title("lstm-forecast")
st.caption("Forecast a series with an LSTM, GRU or RNN, judge it against honest baselines, and watch what its "
           "gates do over the seasons.")
show_pages()

st.header("1. Data")
loaded = input_data()  # the source in the sidebar, cached by content; what is missing is said here
if loaded is None:
    show_waiting()  # the steps to come, each saying that it waits for data
    st.stop()
st.session_state["current_data"] = loaded  # the Learn page (pages/1_Learn.py) draws runs trained on it
config, cells = input_config(loaded)  # 2. Configure: a form, so moving a slider never retrains
show_data(loaded)
show_config(config)
if config is not None and cells:
    train_now(loaded, config, cells)  # 3. Train, only when a train button was pressed
else:
    show_last_training(loaded)
runs, broken = runs_for(loaded)  # this session's and the runs folder's, listed once per rerun
show_comparison(loaded, runs, broken)  # 4. Forecast and compare
show_inside(loaded, runs)  # 5. Look inside
