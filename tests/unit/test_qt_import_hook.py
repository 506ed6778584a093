"""desktop/qt_import_hook.py: after `make_safe()`, PySide6's import hook runs no module's code.

Each case runs in a fresh interpreter: the hook sees a module only once, and the test process has
imported PySide6 already. The failure it prevents in the desktop (pydantic first imported after
PySide6 on two threads at once) is a race, about one start in thirty on this machine, so the
tests use a module whose `__getattr__` always fails: the hook's lookup of `__wrapped__` is what
made pydantic's `__getattr__` run mid-import. tests/gui/test_startup_probe.py checks that the
desktop process puts the safe check in place.
"""

import os
import subprocess
import sys
import textwrap
from pathlib import Path
from types import ModuleType

from desktop.qt_import_hook import uses_pyside
from tests.conftest import ROOT

PROCESS_TIMEOUT_S = 120

#: a module whose module-level __getattr__ fails for every name, like pydantic's did while
#: half-imported; the hook looks up `__wrapped__` on it
HOSTILE = '''
"""No mention of the Qt binding here."""


def __getattr__(name):
    raise ImportError(f"the hook looked up {name}")
'''
#: a module that does mention the Qt binding
QT_USER = '"""Imports PySide6 later."""\n'


def _run(tmp_path: Path, script: str) -> subprocess.CompletedProcess[str]:
    (tmp_path / "hostile_module.py").write_text(HOSTILE, encoding="utf-8")
    (tmp_path / "qt_user_module.py").write_text(QT_USER, encoding="utf-8")
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script)],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": os.pathsep.join((str(tmp_path), str(ROOT)))},
        capture_output=True,
        text=True,
        timeout=PROCESS_TIMEOUT_S,
        check=False,
    )


def test_without_it_the_hook_runs_a_module_getattr_and_the_import_fails(tmp_path: Path) -> None:
    """What the fix is for: if a PySide6 release stops doing this, this test says so."""
    done = _run(
        tmp_path,
        """
        import PySide6.QtCore
        import hostile_module
        """,
    )
    assert done.returncode != 0
    assert "ImportError: the hook looked up __wrapped__" in done.stderr


def test_with_it_the_import_succeeds_and_modules_are_still_told_apart(tmp_path: Path) -> None:
    done = _run(
        tmp_path,
        """
        import sys
        import PySide6.QtCore
        from desktop import qt_import_hook

        assert qt_import_hook.make_safe()
        import hostile_module
        import qt_user_module

        seen = sys.modules["shibokensupport.feature"].pyside_feature_dict
        print(seen["hostile_module"], seen["qt_user_module"])
        """,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["-1", "0"]  # -1: ignore this module; 0: it uses PySide6


def test_without_pyside6_there_is_nothing_to_replace() -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "from desktop import qt_import_hook; print(qt_import_hook.make_safe())",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=PROCESS_TIMEOUT_S,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"
    assert "PySide6's import hook was not found" in done.stderr


def _refuse(name: str) -> object:
    raise ImportError(name)


def test_uses_pyside_reads_no_attribute_through_getattr(tmp_path: Path) -> None:
    source = tmp_path / "plain.py"
    source.write_text("import PySide6\n", encoding="utf-8")
    module = ModuleType("plain")
    module.__file__ = str(source)
    module.__dict__["__getattr__"] = _refuse  # a module-level __getattr__ that fails for any name
    assert uses_pyside(module)
    source.unlink()
    assert not uses_pyside(module)  # the file is gone: no source, as inspect would say
    del module.__file__
    assert not uses_pyside(module)
