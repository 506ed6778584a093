"""`liaison sync`: the sync engine without a window (Qt-free; `desktop.app` dispatches here first).

    liaison sync --profile DIR --server URL --username U [--password-stdin] [--watch]
    liaison sync --profile DIR --status

- the password is read once from stdin (`--password-stdin`) and never stored; the refresh token
  goes to the OS keyring (`Credentials`); without `--password-stdin` the saved sign-in is resumed;
- the cache key is 32 random bytes per profile, kept in the keyring (service `liaison-desk`,
  entry `cache-key:<profile path>`); without a usable keyring the command stops with exit 2;
- one cycle and exit 0, or with `--watch` until SIGINT/SIGTERM;
- `--status` prints JSON: pending, conflicts, rejected, cursors (scope → primed), checksums;
- one process per profile: syncing holds the profile's lock (`profile_lock.py`); a second
  `liaison sync` (or a desktop window) on the same profile stops with exit 2 and says who has it.
  `--status` only reads and takes no lock.

Exit codes: 0 done, 1 the sync failed (the reason on stderr), 2 usage, keyring or cache problem.
"""

import argparse
import json
import logging
import signal
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from types import FrameType
from typing import Any, Final

from desktop.services.api import ApiClient
from desktop.services.api_errors import ApiError
from desktop.services.api_http import ApiConfig
from desktop.services.credentials import Credentials, KeyringUnavailable
from desktop.services.logs import log_to_file
from desktop.services.profile_cache import SetupError, cache_key, cache_path, keyring_backend
from desktop.services.profile_lock import ProfileBusy, ProfileLock
from desktop.services.settings import Paths, preset_server_url, resolve_paths
from desktop.services.store import Cache, CacheError, open_cache, outbox_counts, scope_checksum, state
from desktop.services.sync import SyncEngine

DEFAULT_SERVER: Final = "http://127.0.0.1:8765"
EXIT_OK: Final = 0
EXIT_FAILED: Final = 1
EXIT_SETUP: Final = 2

log = logging.getLogger("desktop.sync")


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="liaison sync", description="Sync a profile's offline cache.")
    parser.add_argument("--profile", type=Path, required=True, metavar="DIR", help="the profile directory")
    parser.add_argument(
        "--server",
        default=None,
        metavar="URL",
        help=f"central CRM API base URL (default: IT's preset, else {DEFAULT_SERVER})",
    )
    parser.add_argument("--username", default=None, metavar="U", help="user to sign in as")
    parser.add_argument(
        "--password-stdin", action="store_true", help="read the password from the first line of stdin"
    )
    parser.add_argument("--watch", action="store_true", help="keep syncing until SIGINT or SIGTERM")
    parser.add_argument("--status", action="store_true", help="print the cache's sync state as JSON")
    return parser.parse_args(argv)


def _open(paths: Paths, *, create: bool) -> Cache:
    key = cache_key(paths.data_dir.parent, create=create)
    target = cache_path(paths)
    if not create and not target.exists():
        raise SetupError(f"The profile has no offline cache yet ({target}): sync it first.")
    try:
        cache, report = open_cache(target, key)
    except CacheError as exc:
        raise SetupError(str(exc)) from None
    if report.outcome != "opened":
        log.info("%s", report.message())
    return cache


def status_report(cache: Cache) -> dict[str, Any]:
    """The `--status` JSON: counts, cursors (scope → primed) and each scope's checksum."""
    with cache.read() as conn:
        counts = outbox_counts(conn)
        current = state.read_state(conn)
        checksums = {}
        for name in current.scopes:
            count, checksum = scope_checksum(conn, name)
            checksums[name] = {"count": count, "checksum": checksum}
    return {
        "pending": counts.pending,
        "acked": counts.acked,
        "conflicts": counts.conflicts,
        "rejected": counts.rejected,
        "epoch": current.epoch,
        "client_id": current.client_id,
        "last_success": current.last_success_at,
        "last_error": current.last_error,
        "cursors": {name: "yes" if s.primed else "no" for name, s in current.scopes.items()},
        "checksums": checksums,
    }


def _sign_in(api: ApiClient, username: str, password_stdin: bool) -> None:
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            raise SetupError("No password on stdin.")
        api.login(username, password, device_name="liaison sync", keep_signed_in=True)
        del password
        if api.keyring_error is not None:
            raise SetupError(api.keyring_error.message)
    else:
        api.resume(username)


def _watch(engine: SyncEngine) -> None:
    stop = threading.Event()

    def handle(_signum: int, _frame: FrameType | None) -> None:
        stop.set()
        engine.wake.set()

    signal.signal(signal.SIGINT, handle)
    signal.signal(signal.SIGTERM, handle)
    engine.run_forever(stop)


def _sync(args: argparse.Namespace, paths: Paths) -> int:
    if not args.username:
        raise SetupError("--username is needed to sync.")
    credentials = Credentials(args.server)
    if not credentials.available():
        keyring_backend()  # raises the explanation
    with ProfileLock(paths.data_dir):
        return _sync_locked(args, paths, credentials)


def _sync_locked(args: argparse.Namespace, paths: Paths, credentials: Credentials) -> int:
    cache = _open(paths, create=True)
    try:
        with ApiClient(ApiConfig(base_url=args.server), credentials) as api:
            try:
                _sign_in(api, args.username, args.password_stdin)
                engine = SyncEngine(cache, api, scopes=None)
                if args.watch:
                    _watch(engine)
                else:
                    engine.run_once()
            except ApiError as exc:
                sys.stderr.write(f"liaison sync: {exc.message}\n")
                return EXIT_FAILED
            final = engine.status
            sys.stdout.write(
                json.dumps({"state": final.state, "pending": final.pending, "conflicts": final.conflicts})
                + "\n"
            )
    finally:
        cache.close()
    return EXIT_OK


def main(argv: Sequence[str]) -> int:
    args = parse_args(argv)
    paths = resolve_paths(args.profile).ensure()
    args.server = args.server or preset_server_url(paths) or DEFAULT_SERVER
    log_to_file(paths.log_dir / "sync.log")
    try:
        if args.status:
            cache = _open(paths, create=False)
            try:
                sys.stdout.write(json.dumps(status_report(cache), indent=1, sort_keys=True) + "\n")
            finally:
                cache.close()
            return EXIT_OK
        return _sync(args, paths)
    except (SetupError, KeyringUnavailable, ProfileBusy) as exc:
        sys.stderr.write(f"liaison sync: {exc}\n")
        return EXIT_SETUP
