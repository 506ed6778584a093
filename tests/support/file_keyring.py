"""A keyring backend for tests only: entries in a JSON file named by `LIAISON_TEST_KEYRING_FILE`.

Subprocesses under test pick it with `PYTHON_KEYRING_BACKEND=tests.support.file_keyring.FileKeyring`,
so a test and the commands it runs share one keyring without touching the OS's.
"""

import json
import os
from pathlib import Path

from keyring.backend import KeyringBackend
from keyring.errors import PasswordDeleteError

ENV_FILE = "LIAISON_TEST_KEYRING_FILE"
BACKEND_NAME = "tests.support.file_keyring.FileKeyring"


class FileKeyring(KeyringBackend):
    """(service, username) → password, in the JSON file `$LIAISON_TEST_KEYRING_FILE`."""

    priority = 1

    def __init__(self, path: Path | None = None) -> None:
        super().__init__()
        named = path if path is not None else os.environ.get(ENV_FILE)
        if not named:
            raise RuntimeError(f"FileKeyring needs {ENV_FILE}")
        self.path = Path(named)

    def _read(self) -> dict[str, str]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        return {str(k): str(v) for k, v in data.items()}

    def _write(self, entries: dict[str, str]) -> None:
        temp = self.path.with_name(self.path.name + ".tmp")
        temp.write_text(json.dumps(entries, sort_keys=True), encoding="utf-8")
        temp.replace(self.path)

    @staticmethod
    def _key(service: str, username: str) -> str:
        return f"{service}\t{username}"

    def get_password(self, service: str, username: str) -> str | None:
        return self._read().get(self._key(service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        entries = self._read()
        entries[self._key(service, username)] = password
        self._write(entries)

    def delete_password(self, service: str, username: str) -> None:
        entries = self._read()
        if entries.pop(self._key(service, username), None) is None:
            raise PasswordDeleteError("no such entry")
        self._write(entries)
