"""The agent desktop's Qt-free tests: real cache files (the store tests' fixtures)."""

from tests.unit.store.conftest import cache, change

__all__ = ["cache", "change"]
