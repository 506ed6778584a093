"""The GUI imports the Qt-free modules its window needs before PySide6 (desktop/preload.py):
PySide6 reads the source of every module imported after it, so a service module the window needs
that is missing from the preload list makes every start slower. What only the sign-in needs (the
API client, pydantic, the sync engine, the agent desk and the supervisor's parts) comes after the
window has painted, on the network lane, and must not be on the window's path at all; nor must
SQLAlchemy, which the cache's engines import on the write lane after that paint (the window opens
its cache with the driver alone: `store.quick_open`). These run in fresh interpreters: the test
process has imported everything."""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
QT_FREE = (
    "sqlalchemy",
    "httpx",
    "httpcore",
    "pydantic",
    "pydantic_core",
    "msgspec",
    "keyring",
    "wire",
    # imported once the window is shown (desktop.preload.warm_up), not on the way to it
    "phonenumbers",
)

_PROBE = """
import json, sys
from desktop.preload import preload
preload()
before = set(sys.modules)
import desktop.views.main_window, desktop.views.tasks, desktop.views.context
import desktop.views.search.box, desktop.views.status_bar
late = sorted(
    m for m in set(sys.modules) - before
    if m.split(".")[0] in {qt_free!r} or m.startswith("desktop.services")
)
print(json.dumps({{
    "late": late,
    "httpx_cli": sys.modules.get("httpx._main", "absent") is not None,
    "sqlalchemy": "sqlalchemy" in sys.modules,
}}))
"""


def _probe() -> dict[str, object]:
    out = subprocess.run(
        [sys.executable, "-c", _PROBE.format(qt_free=set(QT_FREE))],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={"PYTHONPATH": str(ROOT), "QT_QPA_PLATFORM": "offscreen", "PATH": "/usr/bin:/bin"},
        check=True,
    )
    result: dict[str, object] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def test_neither_the_preload_nor_the_window_imports_sqlalchemy() -> None:
    assert _probe()["sqlalchemy"] is False


def test_the_window_imports_no_qt_free_module_after_the_preload() -> None:
    result = _probe()
    assert result["late"] == [], f"add these to desktop.preload.SESSION_MODULES: {result['late']}"


def test_httpx_command_line_tool_is_not_imported() -> None:
    assert _probe()["httpx_cli"] is False
