"""The real thing: `streamlit run app.py` on a free port, driven by Playwright in Debian's Chromium.

Trains a small model, opens every view, and checks that no Streamlit exception box appears and that
every Vega chart rendered. Screenshots go to $SCREENSHOT_DIR (default: <tmp>/screenshots).
"""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
VIEWS = ("Cell state", "Gates by season", "Gates over time", "Saturation", "One step")
# Headless, and quiet on a closed network (no background connections, no first-run setup).
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]


def _why_no_browser() -> str | None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed: pip install -r requirements-dev.txt"
    if not (Path(CHROMIUM).exists() or shutil.which("chromium")):
        return f"no Chromium at {CHROMIUM}: apt-get install -y chromium (or set CHROMIUM=/path/to/chromium)"
    return None


pytestmark = pytest.mark.skipif(_why_no_browser() is not None, reason=str(_why_no_browser()))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    port = _free_port()
    runs = tmp_path_factory.mktemp("runs")
    env = {**os.environ, "LSTM_FORECAST_RUNS": str(runs), "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true", "--server.port", str(port),
         "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 90
    while time.time() < deadline:
        try:
            if urllib.request.urlopen(f"{url}/_stcore/health", timeout=2).read() == b"ok":
                break
        except OSError:
            time.sleep(0.5)
    else:
        proc.kill()
        pytest.fail(f"streamlit did not start: {proc.stdout.read()[-2000:]}")
    yield url
    proc.terminate()
    proc.wait(timeout=20)


@pytest.fixture(scope="module")
def page(server):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=shutil.which("chromium") or CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 2600})
        page.goto(server, wait_until="domcontentloaded")
        yield page
        browser.close()


@pytest.fixture(scope="module")
def shots(tmp_path_factory) -> Path:
    folder = Path(os.environ.get("SCREENSHOT_DIR") or tmp_path_factory.mktemp("screenshots"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _settle(page, min_charts: int, timeout: float = 180) -> None:
    """Wait until at least `min_charts` charts have drawn and the script has finished running."""
    page.wait_for_function(
        """n => { const c = [...document.querySelectorAll('.vega-embed')];
                  return c.length >= n && c.every(e => e.querySelector('canvas, svg')); }""",
        arg=min_charts, timeout=timeout * 1000)
    page.wait_for_selector('[data-testid="stStatusWidget"]', state="detached", timeout=timeout * 1000)
    page.wait_for_timeout(500)


def _assert_healthy(page, where: str) -> int:
    exceptions = page.locator('[data-testid="stException"]')
    assert exceptions.count() == 0, f"{where}: {exceptions.first.inner_text()[:500]}"
    charts = page.locator(".vega-embed")
    n = charts.count()
    for i in range(n):
        box = charts.nth(i).locator("canvas, svg").first.bounding_box()
        assert box and box["width"] > 50 and box["height"] > 50, f"{where}: chart {i} did not render ({box})"
    return n


def test_dashboard_end_to_end_in_chromium(page, shots):
    page.get_by_text("1. Data").first.wait_for(timeout=120_000)
    _settle(page, 1)
    assert _assert_healthy(page, "first load") >= 1
    page.screenshot(path=str(shots / "01-data.png"), full_page=False)

    sidebar = page.locator('[data-testid="stSidebar"]')
    for label, value in (("Hidden units", "8"), ("Max epochs", "4")):
        field = sidebar.get_by_label(label, exact=True)
        field.fill(value)
        field.press("Tab")
    sidebar.get_by_role("button", name="Train", exact=True).click()
    page.get_by_text("Leaderboard").wait_for(timeout=180_000)
    _settle(page, 4)
    assert _assert_healthy(page, "after training") >= 4
    assert page.locator('[data-testid="stDataFrame"]').count() >= 1  # the leaderboard (drawn on a canvas)
    page.screenshot(path=str(shots / "02-trained.png"), full_page=False)

    for i, view in enumerate(VIEWS, start=3):
        page.locator('[data-testid="stButtonGroup"] button', has_text=view).first.click()
        page.wait_for_timeout(300)
        _settle(page, 4)
        n = _assert_healthy(page, view)
        assert n >= 4, f"{view}: only {n} charts"
        page.locator("h2", has_text="5. Look inside").evaluate("e => e.scrollIntoView({block: 'start'})")
        page.wait_for_timeout(300)
        page.screenshot(path=str(shots / f"{i:02d}-{view.lower().replace(' ', '-')}.png"), full_page=False)


def test_stop_keeps_the_best_model_so_far(page):
    """Stop during a long training: the run is kept (best epoch so far) and listed."""
    import re

    sidebar = page.locator('[data-testid="stSidebar"]')
    sidebar.get_by_role("combobox", name="Sample").click()  # a longer series, so training takes a while
    page.get_by_role("option", name=re.compile("seattle_hourly_temp")).click()
    _settle(page, 1)
    for label, value in (("Hidden units", "128"), ("Max epochs", "400"), ("Seed", "7")):
        field = sidebar.get_by_label(label, exact=True)
        field.fill(value)
        field.press("Tab")
    sidebar.get_by_role("button", name="Train", exact=True).click()
    page.get_by_text(re.compile(r"epoch ([3-9]|\d\d)/400")).first.wait_for(timeout=120_000)
    page.get_by_role("button", name="Stop training").click()
    _settle(page, 4)
    assert page.locator('[data-testid="stException"]').count() == 0
    note = page.get_by_text("stopped by user")
    note.first.wait_for(timeout=30_000)
    assert "best epoch" in note.first.inner_text()
    page.screenshot(path=str(Path(os.environ.get("SCREENSHOT_DIR", "/tmp")) / "08-stopped.png"))
