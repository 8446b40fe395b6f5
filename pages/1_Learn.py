"""The Learn page: why LSTMs exist, shown on live values (see lstm_forecast/ui/learn_page.py)."""
import streamlit as st

from lstm_forecast.ui.learn_page import show_learn_page

st.set_page_config(page_title="Learn · lstm-forecast", page_icon="🎓", layout="wide")
show_learn_page()
