"""`liaison sync` holds the profile lock: a second sync on the same profile stops with exit 2 and
names the holder; once the holder is gone the sync runs."""

import json
from pathlib import Path

from desktop.services.profile_lock import ProfileLock
from desktop.services.settings import resolve_paths
from tests.e2e.conftest import E2EServer
from tests.reliability.conftest import cli_sync
from tests.support.file_keyring import ENV_FILE


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


def test_the_sync_log_holds_no_secret_and_no_request_url(
    e2e_server: E2EServer, keyring_env: dict[str, str], tmp_path: Path
) -> None:
    profile = tmp_path / "profile"
    done = cli_sync(keyring_env, profile, e2e_server.url, password=True)
    assert done.returncode == 0, done.stderr
    secrets = json.loads(Path(keyring_env[ENV_FILE]).read_text(encoding="utf-8")).values()
    assert len(secrets) == 2  # the refresh token and the cache key
    text = (resolve_paths(profile).log_dir / "sync.log").read_text(encoding="utf-8")
    assert text  # something was logged
    for secret in secrets:
        assert secret not in text
    assert "HTTP Request" not in text and "/api/v1/" not in text
