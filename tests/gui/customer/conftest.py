"""Fixtures for the customer screen: a real cache file with sample customers and a view context
whose task runner runs inline (a write's `done` has run when the call returns)."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from desktop.services.store import Cache, open_cache
from desktop.views.context import ChangeHub, ViewContext
from desktop.views.tasks import TaskRunner
from tests.gui.customer.sample import seed
from wire.auth import UserInfo

AGENT = UserInfo(
    id="u-agent", username="agent", display_name="Alex Agent", roles=["agent"], queue_ids=[], territory_ids=[]
)


class SyncRequests:
    """Counts `request_sync()` calls (what the sync engine would be asked)."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self) -> None:
        self.count += 1


@pytest.fixture
def cache(tmp_path: Path) -> Iterator[Cache]:
    opened, _report = open_cache(tmp_path / "cache.db", None)
    seed(opened)
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
