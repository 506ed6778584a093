"""Build the frozen desktop for this OS, prove it works, then package it.

    python installers/build.py [--clean] [--no-package] [--customers N]

1. freeze: `pyinstaller installers/liaison.spec` (onedir) into dist/ (work files under
   build/pyinstaller/, reused between runs unless --clean: a rebuild is faster);
2. audit the bundle (`bundle_check`): every missing plugin, data file or module named at once;
3. smoke-test the frozen programs against a seeded reference server (`smoke`);
4. package: Linux .tar.gz, Windows Inno Setup setup.exe, macOS .dmg (`package`).

Any failure stops the build with exit status 1 and says which step and what was missing; nothing
is packaged from a bundle that failed. `dist/build-report.json` records what was checked, what
could not be, the bundle's size and each step's time; `dist/smoke-screenshot.png` is the customer
screen the frozen app drew offscreen.
"""

import argparse
import json
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Final

ROOT: Final = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # `python installers/build.py` from anywhere: import the source tree
    sys.path.insert(0, str(ROOT))

from installers.bundle_check import audit  # noqa: E402
from installers.package import PackagingError, package  # noqa: E402
from installers.smoke import smoke_test  # noqa: E402
from installers.smoke_process import FrozenApp, SmokeFailure  # noqa: E402
from installers.version_info import package_version  # noqa: E402

SPEC: Final = ROOT / "installers" / "liaison.spec"
DIST: Final = ROOT / "dist"
WORK: Final = ROOT / "build" / "pyinstaller"
ASSETS: Final = ROOT / "build" / "installer-assets"
REPORT: Final = DIST / "build-report.json"
SCREENSHOT: Final = DIST / "smoke-screenshot.png"
FREEZE_TIMEOUT_S: Final = 3600.0


@dataclass(frozen=True)
class Layout:
    """Where this OS's build puts things: the shipped bundle, its data folder, its programs."""

    bundle: Path
    internal: Path
    app: FrozenApp


def layout(dist: Path = DIST) -> Layout:
    if sys.platform == "darwin":
        bundle = dist / "Liaison Desk.app"
        program = bundle / "Contents" / "MacOS" / "liaison"
        return Layout(bundle, bundle / "Contents" / "Frameworks", FrozenApp(gui=program, cli=program))
    onedir = dist / "liaison"
    if sys.platform == "win32":
        return Layout(
            onedir, onedir / "_internal", FrozenApp(onedir / "liaison.exe", onedir / "liaison-cli.exe")
        )
    return Layout(onedir, onedir / "_internal", FrozenApp(onedir / "liaison", onedir / "liaison"))


@dataclass
class BuildReport:
    version: str
    platform: str
    steps_s: dict[str, float] = field(default_factory=dict)
    bundle_bytes: int = 0
    audit: str = ""
    smoke_passed: list[str] = field(default_factory=list)
    not_checked: list[str] = field(default_factory=list)
    installer: str = ""
    ok: bool = False


def say(text: str) -> None:
    sys.stdout.write(f"build: {text}\n")
    sys.stdout.flush()


def folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink())


def freeze(clean: bool) -> None:
    command = [sys.executable, "-m", "PyInstaller", "--noconfirm", "--log-level", "WARN"]
    command += ["--distpath", str(DIST), "--workpath", str(WORK)]
    if clean:
        command.append("--clean")
    subprocess.run([*command, str(SPEC)], cwd=ROOT, check=True, timeout=FREEZE_TIMEOUT_S)  # noqa: S603


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Freeze, smoke-test and package Liaison Desk for this OS.")
    parser.add_argument("--clean", action="store_true", help="drop PyInstaller's cache and work files first")
    parser.add_argument("--no-package", action="store_true", help="stop after the smoke test")
    parser.add_argument("--customers", type=int, default=400, help="customers seeded for the smoke test")
    return parser.parse_args(list(argv))


def _timed(report: BuildReport, step: str, started: float) -> None:
    report.steps_s[step] = round(time.monotonic() - started, 1)
    say(f"{step}: {report.steps_s[step]} s")


def run(args: argparse.Namespace) -> BuildReport:
    report = BuildReport(version=package_version(), platform=f"{sys.platform}-{platform.machine()}")
    where = layout()

    started = time.monotonic()
    say(f"freezing Liaison Desk {report.version} for {report.platform}")
    freeze(args.clean)
    report.bundle_bytes = folder_bytes(where.bundle)
    _timed(report, "freeze", started)
    say(f"bundle: {where.bundle} ({report.bundle_bytes / 1e6:.1f} MB)")

    started = time.monotonic()
    found = audit(where.internal, where.app.cli)
    report.audit = found.describe()
    if not found.ok:
        raise SmokeFailure(f"the bundle is incomplete:\n{found.describe()}")
    _timed(report, "audit", started)

    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="liaison-smoke-") as work:
        result = smoke_test(where.app, Path(work), version=report.version, customers=args.customers, say=say)
        shutil.copyfile(result.screenshot, SCREENSHOT)  # the customer screen the frozen app drew
    report.smoke_passed, report.not_checked = result.passed, result.not_checked
    for line in result.passed:
        say(f"smoke passed: {line}")
    for line in result.not_checked:
        say(f"NOT CHECKED: {line}")
    _timed(report, "smoke", started)

    if not args.no_package:
        started = time.monotonic()
        report.installer = str(package(where.bundle, DIST, report.version, ASSETS, say))
        _timed(report, "package", started)
        say(f"installer: {report.installer}")
    report.ok = True
    return report


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    DIST.mkdir(parents=True, exist_ok=True)
    REPORT.unlink(missing_ok=True)
    try:
        report = run(args)
    except (SmokeFailure, PackagingError) as exc:
        sys.stderr.write(f"build: FAILED: {exc}\n")
        return 1
    except subprocess.CalledProcessError as exc:
        sys.stderr.write(f"build: FAILED: {exc.cmd[0]} exited with {exc.returncode}\n")
        return 1
    REPORT.write_text(json.dumps(asdict(report), indent=1) + "\n", encoding="utf-8")
    say(f"smoke test passed; report in {REPORT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
