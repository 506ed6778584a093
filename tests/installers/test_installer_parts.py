"""The parts build.py puts together, each on its own: the generated app icons and version
resource, the Linux tarball, and the Inno Setup script's agreement with the desktop's settings."""

import ast
import re
import struct
import tarfile
from pathlib import Path

import pytest
from PySide6.QtGui import QImage

from desktop.services import settings
from installers import bundle_check, icons, package, version_info

ROOT = Path(__file__).resolve().parents[2]
ISS = ROOT / "installers" / "windows" / "liaison.iss"
SPEC = ROOT / "installers" / "liaison.spec"


def _png_size(data: bytes) -> tuple[int, int]:
    image = QImage.fromData(data, "PNG")
    assert not image.isNull()
    return image.width(), image.height()


@pytest.mark.gui
def test_icons_are_rendered_from_the_svg_into_valid_containers(qapp: object, tmp_path: Path) -> None:
    written = icons.write_icons(tmp_path)
    assert _png_size(written["png"].read_bytes()) == (icons.PNG_SIZE, icons.PNG_SIZE)

    ico = written["ico"].read_bytes()
    reserved, kind, count = struct.unpack_from("<HHH", ico)
    assert (reserved, kind, count) == (0, 1, len(icons.ICO_SIZES))
    for index, size in enumerate(sorted(icons.ICO_SIZES)):
        width, height, _c, _r, _planes, bits, length, offset = struct.unpack_from(
            "<BBBBHHII", ico, 6 + 16 * index
        )
        assert (width or 256, height or 256, bits) == (size, size, 32)
        assert _png_size(ico[offset : offset + length]) == (size, size)

    icns = written["icns"].read_bytes()
    assert icns[:4] == b"icns" and struct.unpack(">I", icns[4:8])[0] == len(icns)
    position, found = 8, {}
    while position < len(icns):
        element, length = (
            icns[position : position + 4],
            struct.unpack(">I", icns[position + 4 : position + 8])[0],
        )
        found[element] = _png_size(icns[position + 8 : position + length])
        position += length
    assert found == {kind: (size, size) for kind, size in icons.ICNS_TYPES}


@pytest.mark.gui
def test_the_icon_shows_the_glyph_on_the_accent_colour(qapp: object) -> None:
    image = QImage.fromData(icons.render_png(64), "PNG")
    assert image.pixelColor(32, 2).name() == icons.BACKGROUND  # the rounded square
    assert image.pixelColor(0, 0).alpha() == 0  # its rounded corner
    colours = {
        image.pixelColor(x, y).name() for x in range(64) for y in range(64) if image.pixelColor(x, y).alpha()
    }
    assert icons.FOREGROUND in colours  # the white glyph


def test_icon_containers_refuse_what_they_cannot_hold() -> None:
    with pytest.raises(ValueError, match="256"):
        icons.ico_bytes([(512, b"png")])
    with pytest.raises(ValueError, match="four bytes"):
        icons.icns_bytes([(b"ic7", b"png")])


@pytest.mark.parametrize(
    ("version", "numbers"),
    [
        ("0.1.0", (0, 1, 0, 0)),
        ("1.2.3.4", (1, 2, 3, 4)),
        ("2.0rc1", (2, 0, 1, 0)),
        ("3.1.4+local.7", (3, 1, 4, 0)),
    ],
)
def test_windows_versions_are_four_numbers(version: str, numbers: tuple[int, int, int, int]) -> None:
    assert version_info.numeric_version(version) == numbers


def test_the_version_resource_carries_the_package_version(tmp_path: Path) -> None:
    target = tmp_path / "version.txt"
    version = version_info.write_version_resource(target)
    assert version == version_info.package_version()
    text = target.read_text(encoding="utf-8")
    tree = ast.parse(text, mode="eval")  # PyInstaller eval()s the file: it must be one expression
    assert isinstance(tree.body, ast.Call) and getattr(tree.body.func, "id", "") == "VSVersionInfo"
    assert f"filevers={version_info.numeric_version(version)}" in text
    assert f"StringStruct('ProductVersion', '{version}')" in text


def test_the_version_resource_is_what_pyinstaller_reads(tmp_path: Path) -> None:
    pytest.importorskip(
        "pefile", reason="PyInstaller's Windows version tooling (pefile) exists on Windows only"
    )
    from PyInstaller.utils.win32.versioninfo import load_version_info_from_text_file

    target = tmp_path / "version.txt"
    version_info.write_version_resource(target, "4.5.6")
    info = load_version_info_from_text_file(str(target))
    assert info.ffi.fileVersionMS == (4 << 16) | 5
    assert info.toRaw()


def test_the_linux_package_is_a_tarball_of_the_bundle(tmp_path: Path) -> None:
    bundle = tmp_path / "liaison"
    (bundle / "_internal").mkdir(parents=True)
    (bundle / "liaison").write_bytes(b"\x7fELF")
    (bundle / "_internal" / "data.txt").write_text("x", encoding="utf-8")
    target = package.linux_tarball(bundle, tmp_path, "9.8.7")
    assert target.name.startswith("liaison-desk-9.8.7-linux-") and target.name.endswith(".tar.gz")
    with tarfile.open(target) as archive:
        names = set(archive.getnames())
    assert {"liaison-desk-9.8.7/liaison", "liaison-desk-9.8.7/_internal/data.txt"} <= names


def test_the_audit_requires_every_resource_and_the_os_plugins() -> None:
    for key, plugins in bundle_check.PLATFORM_PLUGINS.items():
        patterns = bundle_check.required_files(key)
        for name in plugins:
            assert any(name in pattern and "/platforms/" in pattern for pattern in patterns), (key, name)
    source_icons = sorted(p.name for p in (ROOT / "resources" / "icons").glob("*.svg"))
    required_icons = sorted(
        p.rsplit("/", 1)[1] for p in bundle_check.required_files("linux") if "/icons/" in p
    )
    assert required_icons == source_icons
    # views imported by name only (importlib) must be named for the audit
    assert "desktop.views.search.box" in bundle_check.source_modules()
    assert "desktop.views.customer.screen" in bundle_check.source_modules()


def test_the_windows_installer_presets_the_file_the_desktop_reads() -> None:
    text = ISS.read_text(encoding="utf-8")
    assert re.search(r"^PrivilegesRequired=lowest$", text, re.M)
    preset_dir = re.search(r'#define PresetDir "\{localappdata\}\\(.+)"', text)
    assert preset_dir is not None
    # platformdirs' user_config_dir on Windows: %LOCALAPPDATA%\<author>\<app>
    assert preset_dir.group(1) == f"{settings.APP_AUTHOR}\\{settings.APP_NAME}"
    ini = re.search(
        r'^Filename: "\{#PresetDir\}\\(.+?)"; Section: "(.+?)"; Key: "(.+?)"; String: "\{param:SERVER\}"',
        text,
        re.M,
    )
    assert ini is not None
    assert ini.groups() == (settings.SETTINGS_FILE, settings.SERVER_SECTION, settings.SERVER_URL_KEY)
    # liaison:// registered per user, handing the URL to liaison.exe
    assert (
        'Root: HKCU; Subkey: "Software\\Classes\\liaison"; ValueType: string; ValueName: "URL Protocol"'
        in text
    )
    assert '"""{app}\\{#AppExe}"" ""%1"""' in text


def test_the_mac_bundle_registers_the_url_scheme() -> None:
    text = SPEC.read_text(encoding="utf-8")
    assert '"CFBundleURLSchemes": ["liaison"]' in text
    assert '"CFBundleShortVersionString": VERSION' in text
