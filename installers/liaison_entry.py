"""The frozen desktop's entry point (the script PyInstaller freezes): `desktop.app.main`.

A windowed executable (Windows `liaison.exe`, the macOS .app) starts with `sys.stdout` and
`sys.stderr` set to None when no console or pipe is attached; the desktop writes its few
command-line messages to them, so they are pointed at the null device first instead of failing
with AttributeError. With a pipe or a console attached (the smoke test, `liaison-cli.exe`) the
streams are the real ones and are left alone.
"""

import os
import sys


def _ensure_streams() -> None:
    if sys.stdout is None:
        sys.stdout = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115 - lives as long as the process
    if sys.stderr is None:
        sys.stderr = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115 - lives as long as the process


if __name__ == "__main__":
    _ensure_streams()
    from desktop.app import main

    sys.exit(main())
