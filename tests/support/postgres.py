"""A throwaway PostgreSQL cluster for the test session (docs: research/ecosystem-check.md, 8b).

`initdb` refuses to run as root, so as root the cluster belongs to the `postgres` OS user and its
commands run through `runuser`. Data lives in a temporary folder; fsync is off.
"""

import glob
import os
import re
import shutil
import subprocess
import tempfile
import uuid
from pathlib import Path

from sqlalchemy.engine import make_url

from tests.support.net import free_port

PG_USER = "test"


def find_bindir() -> Path | None:
    """The newest /usr/lib/postgresql/<version>/bin with initdb, else initdb on PATH, else None."""

    def version(path: str) -> tuple[int, ...]:
        return tuple(int(n) for n in re.findall(r"\d+", path))

    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=version, reverse=True)
    if found:
        return Path(found[0]).parent
    on_path = shutil.which("initdb")
    return Path(on_path).parent if on_path else None


class PgCluster:
    """Start with `start()`; `cluster()` (or `new_database()`) returns the URL of a new empty database."""

    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.root = Path(tempfile.mkdtemp(prefix="liaison-pg-"))
        self.data = self.root / "data"
        self.log = self.root / "postgres.log"
        self.port = 0
        self._as_postgres = os.geteuid() == 0

    def _run(self, *args: str) -> None:
        cmd = [str(self.bindir / args[0]), *args[1:]]
        if self._as_postgres:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        result = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            log = self.log.read_text(errors="replace")[-2000:] if self.log.exists() else ""
            raise RuntimeError(f"{' '.join(cmd)} failed: {result.stderr.strip()}\n{log}")

    def start(self) -> None:
        if self._as_postgres:
            shutil.chown(self.root, "postgres", "postgres")
        self._run("initdb", "-D", str(self.data), "-U", PG_USER, "--auth=trust", "-E", "UTF8", "--no-sync")
        last: Exception | None = None
        for _attempt in range(3):  # the port may be taken between choosing and binding it
            self.port = free_port()
            options = (
                f"-k {self.root} -p {self.port} -c listen_addresses=127.0.0.1 -c fsync=off "
                "-c synchronous_commit=off -c full_page_writes=off -c max_connections=300"
            )
            try:
                self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-w", "-o", options, "start")
                return
            except RuntimeError as exc:
                last = exc
        raise RuntimeError(f"PostgreSQL did not start: {last}")

    @property
    def admin_conninfo(self) -> str:
        return f"host=127.0.0.1 port={self.port} user={PG_USER} dbname=postgres"

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://{PG_USER}@127.0.0.1:{self.port}/{database}"

    def new_database(self) -> str:
        import psycopg

        name = f"t_{uuid.uuid4().hex[:16]}"
        with psycopg.connect(self.admin_conninfo, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    __call__ = new_database

    def clone_database(self, template_url: str, target_url: str | None = None) -> str:
        """A copy of `template_url` (which nobody may be connected to) as a new database, or as
        `target_url`'s database; returns the copy's URL."""
        import psycopg

        name = make_url(target_url).database if target_url else f"t_{uuid.uuid4().hex[:16]}"
        template = make_url(template_url).database
        with psycopg.connect(self.admin_conninfo, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        return self.url(str(name))

    def drop_database(self, url: str) -> None:
        import psycopg

        name = make_url(url).database
        with psycopg.connect(self.admin_conninfo, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def stop(self) -> None:
        try:
            if self.data.exists():
                self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)
