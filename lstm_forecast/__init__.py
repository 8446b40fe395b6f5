"""lstm-forecast: forecast a series with LSTM / GRU / RNN and look inside the trained network.

Stages (one module each): data (load_csv, fetch_yahoo, samples) -> prepare -> model -> train ->
pipeline (train_run, apply_run, backtest) -> runs (save/load) -> inspect (traces, seasonal fold).
"""

__version__ = "0.1.0"
