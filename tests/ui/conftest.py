"""Fixtures the Chromium tests share: what the page logs, and where screenshots go."""
import os
from pathlib import Path

import pytest


@pytest.fixture(scope="module")
def console() -> list[str]:
    """Every warning and error the page logs, as 'type: text' (Vega's count as failures)."""
    return []


@pytest.fixture(scope="module")
def shots(tmp_path_factory) -> Path:
    """$SCREENSHOT_DIR, else a temporary folder."""
    folder = Path(os.environ.get("SCREENSHOT_DIR") or tmp_path_factory.mktemp("screenshots"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder
