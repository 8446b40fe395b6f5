"""The Learn page for real: `streamlit run app.py` on a free port, driven by Playwright in Debian's Chromium.

Opens the Learn page over a saved LSTM run, moves the step slider and a playground slider, loads a
preset, runs a small race, and follows a link to the forecasting page's look-inside view. Checks
that no Streamlit exception box appears and every Vega chart rendered. Screenshots go to
$SCREENSHOT_DIR (default: <tmp>/screenshots).
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.ui.test_browser import chromium_page, streamlit_server, _assert_healthy, _settle, _why_no_browser

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.skipif(_why_no_browser() is not None, reason=str(_why_no_browser()))


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    from lstm_forecast.config import Config
    from lstm_forecast.data.samples import load_sample
    from lstm_forecast.pipeline import train_run
    from lstm_forecast.runs import save_run

    runs = tmp_path_factory.mktemp("runs")
    log = tmp_path_factory.mktemp("server") / "streamlit.log"
    run = train_run(load_sample("airline"), Config(cell="lstm", hidden=8, epochs=3, seed=0))
    save_run(run, runs / run.run_id)
    with streamlit_server({"LSTM_FORECAST_RUNS": str(runs)}, log) as url:
        yield url, run.config.lookback
    text = log.read_text()
    bare_mode = text.count("missing ScriptRunContext")
    assert bare_mode == 0, f"{bare_mode} warnings of streamlit code run outside the app (the race's workers?)"
    assert "was created with a default value but also had its value set" not in text


@pytest.fixture(scope="module")
def page(server, console):
    with chromium_page(console, viewport={"width": 1400, "height": 1800}) as page:
        yield page


def _move(page, label: str, key: str, times: int) -> str:
    """Press `key` `times` on the Streamlit slider labelled `label` (a range input); its value after."""
    thumb = page.locator(f'input[type="range"][aria-label="{label}"]').first  # visually hidden, focusable
    thumb.focus()
    for _ in range(times):
        thumb.press(key)
    page.wait_for_timeout(600)
    return thumb.input_value()


def _section(page, title: str) -> None:
    page.locator("h2", has_text=title).first.evaluate("e => e.scrollIntoView({block: 'start'})")
    page.wait_for_timeout(400)


def test_learn_page_in_chromium(server, page, shots, console):
    url, lookback = server
    page.goto(f"{url}/Learn", wait_until="domcontentloaded")
    page.get_by_text("Learn: why LSTMs exist").first.wait_for(timeout=120_000)
    _settle(page, 4)
    assert _assert_healthy(page, "Learn page", console) >= 4  # diagram, playground, real gates, gradients
    page.screenshot(path=str(shots / "learn-01-cell.png"))

    diagram = page.locator(".vega-embed").first
    before = diagram.screenshot()
    assert _move(page, "Step in the window", "ArrowLeft", 5) == str(lookback - 5)  # the step slider
    _settle(page, 4)
    _assert_healthy(page, "after moving the step", console)
    assert diagram.screenshot() != before  # redrawn with that step's numbers
    page.screenshot(path=str(shots / "learn-02-step.png"))

    _section(page, "2. Set the gates yourself")
    assert _move(page, "forget gate f", "ArrowLeft", 4) == "0.7"  # a playground slider
    page.get_by_text("f = 0.70: each step keeps 70% of c").first.wait_for(timeout=30_000)
    _settle(page, 4)
    page.screenshot(path=str(shots / "learn-03-playground.png"))
    page.get_by_role("button", name="Hide", exact=True).click()
    page.get_by_text("the output gate stays shut").first.wait_for(timeout=30_000)
    _settle(page, 4)
    _assert_healthy(page, "after a preset", console)
    _section(page, "2. Set the gates yourself")
    page.screenshot(path=str(shots / "learn-04-preset.png"))

    _section(page, "3. The long-memory race")
    lags = page.get_by_label("Lags", exact=True)
    lags.fill("5,20")
    steps = page.get_by_label("Training steps per network", exact=True)
    steps.fill("60")
    steps.press("Tab")
    page.get_by_role("button", name="Run the race").click()
    page.get_by_text("Memory lane at lag 20").first.wait_for(timeout=300_000)
    _settle(page, 8)
    _assert_healthy(page, "after the race", console)
    _section(page, "3. The long-memory race")
    page.screenshot(path=str(shots / "learn-05-race.png"))
    _section(page, "4. Vanishing gradients, measured")
    page.screenshot(path=str(shots / "learn-06-gradients.png"))

    _section(page, "1. The cell")
    page.get_by_role("button", name=re.compile("Gates over time")).click()
    page.get_by_text("5. Look inside").first.wait_for(timeout=180_000)
    _settle(page, 4)
    _assert_healthy(page, "forecasting page from a Learn link", console)
    views = page.locator('[data-testid="stButtonGroup"]', has_text="Gates by season")  # the look-inside views
    expect(views.locator('button[aria-checked="true"]')).to_have_text("Gates over time", timeout=60_000)
    page.locator("h2", has_text="5. Look inside").evaluate("e => e.scrollIntoView({block: 'start'})")
    page.wait_for_timeout(400)
    page.screenshot(path=str(shots / "learn-07-link.png"))
