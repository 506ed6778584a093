"""Fixtures for the offers panel: a real cache file holding the test catalog (`tests/offers_desktop/
cached.py`) and a view context whose task runner runs inline (a write's `done` has run when the call
returns)."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from desktop.services.store import Cache, open_cache
from desktop.views.context import ChangeHub, ViewContext
from desktop.views.tasks import TaskRunner
from tests.gui.customer.conftest import AGENT, SyncRequests
from tests.offers_desktop.cached import fill


@pytest.fixture
def cache(tmp_path: Path) -> Iterator[Cache]:
    opened, _report = open_cache(tmp_path / "cache.db", None)
    fill(opened)
    yield opened
    opened.close()


@pytest.fixture
def sync_requests() -> SyncRequests:
    return SyncRequests()


@pytest.fixture
def ctx(cache: Cache, sync_requests: SyncRequests) -> Iterator[ViewContext]:
    tasks = TaskRunner(cache.writer, inline=True)
    hub = ChangeHub()
    yield ViewContext(cache=cache, tasks=tasks, hub=hub, request_sync=sync_requests, user=AGENT)
    tasks.shutdown()
