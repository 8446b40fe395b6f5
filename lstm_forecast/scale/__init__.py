"""Many series and sweeps (DESIGN: scale/): panels, a global model across them, hyperparameter sweeps
with Optuna, and the same work on Ray.

  panel.py         a panel of series from one long CSV, several files or loaded series; bad series reported
  parts.py         one series' stages (prepare, windows, baselines, scoring) shared by the global model and sweeps
  global_model.py  one network across a panel: windows of every series, an optional per-series embedding
  panels.py        train a panel globally or per series, its scoreboard, its folder on disk
  trial.py         one sweep trial: train, score the network on validation origins after every epoch
  search_space.py  what a sweep searches, with ranges from the data
  study.py         what both sweep backends share: the Optuna import, sampler and pruner settings, seeds, counts
  sweep.py         Optuna sweeps scored on validation origins, stored in SQLite so they resume
  store.py         a panel run's folder on disk
  ray_backend.py   a panel's per-series fits as Ray tasks (an optional extra)
  ray_tune.py      a sweep's trials as Ray Tune trials, written into the same study
"""
