"""`liaison sync` holds the profile lock: a second sync on the same profile stops with exit 2 and
names the holder; once the holder is gone the sync runs."""

from pathlib import Path

from desktop.services.profile_lock import ProfileLock
from desktop.services.settings import resolve_paths
from tests.e2e.conftest import E2EServer
from tests.reliability.conftest import cli_sync


def test_second_sync_on_a_profile_is_refused(
    e2e_server: E2EServer, keyring_env: dict[str, str], tmp_path: Path
) -> None:
    profile = tmp_path / "profile"
    paths = resolve_paths(profile).ensure()
    with ProfileLock(paths.data_dir):
        refused = cli_sync(keyring_env, profile, e2e_server.url, password=True)
    assert refused.returncode == 2
    assert "already open in process" in refused.stderr
    assert "Traceback" not in refused.stderr
    assert not (paths.data_dir / "cache.db").exists()  # refused before touching the cache
    done = cli_sync(keyring_env, profile, e2e_server.url, password=True)
    assert done.returncode == 0, done.stderr
