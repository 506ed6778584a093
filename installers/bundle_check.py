"""What a frozen bundle must hold, checked without running it: files on disk and modules in its PYZ.

A bundle that lacks a Qt plugin, a data file or a module imported by name fails only when that
path runs; this audit names every missing part at once, before the smoke test starts the app.

- files: the PySide6 extension of every Qt module the desktop imports, Qt platform plugins (offscreen everywhere, plus the OS's own: xcb and wayland, windows,
  cocoa), the SVG image and icon-engine plugins, every SVG icon and QSS theme of `resources/`,
  the sqlcipher3 extension, certifi's CA bundle, the dist-info of
  keyring with its `keyring.backends` entry points;
- modules (read from the executable's embedded PYZ archive): every module of `desktop` and
  `wire` in the source tree (some views are imported by name only), the keyring backends of this OS, the SQLCipher dialect, phonenumbers' per-region
  metadata (modules imported by region code), httpx and h11.
"""

import re
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

ROOT: Final = Path(__file__).resolve().parents[1]

PLATFORM_PLUGINS: Final = {
    "linux": ("qoffscreen", "qxcb", "qwayland"),
    "win32": ("qoffscreen", "qwindows"),
    "darwin": ("qoffscreen", "qcocoa"),
}
KEYRING_BACKENDS: Final = {
    "linux": ("keyring.backends.SecretService", "keyring.backends.libsecret", "keyring.backends.kwallet"),
    "win32": ("keyring.backends.Windows",),
    "darwin": ("keyring.backends.macOS",),
}
MODULES: Final = (
    "resources",
    "sqlcipher3",
    "sqlcipher3.dbapi2",
    "sqlalchemy.dialects.sqlite.pysqlcipher",
    "phonenumbers",
    # the metadata is Python modules, loaded by region code at run time
    "phonenumbers.data.region_GB",
    "phonenumbers.data.region_US",
    "phonenumbers.data.region_DE",
    "httpx",
    "h11",
    "certifi",
    "keyring.backends.chainer",
    "platformdirs",
)
#: modules that must NOT be there: the server side is not the agent's app
FORBIDDEN: Final = ("server", "fastapi", "uvicorn", "tests")


@dataclass
class Report:
    """What the audit found missing (empty lists: the bundle is complete)."""

    missing_files: list[str] = field(default_factory=list)
    missing_modules: list[str] = field(default_factory=list)
    forbidden_modules: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (self.missing_files or self.missing_modules or self.forbidden_modules)

    def describe(self) -> str:
        lines = [f"missing file: {name}" for name in self.missing_files]
        lines += [f"missing module: {name}" for name in self.missing_modules]
        lines += [f"module that must not be bundled: {name}" for name in self.forbidden_modules]
        return "\n".join(lines) or "complete"


def _os_key() -> str:
    return "linux" if sys.platform.startswith("linux") else sys.platform


def _has(internal: Path, pattern: str) -> bool:
    return any(internal.glob(pattern))


def required_files(platform: str | None = None) -> list[str]:
    """Glob patterns, relative to the bundle's `_internal` (contents) directory."""
    key = platform or _os_key()
    plugins = "PySide6/Qt/plugins" if key != "win32" else "PySide6/plugins"
    patterns = [f"{plugins}/platforms/*{name}.*" for name in PLATFORM_PLUGINS[key]]
    patterns += [f"{plugins}/imageformats/*qsvg.*", f"{plugins}/iconengines/*qsvgicon.*"]
    source = ROOT / "resources"
    patterns += [f"resources/{p.relative_to(source).as_posix()}" for p in sorted(source.glob("icons/*.svg"))]
    patterns += [f"resources/{p.relative_to(source).as_posix()}" for p in sorted(source.glob("themes/*.qss"))]
    patterns += [
        "sqlcipher3/_sqlite3*",
        "certifi/cacert.pem",
        "keyring-*.dist-info/entry_points.txt",
    ]
    patterns += [f"PySide6/{name}.*" for name in qt_extensions()]
    return patterns


def bundled_modules(executable: Path) -> set[str]:
    """The module names in the PYZ archive embedded in a PyInstaller executable."""
    from PyInstaller.archive.readers import CArchiveReader, ZlibArchiveReader  # type: ignore[import-untyped]

    package = CArchiveReader(str(executable))
    names = [name for name in package.toc if name.endswith(".pyz") or name == "PYZ.pyz"]
    if not names:
        raise RuntimeError(f"{executable} has no PYZ archive: not a PyInstaller executable?")
    pyz = package.open_embedded_archive(names[0])
    if not isinstance(pyz, ZlibArchiveReader):
        raise RuntimeError(f"{executable}: {names[0]} is not a PYZ archive")
    return set(pyz.toc)


def source_modules(packages: Iterable[str] = ("desktop", "wire")) -> list[str]:
    """Every module of the desktop's own packages in the source tree (all must be bundled: some
    are imported by name only)."""
    names = []
    for package in packages:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            names.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return names


def qt_extensions() -> list[str]:
    """The PySide6 extension modules the desktop's source imports (QtCore, QtWidgets, …)."""
    found: set[str] = set()
    for path in (ROOT / "desktop").rglob("*.py"):
        found.update(re.findall(r"PySide6\.(Qt[A-Za-z]+)", path.read_text(encoding="utf-8")))
    return sorted(found)


def _missing_modules(present: set[str], wanted: Iterable[str]) -> list[str]:
    return [name for name in wanted if name not in present]


def audit(internal: Path, executable: Path, platform: str | None = None) -> Report:
    """Check the bundle whose data lives in `internal` and whose program is `executable`."""
    key = platform or _os_key()
    report = Report()
    report.missing_files = [p for p in required_files(key) if not _has(internal, p)]
    entry_points = next(internal.glob("keyring-*.dist-info/entry_points.txt"), None)
    if entry_points is not None and "[keyring.backends]" not in entry_points.read_text(encoding="utf-8"):
        report.missing_files.append(f"{entry_points.relative_to(internal)}: [keyring.backends] section")
    present = bundled_modules(executable)
    wanted = (*source_modules(), *MODULES, *KEYRING_BACKENDS[key])
    report.missing_modules = _missing_modules(present, wanted)
    report.forbidden_modules = sorted(
        {top for top in FORBIDDEN for name in present if name == top or name.startswith(top + ".")}
    )
    return report
