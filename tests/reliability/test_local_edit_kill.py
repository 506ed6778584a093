"""Scenario 1: `kill -9` at a random instant during local edits: the cache opens, `integrity_check`
is ok, and every edit is either fully present (row + outbox entry) or fully absent."""

import random
import signal
import subprocess
import sys
from pathlib import Path

from sqlalchemy import select

from desktop.services.store.schema import MIRRORS, outbox
from tests.e2e.conftest import ROOT, E2EServer
from tests.reliability.conftest import HELPER, SUBPROCESS_TIMEOUT_S, cli_sync, open_profile, trials


def _edit_until_killed(
    env: dict[str, str], profile: Path, case_id: str, after: int
) -> tuple[list[str], str | None]:
    """Run the edit loop; SIGKILL it right after its `after`-th committed edit. (done, in flight)."""
    child = subprocess.Popen(
        [sys.executable, str(HELPER), "loop", str(profile), case_id],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=ROOT,
    )
    done: list[str] = []
    begun: str | None = None
    try:
        assert child.stdout is not None
        for line in child.stdout:
            if line.startswith("done "):
                done.append(line.split()[1])
                if len(done) == after:
                    child.send_signal(signal.SIGKILL)  # while the next edit is under way
                    break
        child.wait(SUBPROCESS_TIMEOUT_S)
        # what the loop printed before it died: edits it finished, and the one it had begun
        for line in child.stdout.read().splitlines():
            word, _, note_id = line.strip().partition(" ")
            if word == "done":
                done.append(note_id)
            elif word == "begin":
                begun = note_id
        if begun in done:
            begun = None
    finally:
        if child.poll() is None:
            child.kill()
        child.wait(SUBPROCESS_TIMEOUT_S)
        if child.stdout is not None:
            child.stdout.close()
        if child.stderr is not None:
            child.stderr.close()
    assert child.returncode == -signal.SIGKILL, child.returncode
    return done, begun


def test_kill_during_local_edits(e2e_server: E2EServer, keyring_env: dict[str, str], tmp_path: Path) -> None:
    profile = tmp_path / "profile"
    primed = cli_sync(keyring_env, profile, e2e_server.url, password=True)
    assert primed.returncode == 0, primed.stderr
    rng = random.Random(1)
    committed: set[str] = set()
    notes = MIRRORS["case_note"]
    for _trial in range(trials(5, 1000)):
        done, in_flight = _edit_until_killed(
            keyring_env, profile, e2e_server.seed.case_id, rng.randint(1, 40)
        )
        committed.update(done)
        cache = open_profile(profile)  # opens: a failure to open fails the test
        try:
            with cache.read() as conn:
                assert conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
                rows = {str(i) for i in conn.execute(select(notes.c.id)).scalars()}
                queued = {
                    str(i)
                    for i in conn.execute(
                        select(outbox.c.entity_id).where(outbox.c.entity == "case_note")
                    ).scalars()
                }
        finally:
            cache.close()
        assert committed <= rows  # every acknowledged edit is there...
        assert rows == queued  # ...and no row without its outbox entry, nor an entry without its row
        extra = rows - committed
        assert extra <= ({in_flight} if in_flight else set())  # at most the edit under way, whole
        committed |= extra
