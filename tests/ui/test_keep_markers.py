"""The dashboard's data step on an air-quality-like upload: the fill warning, and the
'Keep marker values' checkbox that keeps -200 as a number."""
from pathlib import Path

from streamlit.testing.v1 import AppTest

from tests.data.test_fill_warning import air_quality_like

APP = str(Path(__file__).resolve().parents[2] / "app.py")
# 50 hours of -200 inside, and 5 more whose last 3 fall in the preview's last 5 rows.
GAPS = [(100, 150), (953, 958)]


def _fill_warnings(at: AppTest) -> list[str]:
    """The fill warnings shown, without the backslashes escape_markdown puts before ( ) ; : . -"""
    shown = [w.value.replace("\\", "") for w in at.warning]
    return [w for w in shown if "by interpolation; the largest gap" in w]


def _preview(at: AppTest):
    return next(d.value for d in at.dataframe if "CO(GT)" in d.value.columns)


def test_keep_markers_checkbox_turns_the_warning_off_and_keeps_minus_200(tmp_path, monkeypatch):
    monkeypatch.setenv("LSTM_FORECAST_RUNS", str(tmp_path / "runs"))
    at = AppTest.from_file(APP, default_timeout=180).run()
    at.sidebar.radio(key="source").set_value("Upload CSV").run()
    at.sidebar.file_uploader[0].set_value(("air.csv", air_quality_like(GAPS), "text/csv")).run()
    assert not at.exception and not at.error
    warned = _fill_warnings(at)
    assert len(warned) == 1 and "filled 55 of 960" in warned[0] and "50 steps" in warned[0]
    assert _preview(at)["CO(GT)"].min() > -200
    box = at.sidebar.checkbox(key="keep_markers")
    assert box.label == "Keep marker values" and "--keep-markers" in box.help
    box.check().run()
    assert not at.exception and not at.error
    assert not _fill_warnings(at)
    assert list(_preview(at)["CO(GT)"].tail(5)).count(-200.0) == 3
