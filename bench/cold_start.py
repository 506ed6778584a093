"""Cold start, RSS and exit: a fresh `liaison` process until its window is usable, then its exit.

    python bench/cold_start.py --cache DIR/cache.db [--customers N] [--runs R]

The app runs as an agent starts it each morning: `python -m desktop --profile P --server URL
--username bench`, a kept sign-in in the keyring (`tests.support.file_keyring`, the only fake),
the profile's SQLCipher cache (an encrypted copy of `bench/desktop_cache.py`'s cache, made once),
offscreen. With a kept sign-in the app shows its window from the cache and signs in only once the
window has painted (desktop/app.py), so the server is not part of the measured start; its URL is a
closed loopback port all the same (the sign-in, had it started, would fail at once and leave the
session offline).
`LIAISON_EXIT_WHEN_READY=1` makes the app print `liaison-ready <time.time()>` once its main window
is shown with the cache open and the search box usable, then quit through the normal shutdown.

Per run: start → ready (wall clock from just before `Popen` to the printed time), ready → process
gone (the exit: the window closes, the sync thread stops, the cache closes), and the peak RSS of
the process (`os.wait4`'s `ru_maxrss`). Baselines in the same run, each a fresh process too: the
bare interpreter; Qt alone (QApplication and a 1280x800 `QMainWindow` shown, one event-loop pass);
Qt with SQLAlchemy and httpx imported before the window is shown. Also printed, in this process on
the same file: `open_quickly` as the window opens it (no SQLAlchemy; only the tables holding
unsent work are checked), the `open_cache(check="critical")` it falls back to for a file that needs
more, and `IntegrityCheck.run()`, the whole-file `PRAGMA quick_check` the app runs in
the background once its window is shown.

`--close-study MIB` (nothing else runs): why closing a cache can take seconds. One write
transaction of MIB MiB, committed while a reader holds an older snapshot or not, then
`Cache.close()`, with or without `Writer.checkpoint()` first (what the shell does after each sync
cycle), plain and SQLCipher.
"""

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Final

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.desktop_cache import DEFAULT_CUSTOMERS, describe, encrypted_copy, ensure_cache  # noqa: E402
from bench.screen_pop import warm_file  # noqa: E402
from desktop.app import READY_PROBE_ENV  # noqa: E402
from desktop.services.credentials import SERVICE, account_name  # noqa: E402
from desktop.services.profile_cache import CACHE_FILE, cache_key_entry  # noqa: E402
from desktop.services.settings import resolve_paths  # noqa: E402
from desktop.services.store import open_cache  # noqa: E402
from desktop.services.store.integrity import IntegrityCheck  # noqa: E402
from desktop.services.store.quick_open import open_quickly  # noqa: E402
from tests.support.file_keyring import BACKEND_NAME, ENV_FILE  # noqa: E402

GOAL_START_MS: Final = 600.0
GOAL_RSS_MB: Final = 200.0
GOAL_EXIT_MS: Final = 1000.0
USERNAME: Final = "bench"
#: a probe's longest allowed life (a hung start or exit fails the run, it does not hang the bench)
PROCESS_TIMEOUT_S: Final = 300.0

_QT_WINDOW: Final = """
import time, sys
{imports}
from PySide6.QtWidgets import QApplication, QMainWindow
app = QApplication(sys.argv[:1])
window = QMainWindow()
window.resize(1280, 800)
window.show()
app.processEvents()
print("liaison-ready", repr(time.time()), flush=True)
sys.stdin.read()
"""
_BARE: Final = 'import sys, time; print("liaison-ready", repr(time.time()), flush=True); sys.stdin.read()'


@dataclass
class Run:
    start_ms: float
    exit_ms: float
    rss_mb: float


def closed_port() -> int:
    """A loopback port nobody listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def peak_rss_mb(pid: int) -> float:
    """The process's peak RSS so far (`VmHWM`: of its own address space, unlike `ru_maxrss`, which
    also counts the forking parent's pages from before `exec`)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmHWM for process {pid}")


def probe(command: list[str], env: dict[str, str], *, quits_itself: bool) -> Run:
    """Start `command`; time its `liaison-ready` line and its exit; its peak RSS when ready.

    The baselines wait for their stdin to close after the line (so their RSS can be read), and
    their exit is timed from then; the app quits by itself and its exit is timed from the line."""
    started = time.time()
    proc = subprocess.Popen(
        command, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT
    )
    assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None
    ready: float | None = None
    rss = float("nan")
    for line in proc.stdout:
        words = line.decode().split()
        if words[:1] == ["liaison-ready"]:
            ready = float(words[1])
            rss = peak_rss_mb(proc.pid)
            break
    exit_from = ready if quits_itself else time.time()
    proc.stdin.close()
    _pid, status, _usage = os.wait4(proc.pid, 0)
    gone = time.time()
    proc.returncode = os.waitstatus_to_exitcode(status)
    errors = proc.stderr.read().decode(errors="replace")
    proc.stdout.close()
    proc.stderr.close()
    if ready is None or proc.returncode != 0:
        raise RuntimeError(
            f"{command[-1][:60]!r} exited {proc.returncode} without being ready:\n{errors[-3000:]}"
        )
    assert exit_from is not None
    return Run((ready - started) * 1000, (gone - exit_from) * 1000, rss)


