"""One process per profile (SYNC.md §4.4): an exclusive OS lock on `<data dir>/profile.lock`.

The design names Qt's `QLockFile`; the services are Qt-free, so this is the same idea on the OS's
own advisory file lock (`fcntl.flock` on POSIX, `msvcrt.locking` on Windows). The OS drops the lock
when the holder dies, even by `kill -9` or power loss, so there is no stale-lock guessing.
The file holds the holder's pid and host name, only to tell the user who has the profile.

    with ProfileLock(paths.data_dir) as lock:   # raises ProfileBusy when another process holds it
        ...
"""

import json
import os
import socket
import sys
from pathlib import Path
from types import TracebackType
from typing import IO, Final

LOCK_FILE: Final = "profile.lock"


class ProfileBusy(Exception):
    """Another process has this profile open; the message says which."""


def _try_lock(handle: IO[str]) -> bool:
    if sys.platform == "win32":
        import msvcrt

        handle.seek(0)  # the lock covers byte 0, whatever the file holds
        try:
            msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
    import fcntl

    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _unlock(handle: IO[str]) -> None:
    if sys.platform == "win32":
        import msvcrt

        handle.seek(0)
        msvcrt.locking(handle.fileno(), msvcrt.LK_UNLCK, 1)
        return
    import fcntl

    fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _holder(path: Path) -> str:
    try:
        info = json.loads(path.read_text(encoding="utf-8") or "{}")
    except (OSError, ValueError):
        return "another process"
    if not isinstance(info, dict):
        return "another process"
    pid, host = info.get("pid"), info.get("host")
    if isinstance(pid, int) and isinstance(host, str):
        return f"process {pid} on {host}"
    return "another process"


class ProfileLock:
    """Holds the profile's lock from `acquire()` (or `with`) until `release()`."""

    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / LOCK_FILE
        self._handle: IO[str] | None = None

    @property
    def held(self) -> bool:
        return self._handle is not None

    def acquire(self) -> None:
        """Take the lock or raise `ProfileBusy` at once (never waits)."""
        if self._handle is not None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # "a" creates the file without truncating the holder's note before we own the lock
        handle = open(self.path, "a+", encoding="utf-8")  # noqa: SIM115 (held until release)
        if not _try_lock(handle):
            handle.close()
            raise ProfileBusy(
                f"This profile ({self.path.parent.parent}) is already open in {_holder(self.path)}. "
                "Close the other Liaison Desk window or sync first."
            )
        handle.seek(0)
        handle.truncate()
        handle.write(json.dumps({"pid": os.getpid(), "host": socket.gethostname()}))
        handle.flush()
        self._handle = handle

    def release(self) -> None:
        handle, self._handle = self._handle, None
        if handle is None:
            return
        try:
            _unlock(handle)
        finally:
            handle.close()

    def __enter__(self) -> "ProfileLock":
        self.acquire()
        return self

    def __exit__(
        self, _type: type[BaseException] | None, _value: BaseException | None, _tb: TracebackType | None
    ) -> None:
        self.release()
