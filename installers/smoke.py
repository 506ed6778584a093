"""The frozen app's smoke test: run the bundle as an agent would, against a seeded reference server.

The server is started from the source tree (`desktop.services.demo_server.DemoServer`: `server.cli
init`, `seed`, `serve` on a free loopback port); the frozen programs are run as processes:

1. `liaison --version` prints the package version;
2. `liaison sync --password-stdin` signs in as the demo agent, primes the encrypted cache (the
   bundled sqlcipher3) and keeps the refresh token and the cache key in the keyring; then
   `liaison sync --status` lists the cached scopes, and each one's row count and checksum must
   equal the server's (`/api/v1/sync/scope_checksum`, PROTOCOL §8);
3. `liaison --screenshot FILE --open-customer ID` (the cached customer with the most interactions,
   read from the frozen app's encrypted cache by the source tree's store) resumes the sign-in from
   the keyring, syncs, opens the customer and writes the window offscreen: the PNG must have the window's default size, show
   a customer (not a flat pane), and the desktop's log must say the session opened online;
4. when the build has `liaison pop`: a frozen instance runs (offscreen) and listens; `liaison pop
   --phone N` and `liaison liaison://pop?phone=N` must both be acknowledged by it (exit 0).

The processes and the throwaway keyring: `smoke_process`; the pop step: `smoke_pop`.
"""

import json
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from installers.smoke_pop import check_pop, pop_available
from installers.smoke_process import SMOKE_USER, FrozenApp, SmokeFailure, keyring_env, run_step, smoke_keyring

ROOT: Final = Path(__file__).resolve().parents[1]
SMOKE_PASSWORD: Final = "demo"  # noqa: S105 - the reference server's documented demo password (loopback)


@dataclass
class SmokeResult:
    """What the smoke test checked (each entry: a step that passed) and what it could not check."""

    version: str = ""
    passed: list[str] = field(default_factory=list)
    not_checked: list[str] = field(default_factory=list)
    rows_in_cache: int = 0
    screenshot: str = ""


def busiest_cached_customer(profile: Path, work: Path) -> str:
    """The customer with the most interactions in the cache the frozen app wrote, read by the source
    tree's store with the key the frozen app kept in the keyring (the demo opens the same one)."""
    from desktop.services.credentials import SERVICE
    from desktop.services.demo_server import busiest_customer
    from desktop.services.profile_cache import cache_key_entry, cache_path
    from desktop.services.settings import resolve_paths
    from desktop.services.store import open_cache

    key = smoke_keyring(work).get_password(SERVICE, cache_key_entry(profile))
    if not key:
        raise SmokeFailure("keyring: the frozen app kept no cache key")
    cache, _report = open_cache(cache_path(resolve_paths(profile)), key, check="critical")
    try:
        customer = busiest_customer(cache)
    finally:
        cache.close()
    if customer is None:
        raise SmokeFailure("liaison sync: the cache holds no interaction, so no customer to show")
    return customer


def compare_with_server(url: str, status: dict[str, Any]) -> int:
    """Every scope's (count, checksum) in the frozen app's cache equals the server's (PROTOCOL §8);
    the number of cached rows."""
    import httpx

    checksums = status.get("checksums")
    if not isinstance(checksums, dict) or not checksums:
        raise SmokeFailure(f"`liaison sync --status` names no scope: {status}")
    with httpx.Client(base_url=url, timeout=60) as http:
        login = http.post("/api/v1/auth/login", json={"username": SMOKE_USER, "password": SMOKE_PASSWORD})
        login.raise_for_status()
        headers = {
            "Authorization": f"Bearer {login.json()['access_token']}",
            "X-Client-Id": str(status["client_id"]),
        }
        for scope, cached in checksums.items():
            answer = http.get("/api/v1/sync/scope_checksum", params={"scope": scope}, headers=headers)
            answer.raise_for_status()
            server = answer.json()
            if (cached["count"], cached["checksum"]) != (server["count"], server["checksum"]):
                raise SmokeFailure(
                    f"liaison sync: scope {scope} differs from the server: {cached} != {server}"
                )
    return sum(int(entry["count"]) for entry in checksums.values())


