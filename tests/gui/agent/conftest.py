"""The agent window's tests use the shell tests' fixtures: a signed-in `Shell` on the gui_server."""

from tests.gui.test_shell import make_shell, paths

__all__ = ["make_shell", "paths"]
