"""The scale package stays below the UI and loads its heavy engines only when used."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_scale_modules_import_no_streamlit_and_no_engine_until_used():
    code = ("import sys, lstm_forecast.cli, lstm_forecast.scale.panels, lstm_forecast.scale.sweep, "
            "lstm_forecast.scale.store, lstm_forecast.scale.ray_backend; "
            "print(sorted(m for m in ('streamlit', 'ray', 'optuna') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"
