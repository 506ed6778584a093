"""The installer of each OS, made from a frozen bundle that passed its smoke test.

- Linux: `liaison-desk-VERSION-linux-ARCH.tar.gz` of the onedir (`liaison/…`), with the app icon.
- Windows: Inno Setup's compiler (`ISCC.exe`, from PATH or its default install folder) on
  `installers/windows/liaison.iss` → `liaison-desk-VERSION-setup.exe`.
- macOS: `installers/macos/build_dmg.sh` (hdiutil; codesign, notarytool and stapler when the
  signing secrets are set) → `liaison-desk-VERSION.dmg`.

A tool missing on its own OS is an error (CI must not ship without an installer); the other OSes'
steps are not run and say so.
"""

import os
import platform
import shutil
import subprocess
import sys
import tarfile
from collections.abc import Callable
from pathlib import Path
from typing import Final

ROOT: Final = Path(__file__).resolve().parents[1]
ISS: Final = ROOT / "installers" / "windows" / "liaison.iss"
DMG_SCRIPT: Final = ROOT / "installers" / "macos" / "build_dmg.sh"
TOOL_TIMEOUT_S: Final = 1800.0


class PackagingError(RuntimeError):
    """An installer could not be made; the message says which tool or file is missing."""


def _arch() -> str:
    machine = platform.machine().lower()
    return {"amd64": "x86_64", "arm64": "aarch64"}.get(machine, machine)


def linux_tarball(bundle: Path, dist: Path, version: str) -> Path:
    """A .tar.gz of the onedir bundle (top folder `liaison-desk-VERSION/`)."""
    target = dist / f"liaison-desk-{version}-linux-{_arch()}.tar.gz"
    with tarfile.open(target, "w:gz", compresslevel=6) as archive:  # 9 is much slower for ~1% less
        archive.add(bundle, arcname=f"liaison-desk-{version}")
    return target


def find_iscc() -> Path | None:
    """Inno Setup 6's command-line compiler: on PATH, else in the default install folders."""
    found = shutil.which("ISCC") or shutil.which("iscc")
    if found:
        return Path(found)
    for variable in ("ProgramFiles(x86)", "ProgramFiles", "LOCALAPPDATA"):
        base = os.environ.get(variable)
        if base:
            for folder in (Path(base) / "Inno Setup 6", Path(base) / "Programs" / "Inno Setup 6"):
                if (folder / "ISCC.exe").is_file():
                    return folder / "ISCC.exe"
    return None


def windows_setup(bundle: Path, dist: Path, version: str, icon: Path) -> Path:
    """Compile the Inno Setup script over the bundle; the setup.exe."""
    iscc = find_iscc()
    if iscc is None:
        raise PackagingError(
            "Inno Setup 6 is needed for the Windows installer: `choco install innosetup` "
            "(or https://jrsoftware.org/isdl.php), then run build.py again"
        )
    command = [
        str(iscc),
        f"/DAppVersion={version}",
        f"/DBundleDir={bundle}",
        f"/DIconFile={icon}",
        f"/O{dist}",
        f"/Fliaison-desk-{version}-setup",
        str(ISS),
    ]
    subprocess.run(command, check=True, timeout=TOOL_TIMEOUT_S)  # noqa: S603 - fixed tool and arguments
    return dist / f"liaison-desk-{version}-setup.exe"


def macos_dmg(app_bundle: Path, dist: Path, version: str) -> Path:
    """Run the dmg script (it signs and notarizes when the secrets are set); the .dmg."""
    if shutil.which("hdiutil") is None:
        raise PackagingError("hdiutil (macOS) is needed for the dmg")
    target = dist / f"liaison-desk-{version}.dmg"
    subprocess.run(  # noqa: S603 - our script, fixed arguments
        ["/bin/bash", str(DMG_SCRIPT), str(app_bundle), str(target), version],
        check=True,
        timeout=TOOL_TIMEOUT_S,
    )
    return target


def package(bundle: Path, dist: Path, version: str, icon_dir: Path, say: Callable[[str], None]) -> Path:
    """The installer for the OS this runs on; prints what the other OSes' steps would need."""
    if sys.platform == "win32":
        return windows_setup(bundle, dist, version, icon_dir / "liaison.ico")
    if sys.platform == "darwin":
        return macos_dmg(bundle, dist, version)
    say("package: Windows setup.exe not made here (needs Windows and Inno Setup 6: ISCC.exe)")
    say("package: macOS dmg not made here (needs macOS: hdiutil, codesign, xcrun notarytool)")
    return linux_tarball(bundle, dist, version)
