"""Fixtures for the offers panel: a real cache file holding the test catalog (`tests/offers_desktop/
cached.py`); the view context is the customer screen's (its task runner runs inline: a write's
`done` has run when the call returns)."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from desktop.services.store import Cache, open_cache

# the customer screen's `sync_requests` and `ctx` fixtures, over this `cache`
from tests.gui.customer.conftest import ctx, sync_requests  # noqa: F401
from tests.offers_desktop.cached import fill


@pytest.fixture
def cache(tmp_path: Path) -> Iterator[Cache]:
    opened, _report = open_cache(tmp_path / "cache.db", None)
    fill(opened)
    yield opened
    opened.close()
