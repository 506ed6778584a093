"""One process per profile: the lock refuses a second holder, names the first, and dies with it."""

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from desktop.services.profile_lock import ProfileBusy, ProfileLock

ROOT = Path(__file__).resolve().parents[2]
HOLDER = """
import sys
from pathlib import Path
from desktop.services.profile_lock import ProfileLock
lock = ProfileLock(Path(sys.argv[1]))
lock.acquire()
print("locked", flush=True)
sys.stdin.readline()   # hold until the test says so (or kills us)
lock.release()
print("released", flush=True)
"""


@pytest.fixture
def holder(tmp_path: Path) -> Iterator[subprocess.Popen[str]]:
    process = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(tmp_path / "data")],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert process.stdout is not None
    assert process.stdout.readline().strip() == "locked"
    yield process
    if process.poll() is None:
        process.kill()
    process.wait(30)


def test_second_process_is_refused_with_the_holder_named(
    tmp_path: Path, holder: subprocess.Popen[str]
) -> None:
    with pytest.raises(ProfileBusy, match=f"process {holder.pid} on "):
        ProfileLock(tmp_path / "data").acquire()


def test_released_lock_can_be_taken(tmp_path: Path, holder: subprocess.Popen[str]) -> None:
    assert holder.stdin is not None and holder.stdout is not None
    holder.stdin.write("\n")
    holder.stdin.flush()
    assert holder.stdout.readline().strip() == "released"
    with ProfileLock(tmp_path / "data") as lock:
        assert lock.held


def test_kill_9_of_the_holder_frees_the_profile(tmp_path: Path, holder: subprocess.Popen[str]) -> None:
    os.kill(holder.pid, signal.SIGKILL)
    holder.wait(30)
    lock = ProfileLock(tmp_path / "data")
    lock.acquire()  # no stale lock to clean up
    assert lock.held
    lock.release()
    assert not lock.held


def test_one_process_cannot_hold_it_twice_through_two_objects(tmp_path: Path) -> None:
    with ProfileLock(tmp_path / "data"), pytest.raises(ProfileBusy):
        ProfileLock(tmp_path / "data").acquire()


def test_a_garbled_lock_file_does_not_break_the_message(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    first = ProfileLock(data)
    first.acquire()
    try:
        (data / "profile.lock").write_text("\x00not json", encoding="utf-8")
        with pytest.raises(ProfileBusy, match="another process"):
            ProfileLock(data).acquire()
    finally:
        first.release()
