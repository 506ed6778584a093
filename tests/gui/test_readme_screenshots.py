"""The README's screenshots are made here, by the real `liaison --demo --screenshot` in a process
(a smaller demo: LIAISON_DEMO_CUSTOMERS). `LIAISON_SCREENSHOT_DIR=docs/screenshots` keeps them."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtGui import QImage

from desktop.services.demo_server import ENV_CUSTOMERS

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.gui
@pytest.mark.parametrize("theme", ["light", "dark"])
def test_demo_screenshot_of_the_customer_screen(tmp_path: Path, theme: str) -> None:
    target = tmp_path / f"customer-{theme}.png"
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", ENV_CUSTOMERS: "400", "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-m", "desktop", "--demo", "--theme", theme, "--screenshot", str(target)],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=280,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    image = QImage(str(target))
    assert (image.width(), image.height()) == (1280, 800)
    # a customer is shown, not the empty window: the screen's left pane is not one flat colour
    column = {image.pixelColor(150, y).name() for y in range(100, 700, 4)}
    assert len(column) > 3
    shots = os.environ.get("LIAISON_SCREENSHOT_DIR")
    if shots:
        Path(shots).mkdir(parents=True, exist_ok=True)
        image.save(str(Path(shots) / target.name))
