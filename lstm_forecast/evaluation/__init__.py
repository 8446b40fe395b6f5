"""Evaluation has one home (DESIGN 14): baselines, metrics, intervals, backtests and the leaderboard.

Baselines follow the networks' contract (fit on a history, forecast from any origin), so every
method is scored, calibrated and ranked the same way.
"""
