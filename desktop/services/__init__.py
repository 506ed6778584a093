"""Qt-free services of the desktop: no PySide6 import here (an import-linter contract checks it)."""
