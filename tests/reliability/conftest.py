"""Reliability scenarios (SYNC.md §5) with small counts: the e2e server and clients, crash points,
subprocess clients (`python -m desktop sync`) and the fault proxy (`tests/support/fault_proxy.py`).

Trial counts: small in CI, SYNC.md §5's with `pytest --full` (nightly), or `LIAISON_TRIALS` for all.
"""

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, func, select

from desktop.services.profile_cache import CACHE_FILE, cache_key
from desktop.services.settings import resolve_paths
from desktop.services.store import Cache, open_cache
from server.db import tables as t
from tests.e2e.conftest import ROOT, E2EServer, _template, client, e2e_server, keyring_env  # noqa: F401
from tests.support.fault_proxy import FaultProxy
from tests.support.full_run import FULL_ENV

HELPER = Path(__file__).with_name("cache_helper.py")
SUBPROCESS_TIMEOUT_S = 60
OUTCOMES = {"applied", "merged", "conflict", "rejected"}


def trials(ci: int, full: int) -> int:
    """A scenario's trial count: `ci` in the ordinary run, `full` (SYNC.md §5's count) with
    `pytest --full` (LIAISON_FULL=1), and LIAISON_TRIALS for every scenario when set."""
    if os.environ.get("LIAISON_TRIALS"):
        return int(os.environ["LIAISON_TRIALS"])
    return full if os.environ.get(FULL_ENV) == "1" else ci


def run(
    env: dict[str, str], args: list[str], *, stdin: str = "", **extra_env: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args],
        input=stdin,
        capture_output=True,
        text=True,
        env={**env, **extra_env},
        cwd=ROOT,
        timeout=SUBPROCESS_TIMEOUT_S,
        check=False,
    )


def cli_sync(
    env: dict[str, str], profile: Path, server: str, *, password: bool = False, **extra_env: str
) -> subprocess.CompletedProcess[str]:
    args = ["-m", "desktop", "sync", "--profile", str(profile), "--server", server, "--username", "agent"]
    if password:
        args.append("--password-stdin")
    return run(env, args, stdin="demo\n" if password else "", **extra_env)


def cli_status(env: dict[str, str], profile: Path) -> dict[str, Any]:
    done = run(env, ["-m", "desktop", "sync", "--profile", str(profile), "--status"])
    assert done.returncode == 0, done.stderr
    report: dict[str, Any] = json.loads(done.stdout)
    return report


def helper(env: dict[str, str], *args: str, **extra_env: str) -> subprocess.CompletedProcess[str]:
    return run(env, [str(HELPER), *args], **extra_env)


def recorded_edits(done: subprocess.CompletedProcess[str]) -> list[dict[str, str]]:
    assert done.returncode == 0, done.stderr
    return [json.loads(line) for line in done.stdout.splitlines() if line.strip()]


def open_profile(profile: Path) -> Cache:
    """The profile's cache in the test process, keyed from the test's file keyring."""
    paths = resolve_paths(profile)
    cache, _report = open_cache(paths.data_dir / CACHE_FILE, cache_key(paths.data_dir.parent, create=False))
    return cache


@dataclass
class Ledger:
    """What the server's database says about recorded edits ("0 lost" / "0 duplicated")."""

    mutations: dict[str, list[str]]  # mutation_id -> outcomes of its client_mutation rows
    note_counts: dict[str, int]  # case_note id -> rows
    notes_total: int


def ledger(server: E2EServer, mutation_ids: list[str], note_ids: list[str]) -> Ledger:
    engine = create_engine(server.db_url)
    try:
        with engine.connect() as conn:
            found: dict[str, list[str]] = {m: [] for m in mutation_ids}
            for row in conn.execute(
                select(t.client_mutation.c.mutation_id, t.client_mutation.c.outcome).where(
                    t.client_mutation.c.mutation_id.in_(mutation_ids)
                )
            ):
                found[str(row.mutation_id)].append(str(row.outcome))
            notes = {n: 0 for n in note_ids}
            for row in conn.execute(select(t.case_note.c.id).where(t.case_note.c.id.in_(note_ids))):
                notes[str(row.id)] += 1
            total = int(conn.execute(select(func.count()).select_from(t.case_note)).scalar_one())
    finally:
        engine.dispose()
    return Ledger(found, notes, total)


def assert_exactly_once(server: E2EServer, edits: list[dict[str, str]], notes_before: int = 0) -> None:
    """0 lost: every recorded mutation has a client_mutation row with an outcome; 0 duplicated:
    exactly one, and each appended note exists once (server count = distinct created ids)."""
    note_ids = [e["id"] for e in edits if e["entity"] == "case_note"]
    seen = ledger(server, [e["mutation_id"] for e in edits], note_ids)
    lost = [m for m, outcomes in seen.mutations.items() if not outcomes]
    duplicated = {m: o for m, o in seen.mutations.items() if len(o) > 1}
    assert not lost, f"lost mutations: {lost}"
    assert not duplicated, f"duplicated mutations: {duplicated}"
    assert all(o[0] in OUTCOMES for o in seen.mutations.values())
    assert all(o[0] != "rejected" for o in seen.mutations.values()), seen.mutations
    assert seen.note_counts == dict.fromkeys(note_ids, 1)
    assert seen.notes_total == notes_before + len(set(note_ids))


def server_notes(server: E2EServer) -> int:
    return int(server.query("SELECT count(*) FROM case_note")[0][0])


def server_port(server: E2EServer) -> int:
    return int(server.url.rsplit(":", 1)[1])


@pytest.fixture
def proxy(e2e_server: E2EServer) -> Iterator[FaultProxy]:  # noqa: F811 (the imported fixture)
    with FaultProxy(server_port(e2e_server), seed=5) as running:
        yield running
