"""Liaison Desk: the native contact-centre desktop."""

#: the one place the version is written: pyproject.toml reads it (`[tool.setuptools.dynamic]`),
#: so the app does not read package metadata at start-up
__version__ = "0.1.0"

__all__ = ["__version__"]
