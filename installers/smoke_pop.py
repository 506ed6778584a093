"""The smoke test's `liaison pop` step: a frozen instance runs and listens on its profile's local
socket (QtNetwork's QLocalServer in the bundle); `liaison pop --phone N` and
`liaison liaison://pop?phone=N` must both be acknowledged by it (exit 0).
"""

import subprocess
import threading
import time
from pathlib import Path
from typing import Final

from installers.smoke_process import PROCESS_TIMEOUT_S, SMOKE_USER, FrozenApp, SmokeFailure, run_step

LISTENING: Final = "listening for outside screen pops on"
#: a well-formed number for the pop (the instance acknowledges any valid number; a match is not needed)
POP_PHONE: Final = "+44 20 7946 0018"
READY_TIMEOUT_S: Final = 120.0
#: between looks at the running instance's log (it cannot signal this process otherwise)
POLL_S: Final = 0.1
#: how much of the instance's log a failure message quotes
LOG_TAIL_CHARS: Final = 4000


def pop_available(app: FrozenApp, env: dict[str, str]) -> bool:
    """Whether this build has `liaison pop` (`liaison pop --help` names --phone)."""
    done = subprocess.run(  # noqa: S603 - the frozen app we just built
        [str(app.cli), "pop", "--help"],
        check=False,
        capture_output=True,
        text=True,
        env=env,
        timeout=PROCESS_TIMEOUT_S,
    )
    return done.returncode == 0 and "--phone" in done.stdout


def _log_tail(log_file: Path, stderr_file: Path) -> str:
    """The end of the instance's log and of its standard error, for a failure message."""
    parts: list[str] = []
    for name, path in (("its log", log_file), ("its standard error", stderr_file)):
        text = path.read_text(encoding="utf-8", errors="replace") if path.exists() else ""
        parts.append(f"\n-- the end of {name} ({path}):\n{text[-LOG_TAIL_CHARS:] or '(empty)'}")
    return "".join(parts)


def _wait_for_log(
    log_file: Path, marker: str, seen_before: int, instance: subprocess.Popen[str], stderr_file: Path
) -> None:
    """Block until `marker` appears in `log_file` more often than `seen_before` times."""
    pause = threading.Event()  # never set: a bounded pause between looks at another process's log
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
        if instance.poll() is not None:
            raise SmokeFailure(
                f"pop: the running instance exited early ({instance.returncode}){_log_tail(log_file, stderr_file)}"
            )
        if (
            log_file.exists()
            and log_file.read_text(encoding="utf-8", errors="replace").count(marker) > seen_before
        ):
            return
        pause.wait(POLL_S)
    raise SmokeFailure(
        f"pop: the instance did not log {marker!r} within {READY_TIMEOUT_S:.0f} s{_log_tail(log_file, stderr_file)}"
    )


def check_pop(app: FrozenApp, env: dict[str, str], profile: Path, server_url: str) -> str:
    """A running frozen instance receives and acknowledges both forms of the pop; what passed."""
    log_file = profile / "log" / "desktop.log"
    before = (
        log_file.read_text(encoding="utf-8", errors="replace").count(LISTENING) if log_file.exists() else 0
    )
    stderr_file = profile.parent / "pop-instance.stderr"
    with stderr_file.open("w", encoding="utf-8") as stderr:
        instance = subprocess.Popen(  # noqa: S603 - the frozen app we just built
            [
                str(app.gui),
                "--profile",
                str(profile),
                "--server",
                server_url,
                "--username",
                SMOKE_USER,
            ],
            # its own log is the desktop.log of the profile; standard error is kept for a failure
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            text=True,
            env=env,
        )
    try:
        _wait_for_log(log_file, LISTENING, before, instance, stderr_file)
        run_step("liaison pop --phone", [app.cli, "pop", "--phone", POP_PHONE, "--profile", profile], env)
        url = "liaison://pop?phone=" + POP_PHONE.replace("+", "%2B").replace(" ", "%20")
        run_step("liaison liaison://pop", [app.cli, url, "--profile", profile], env)
    finally:
        instance.terminate()  # SIGTERM: the desktop quits through its normal shutdown
        try:
            instance.wait(PROCESS_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            instance.kill()
            instance.wait(PROCESS_TIMEOUT_S)
    return "pop: a running instance acknowledged `liaison pop --phone` and `liaison liaison://pop?phone=`"
