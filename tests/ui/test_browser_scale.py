"""The Panels and Sweeps pages in Chromium: a demo panel trained globally, its scoreboard and one series
opened with the main page's steps; a small sweep's trials. Screenshots go to $SCREENSHOT_DIR."""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.ui.test_browser import chromium_page, streamlit_server, _assert_healthy, _settle, _why_no_browser

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(_why_no_browser() is not None, reason=str(_why_no_browser()))


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    """Runs, panels and sweeps folders; the sweeps folder holds one small finished sweep."""
    pytest.importorskip("optuna", reason="pip install -r requirements.txt")
    from lstm_forecast.config import Config
    from lstm_forecast.scale.sweep import run_sweep
    from tests.factories import sine_series

    root = tmp_path_factory.mktemp("scale")
    run_sweep(sine_series(n=300), Config(epochs=5, patience=5, epoch_windows=256, base="seasonal_naive"),
              root / "sweeps" / "sine", 5, cells=("lstm", "gru"))
    return root


@pytest.fixture(scope="module")
def server(folders):
    env = {"LSTM_FORECAST_RUNS": str(folders / "runs"), "LSTM_FORECAST_PANELS": str(folders / "panels"),
           "LSTM_FORECAST_SWEEPS": str(folders / "sweeps")}
    with streamlit_server(env, folders / "streamlit.log") as url:
        yield url


@pytest.fixture(scope="module")
def page(server, console):
    with chromium_page(console, viewport={"width": 1400, "height": 2400}) as page:
        page.server = server
        yield page


def test_panel_scoreboard_and_one_series_in_chromium(page, shots, console):
    page.goto(f"{page.server}/Panels", wait_until="domcontentloaded")
    page.get_by_text("1. Panel").first.wait_for(timeout=120_000)
    sidebar = page.locator('[data-testid="stSidebar"]')
    for label, value in (("Hidden units", "8"), ("Max epochs", "3")):
        field = sidebar.get_by_label(label, exact=True)
        field.fill(value)
        field.press("Tab")
    sidebar.get_by_role("button", name="Train panel").click()
    page.get_by_text("Geometric-mean relative MASE").first.wait_for(timeout=240_000)
    _settle(page, 3, timeout=240)
    assert _assert_healthy(page, "panel scoreboard", console) >= 3  # scoreboard bars, then the series' forecasts...
    assert page.get_by_text("Beat seasonal naive").count() >= 1 and page.get_by_text("Worst series").count() >= 1
    page.locator("h2", has_text="3. Scoreboard").evaluate("e => e.scrollIntoView({block: 'start'})")
    page.wait_for_timeout(300)
    page.screenshot(path=str(shots / "panel-scoreboard.png"), full_page=False)
    page.locator("h2", has_text="5. Look inside").evaluate("e => e.scrollIntoView({block: 'start'})")
    page.wait_for_timeout(300)
    assert page.locator('[data-testid="stException"]').count() == 0
    page.screenshot(path=str(shots / "panel-series-inside.png"), full_page=False)


def test_sweep_view_in_chromium(page, shots, console):
    page.goto(f"{page.server}/Sweeps", wait_until="domcontentloaded")
    page.get_by_text("Best validation MASE").first.wait_for(timeout=120_000)
    _settle(page, 3)
    assert _assert_healthy(page, "sweep view", console) >= 3  # parallel coordinates, score against trial, curves
    page.screenshot(path=str(shots / "sweep-view.png"), full_page=False)
    page.get_by_text("Open the best run").click()
    page.get_by_text("Leaderboard").first.wait_for(timeout=120_000)
    _settle(page, 5)
    assert _assert_healthy(page, "best run opened", console) >= 5
    page.screenshot(path=str(shots / "sweep-best-run.png"), full_page=False)
