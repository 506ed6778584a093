"""The server URL IT presets in settings.ini (desktop/services/settings.py): which file wins and
what is ignored."""

from pathlib import Path

import pytest

from desktop.services.settings import Paths, preset_server_url, resolve_paths


def _paths(*files: Path) -> Paths:
    return Paths(data_dir=Path("d"), cache_dir=Path("c"), log_dir=Path("l"), settings_files=files)


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_a_profile_reads_only_its_own_settings_file(tmp_path: Path) -> None:
    paths = resolve_paths(tmp_path / "p")
    assert paths.settings_files == ((tmp_path / "p" / "settings.ini").resolve(),)
    assert preset_server_url(paths) is None
    _write(paths.settings_files[0], "[server]\nurl = https://crm.example.com\n")
    assert preset_server_url(paths) == "https://crm.example.com"


def test_the_os_paths_read_the_user_file_before_the_machine_file() -> None:
    user, machine = resolve_paths().settings_files
    assert user.name == machine.name == "settings.ini"
    assert user != machine


def test_the_first_file_that_names_a_server_wins(tmp_path: Path) -> None:
    user = _write(tmp_path / "user.ini", "[server]\nurl = https://user.example.com\n")
    machine = _write(tmp_path / "machine.ini", "[server]\nurl = https://machine.example.com\n")
    assert preset_server_url(_paths(user, machine)) == "https://user.example.com"
    assert preset_server_url(_paths(tmp_path / "missing.ini", machine)) == "https://machine.example.com"
    empty = _write(tmp_path / "empty.ini", "[server]\n")
    assert preset_server_url(_paths(empty, machine)) == "https://machine.example.com"


@pytest.mark.parametrize(
    "text",
    [
        "[server]\nurl = file:///etc/passwd\n",  # not http(s)
        "[server]\nurl = crm.example.com\n",  # no scheme
        "url = https://no-section.example.com\n",  # not INI
        "[server\nurl",  # malformed
    ],
)
def test_a_bad_preset_is_skipped_not_fatal(tmp_path: Path, text: str) -> None:
    bad = _write(tmp_path / "bad.ini", text)
    machine = _write(tmp_path / "machine.ini", "[server]\nurl = http://10.0.0.5:8765\n")
    assert preset_server_url(_paths(bad)) is None
    assert preset_server_url(_paths(bad, machine)) == "http://10.0.0.5:8765"


def test_an_unreadable_preset_is_skipped(tmp_path: Path) -> None:
    binary = tmp_path / "binary.ini"
    binary.write_bytes(b"\xff\xfe[server]\x00")
    assert preset_server_url(_paths(binary)) is None


def test_the_desktop_and_the_headless_sync_start_with_the_preset_server(tmp_path: Path) -> None:
    from PySide6.QtCore import QSettings

    from desktop import cli_sync
    from desktop.app import DEFAULT_SERVER, _options, parse_args

    paths = resolve_paths(tmp_path / "p").ensure()
    ui = QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat)
    assert _options(parse_args([]), ui, None, paths).server_url == DEFAULT_SERVER
    _write(paths.settings_files[0], "[server]\nurl = https://crm.example.com\n")
    assert _options(parse_args([]), ui, None, paths).server_url == "https://crm.example.com"
    # the command line wins over the preset
    explicit = parse_args(["--server", "https://other.example.com"])
    assert _options(explicit, ui, None, paths).server_url == "https://other.example.com"
    # the headless sync leaves --server unset, so that its main() applies the same preset
    assert cli_sync.parse_args(["--profile", str(tmp_path / "p")]).server is None
