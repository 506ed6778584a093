"""Running the frozen programs for the smoke test: each step as a process with a bounded wait,
and the environment that gives them a throwaway keyring.

The keyring: a frozen app ignores PYTHONPATH, so the test backend (a copy of
tests/support/file_keyring.py, a JSON file) is named in keyring's own config file (`keyringrc.cfg`
with `keyring-path` and `default-keyring`) under a throwaway config root: the bundled keyring
loads it the way an IT-configured machine would load a chosen backend. The OS keyring is never
touched.
"""

import importlib.util
import os
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

ROOT: Final = Path(__file__).resolve().parents[1]
PROCESS_TIMEOUT_S: Final = 300.0
KEYRING_MODULE: Final = "liaison_smoke_keyring"
SMOKE_USER: Final = "agent"


class SmokeFailure(RuntimeError):
    """A smoke step failed; the message names the step and what the frozen app printed."""


@dataclass(frozen=True)
class FrozenApp:
    """The frozen programs: `gui` (the agent's app) and `cli` (console; the same file but on Windows)."""

    gui: Path
    cli: Path


def keyring_env(work: Path) -> dict[str, str]:
    """Environment that makes the bundled keyring load the JSON-file test backend."""
    backend_dir = work / "keyring-path"
    backend_dir.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(ROOT / "tests" / "support" / "file_keyring.py", backend_dir / f"{KEYRING_MODULE}.py")
    config = f"[backend]\ndefault-keyring = {KEYRING_MODULE}.FileKeyring\nkeyring-path = {backend_dir}\n"
    config_home, local_app_data = work / "config", work / "localappdata"
    # keyring's config root: $XDG_CONFIG_HOME/python_keyring (Linux, macOS), %LOCALAPPDATA%\Python Keyring
    for folder in (config_home / "python_keyring", local_app_data / "Python Keyring"):
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "keyringrc.cfg").write_text(config, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHON_KEYRING_BACKEND", "PYTHONPATH")}
    env.update(
        XDG_CONFIG_HOME=str(config_home),
        LOCALAPPDATA=str(local_app_data),
        LIAISON_TEST_KEYRING_FILE=str(work / "keyring.json"),
        QT_QPA_PLATFORM="offscreen",
    )
    return env


def run_step(
    step: str, command: Sequence[str | Path], env: dict[str, str], stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    try:
        done = subprocess.run(  # noqa: S603 - the frozen app we just built, fixed arguments
            [str(part) for part in command],
            input=stdin,
            capture_output=True,
            text=True,
            env=env,
            timeout=PROCESS_TIMEOUT_S,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise SmokeFailure(f"{step}: no exit within {PROCESS_TIMEOUT_S:.0f} s") from exc
    if done.returncode != 0:
        raise SmokeFailure(
            f"{step}: exit {done.returncode}\n--- stdout\n{done.stdout[-3000:]}\n--- stderr\n{done.stderr[-3000:]}"
        )
    return done


def smoke_keyring(work: Path) -> Any:
    """The JSON-file keyring backend the frozen app used (its copy under `work`), to read what the
    app kept there (a `keyring.backend.KeyringBackend`)."""
    source = work / "keyring-path" / f"{KEYRING_MODULE}.py"
    spec = importlib.util.spec_from_file_location(KEYRING_MODULE, source)
    if spec is None or spec.loader is None:
        raise SmokeFailure(f"keyring: cannot load the test backend {source}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.FileKeyring(work / "keyring.json")