def figure(values: list[float], unit: str) -> str:
    if len(values) < 2:
        return f"{values[0]:.0f} {unit}"
    q = statistics.quantiles(values, n=100, method="inclusive")
    return f"p50 {q[49]:5.0f} {unit}  p95 {q[94]:5.0f} {unit}  max {max(values):5.0f} {unit}"


def prepare_profile(workdir: Path, cache: Path) -> tuple[Path, dict[str, str], str]:
    """A profile whose data folder holds the encrypted cache, and the keyring that opens it."""
    profile = workdir / "profile"
    paths = resolve_paths(profile).ensure()
    key = encrypted_copy(cache, paths.data_dir / CACHE_FILE)
    server = f"http://127.0.0.1:{closed_port()}"
    keyring_file = workdir / "keyring.json"
    entries = {
        f"{SERVICE}\t{cache_key_entry(profile)}": key,
        f"{SERVICE}\t{account_name(server, USERNAME)}": "bench-refresh-token",
    }
    keyring_file.write_text(json.dumps(entries))
    env = {
        **{k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"},
        # compiled modules as an installed app has them, kept apart from the repository's folders
        "PYTHONPYCACHEPREFIX": str(workdir / "pycache"),
        "QT_QPA_PLATFORM": "offscreen",
        "PYTHONPATH": str(ROOT),
        "PYTHON_KEYRING_BACKEND": BACKEND_NAME,
        ENV_FILE: str(keyring_file),
        READY_PROBE_ENV: "1",
        "LIAISON_BENCH_SERVER": server,
    }
    return profile, env, key


def open_parts(cache_file: Path, key: str) -> tuple[float, float, float]:
    """In this process, ms of: `open_quickly` on the profile's file as the window opens it (key
    check, schema version, the critical tables' `quick_check`, on a driver connection), the
    `open_cache(check="critical")` it falls back to (the same through SQLAlchemy, with the migration
    check), and the background whole-file check."""
    started = time.perf_counter()
    quick = open_quickly(cache_file, key)
    if quick is None:
        raise RuntimeError("the bench cache cannot be opened quickly (see the log): the app would fall back")
    quick_ms = (time.perf_counter() - started) * 1000
    quick[0].close()
    started = time.perf_counter()
    cache, _report = open_cache(cache_file, key, check="critical")
    open_ms = (time.perf_counter() - started) * 1000
    cache.close()
    started = time.perf_counter()
    result = IntegrityCheck(cache_file, key).run()
    check_ms = (time.perf_counter() - started) * 1000
    if result.outcome != "ok":
        raise RuntimeError(f"the bench cache failed its integrity check: {result.problem}")
    return quick_ms, open_ms, check_ms


def _close_case(directory: Path, key: str | None, mib: int, held: bool, checkpoint: bool) -> str:
    """One transaction of `mib` MiB (with a reader's snapshot held across its commit, or not), then
    optionally `Writer.checkpoint()` (what the shell does after a sync cycle), then the close."""
    path = directory / f"close-{mib}-{held}-{checkpoint}-{key is not None}.db"
    cache, _report = open_cache(path, key)
    rows = [(f"i{n:08d}", "x" * 1000) for n in range(mib * 1000)]
    with ExitStack() as stack:
        if held:
            reader = stack.enter_context(cache.read())
            reader.exec_driver_sql("SELECT count(*) FROM interaction").scalar()
        with cache.writer.transaction() as conn:
            driver = conn.connection.driver_connection
            assert driver is not None
            driver.executemany(
                "INSERT INTO interaction (id, version, customer_id, channel, direction, occurred_at, summary, "
                "extra) VALUES (?, 1, 'c', 'phone', 'inbound', '2026-01-01T00:00:00+00:00', ?, '{}')",
                rows,
            )
    wal = path.with_name(path.name + "-wal").stat().st_size / 2**20
    started = time.perf_counter()
    if checkpoint:
        cache.writer.checkpoint()
    settled = time.perf_counter()
    cache.close()
    closed = time.perf_counter()
    for leftover in directory.glob(path.name + "*"):
        leftover.unlink()
    return (
        f"WAL {wal:4.0f} MiB, reader held at commit: {'yes' if held else 'no '}, "
        f"checkpoint before: {'yes' if checkpoint else 'no '} ({(settled - started) * 1000:5.0f} ms) → "
        f"close {(closed - settled) * 1000:5.0f} ms"
    )


def close_study(mib: int) -> None:
    """Why a close can take seconds: the frames SQLite's automatic checkpoint could not copy."""
    key = os.urandom(32).hex()
    with tempfile.TemporaryDirectory(prefix="bench-close-") as scratch:
        for cipher in (None, key):
            print(
                f"  cache close after one {mib} MiB transaction, {'SQLCipher' if cipher else 'plain SQLite'}:"
            )
            for held, checkpoint in ((False, False), (True, False), (True, True)):
                print("    " + _close_case(Path(scratch), cipher, mib, held, checkpoint))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--cache", type=Path, required=True, help="the bench cache (built if missing)")
    parser.add_argument("--customers", type=int, default=DEFAULT_CUSTOMERS)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument(
        "--workdir", type=Path, default=None, help="keep the profile (and its encrypted cache) here for reuse"
    )
    parser.add_argument(
        "--close-study", type=int, default=0, metavar="MIB", help="only time cache closes after a MIB write"
    )
    args = parser.parse_args()
    if args.close_study:
        close_study(args.close_study)
        return
    meta = ensure_cache(args.cache, args.customers)
    print(describe(meta))
    with tempfile.TemporaryDirectory(prefix="bench-cold-") as scratch:
        workdir = args.workdir or Path(scratch)
        profile, env, key = prepare_profile(workdir, args.cache)
        cache_file = resolve_paths(profile).data_dir / CACHE_FILE
        print(f"encrypted cache {cache_file.stat().st_size / 2**20:,.0f} MiB at {cache_file}")
        print(f"load average {os.getloadavg()[0]:.1f}")
        python = sys.executable
        app = [python, "-m", "desktop", "--profile", str(profile), "--server", env["LIAISON_BENCH_SERVER"]]
        app += ["--username", USERNAME]
        commands = {
            "bare interpreter": [python, "-c", _BARE],
            "Qt window alone": [python, "-c", _QT_WINDOW.format(imports="")],
            "Qt window, SQLAlchemy + httpx first": [
                python,
                "-c",
                _QT_WINDOW.format(imports="import sqlalchemy, sqlalchemy.orm, httpx"),
            ],
            "liaison (window from the cache)": app,
        }
        for command in commands.values():  # compiles the modules into the pycache prefix
            probe(command, env, quits_itself=command is app)
        results: dict[str, list[Run]] = {name: [] for name in commands}
        for _ in range(args.runs):
            warm_file(cache_file)
            for name, command in commands.items():
                results[name].append(probe(command, env, quits_itself=command is app))
        warm_file(cache_file)
        quick_ms, open_ms, check_ms = open_parts(cache_file, key)
    print(f"{args.runs} runs each, interleaved; start → ready / ready → exit / peak RSS")
    for name, runs in results.items():
        print(f"  {name}")
        print(f"    start {figure([r.start_ms for r in runs], 'ms')}")
        print(f"    exit  {figure([r.exit_ms for r in runs], 'ms')}")
        print(f"    RSS   {figure([r.rss_mb for r in runs], 'MB')}")
    print(
        f"  in-process: open_quickly (as the window opens the cache) {quick_ms:.0f} ms; its fallback "
        f"open_cache (critical tables checked) {open_ms:.0f} ms; the background whole-file check "
        f"{check_ms:.0f} ms"
    )
    runs = results["liaison (window from the cache)"]
    start95 = statistics.quantiles([r.start_ms for r in runs], n=100, method="inclusive")[94]
    exit_max = max(r.exit_ms for r in runs)
    rss_max = max(r.rss_mb for r in runs)
    floor = statistics.median(r.start_ms for r in results["Qt window alone"])
    eager = statistics.median(r.start_ms for r in results["Qt window, SQLAlchemy + httpx first"])
    print(
        f"  liaison start p95 / Qt-alone p50 = {start95 / floor:.2f}; / eager-imports p50 = {start95 / eager:.2f}"
    )
    for label, value, goal, unit in (
        ("start p95", start95, GOAL_START_MS, "ms"),
        ("peak RSS", rss_max, GOAL_RSS_MB, "MB"),
        ("exit max", exit_max, GOAL_EXIT_MS, "ms"),
    ):
        print(
            f"  goal {label} ≤ {goal:.0f} {unit}: {'met' if value <= goal else 'NOT met'} ({value:.0f} {unit})"
        )
    print(f"load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
