"""Composition root: arguments, settings, services, the main window. Nothing else lives here."""

import argparse
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from desktop import __version__
from desktop.services.settings import Paths, resolve_paths

if TYPE_CHECKING:
    from desktop.views.main_window import MainWindow

DEFAULT_SERVER = "http://127.0.0.1:8765"
log = logging.getLogger("desktop")


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="liaison", description="Liaison Desk, the contact-centre desktop.")
    parser.add_argument("--server", default=DEFAULT_SERVER, metavar="URL", help="central CRM API base URL")
    parser.add_argument("--username", default=None, metavar="U", help="user to sign in as")
    parser.add_argument(
        "--profile",
        type=Path,
        default=None,
        metavar="DIR",
        help="keep every file under DIR (data, cache, logs)",
    )
    parser.add_argument(
        "--screenshot",
        type=Path,
        default=None,
        metavar="FILE",
        help="render the main window offscreen to a PNG file and exit",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    return parser.parse_args(argv)


def _setup_logging(paths: Paths) -> None:
    logging.basicConfig(
        filename=paths.log_dir / "desktop.log",
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run the desktop; return the process exit code. `liaison sync …` runs headless (no Qt)."""
    arguments = list(sys.argv[1:] if argv is None else argv)
    if arguments[:1] == ["sync"]:
        from desktop.cli_sync import main as sync_main

        return sync_main(arguments[1:])
    # Qt is imported only on the windowed path
    from PySide6.QtWidgets import QApplication

    from desktop.views.interrupt import quit_on_signals
    from desktop.views.main_window import MainWindow

    args = parse_args(arguments)
    if args.screenshot is not None:
        # the platform plugin is chosen when the QApplication is created
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    paths = resolve_paths(args.profile).ensure()
    _setup_logging(paths)
    app = QApplication(sys.argv[:1])
    app.setApplicationName("Liaison Desk")
    app.setApplicationVersion(__version__)
    window = MainWindow(args.server, args.username)
    quit_on_signals(app)
    log.info("started version=%s server=%s user=%s", __version__, args.server, args.username)
    if args.screenshot is not None:
        return _screenshot(window, args.screenshot)
    window.show()
    return app.exec()


def _screenshot(window: "MainWindow", target: Path) -> int:
    from PySide6.QtWidgets import QApplication

    window.show()
    QApplication.processEvents()
    target.parent.mkdir(parents=True, exist_ok=True)
    saved = window.grab().save(str(target), "PNG")
    window.close()
    if not saved:
        sys.stderr.write(f"liaison: could not write screenshot to {target}\n")
        return 1
    log.info("screenshot written to %s", target)
    return 0