def check_screenshot(path: Path, size: tuple[int, int]) -> None:
    """The PNG exists, has the window's default size and shows a customer (varied left pane)."""
    from PySide6.QtGui import QImage

    if not path.is_file() or path.stat().st_size == 0:
        raise SmokeFailure(f"screenshot: {path} was not written")
    image = QImage(str(path))
    if image.isNull():
        raise SmokeFailure(f"screenshot: {path} is not a readable PNG")
    if (image.width(), image.height()) != size:
        raise SmokeFailure(f"screenshot: {image.width()}x{image.height()}, expected {size[0]}x{size[1]}")
    column = {image.pixelColor(150, y).name() for y in range(100, size[1] - 100, 4)}
    if len(column) <= 3:
        raise SmokeFailure("screenshot: the left pane is one flat colour: no customer is shown")


def smoke_test(
    app: FrozenApp,
    work: Path,
    *,
    version: str,
    customers: int = 400,
    say: Callable[[str], None] = print,
) -> SmokeResult:
    """Run every smoke step; raises SmokeFailure at the first that fails."""
    from desktop.services.demo_server import DemoServer
    from desktop.views.main_window import DEFAULT_SIZE

    result = SmokeResult(version=version)
    work.mkdir(parents=True, exist_ok=True)
    env = keyring_env(work)
    profile = work / "profile"

    printed = run_step("liaison --version", [app.cli, "--version"], env).stdout.strip()
    if printed != f"liaison {version}":
        raise SmokeFailure(f"liaison --version printed {printed!r}, expected 'liaison {version}'")
    result.passed.append(f"--version: {printed}")

    say(f"smoke: seeding a reference server with {customers} customers (source tree)")
    with DemoServer(customers=customers, log_file=work / "server.log") as server:
        say(f"smoke: server on {server.url}")
        base: list[str | Path] = ["--profile", profile, "--server", server.url, "--username", SMOKE_USER]
        synced = run_step(
            "liaison sync", [app.cli, "sync", *base, "--password-stdin"], env, f"{SMOKE_PASSWORD}\n"
        )
        state = json.loads(synced.stdout.strip().splitlines()[-1])
        status = json.loads(
            run_step("liaison sync --status", [app.cli, "sync", "--profile", profile, "--status"], env).stdout
        )
        result.rows_in_cache = compare_with_server(server.url, status)
        if result.rows_in_cache <= 0:
            raise SmokeFailure(f"liaison sync: the cache has no rows after the sync: {status}")
        result.passed.append(
            f"sync: exit 0, state {state.get('state')}, {result.rows_in_cache} rows in "
            f"{len(status['checksums'])} scopes, every scope's checksum equal to the server's"
        )

        keyring_entries = json.loads((work / "keyring.json").read_text(encoding="utf-8"))
        if len(keyring_entries) < 2:
            raise SmokeFailure(
                f"keyring: expected the refresh token and the cache key, found {sorted(keyring_entries)}"
            )
        result.passed.append("keyring: refresh token and cache key kept through the bundled keyring")

        shot = work / "customer.png"
        customer = busiest_cached_customer(profile, work)
        run_step(
            "liaison --screenshot", [app.gui, *base, "--open-customer", customer, "--screenshot", shot], env
        )
        check_screenshot(shot, DEFAULT_SIZE)
        log_text = (profile / "log" / "desktop.log").read_text(encoding="utf-8", errors="replace")
        if f"session opened user={SMOKE_USER} online=True" not in log_text:
            raise SmokeFailure(
                f"screenshot: the desktop did not sign in from the keyring:\n{log_text[-3000:]}"
            )
        result.screenshot = str(shot)
        result.passed.append(
            f"screenshot: {DEFAULT_SIZE[0]}x{DEFAULT_SIZE[1]}, customer {customer} shown, signed in"
        )

        if pop_available(app, env):
            result.passed.append(check_pop(app, env, profile, server.url))
        else:
            result.not_checked.append("`liaison pop --phone`: not in this build (`liaison pop --help` fails)")
    return result


def main() -> int:
    """`python -m installers.smoke GUI [CLI]`: smoke-test an existing bundle (no build)."""
    import tempfile

    from installers.version_info import package_version

    arguments = sys.argv[1:]
    if not 1 <= len(arguments) <= 2:
        sys.stderr.write("usage: python -m installers.smoke GUI_EXECUTABLE [CLI_EXECUTABLE]\n")
        return 2
    gui = Path(arguments[0]).resolve()
    app = FrozenApp(gui=gui, cli=Path(arguments[-1]).resolve())
    with tempfile.TemporaryDirectory(prefix="liaison-smoke-") as work:
        result = smoke_test(app, Path(work), version=package_version())
    sys.stdout.write(json.dumps(result.__dict__, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
