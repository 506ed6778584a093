"""Subprocess helper for the reliability tests: opens a profile's cache with its key from the
(file) keyring, as `liaison sync` does, and works on it. Not a test module.

    python tests/reliability/cache_helper.py edits PROFILE CASE_ID NOTES [SUBJECT]
        NOTES note appends on the case (and a subject update): prints one JSON line per edit
        {"entity", "id", "mutation_id"} once its transaction committed.
    python tests/reliability/cache_helper.py loop PROFILE CASE_ID
        note appends until killed: "begin <id>" before each transaction, "done <id>" after.
    python tests/reliability/cache_helper.py prime PROFILE SERVER USERNAME PAGE_LIMIT
        one sync cycle of the real engine with small pull pages (password "demo").
"""

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import select  # noqa: E402

from desktop.services.profile_cache import CACHE_FILE, cache_key  # noqa: E402
from desktop.services.settings import resolve_paths  # noqa: E402
from desktop.services.store import Cache, apply_local_edit, new_record_id, open_cache  # noqa: E402
from desktop.services.store.schema import outbox  # noqa: E402


def open_profile(profile: Path, *, create: bool) -> Cache:
    paths = resolve_paths(profile).ensure()
    key = cache_key(paths.data_dir.parent, create=create)
    cache, _report = open_cache(paths.data_dir / CACHE_FILE, key)
    return cache


def _mutation_id(cache: Cache, entity: str, row_id: str) -> str:
    with cache.read() as conn:
        found = conn.execute(
            select(outbox.c.mutation_id)
            .where(outbox.c.entity == entity, outbox.c.entity_id == row_id)
            .order_by(outbox.c.client_seq.desc())
        ).first()
    assert found is not None
    return str(found[0])


def edits(profile: Path, case_id: str, notes: int, subject: str | None) -> None:
    cache = open_profile(profile, create=False)
    try:
        for i in range(notes):
            note_id = new_record_id()
            apply_local_edit(
                cache.writer, "case_note", note_id, "append", {"case_id": case_id, "body": f"n{i}"}
            )
            line = {
                "entity": "case_note",
                "id": note_id,
                "mutation_id": _mutation_id(cache, "case_note", note_id),
            }
            print(json.dumps(line), flush=True)
        if subject:
            apply_local_edit(cache.writer, "case", case_id, "update", {"subject": subject})
            line = {"entity": "case", "id": case_id, "mutation_id": _mutation_id(cache, "case", case_id)}
            print(json.dumps(line), flush=True)
    finally:
        cache.close()


def loop(profile: Path, case_id: str) -> None:
    cache = open_profile(profile, create=False)
    i = 0
    while True:
        note_id = new_record_id()
        print(f"begin {note_id}", flush=True)
        apply_local_edit(cache.writer, "case_note", note_id, "append", {"case_id": case_id, "body": f"b{i}"})
        print(f"done {note_id}", flush=True)
        i += 1


def prime(profile: Path, server: str, username: str, page_limit: int) -> None:
    from desktop.services.api import ApiClient
    from desktop.services.api_http import ApiConfig
    from desktop.services.sync import SyncEngine

    cache = open_profile(profile, create=True)
    try:
        with ApiClient(ApiConfig(base_url=server)) as api:
            api.login(username, "demo")
            SyncEngine(cache, api, page_limit=page_limit).run_once()
    finally:
        cache.close()


def main(argv: list[str]) -> None:
    command, profile = argv[0], Path(argv[1])
    if command == "edits":
        edits(profile, argv[2], int(argv[3]), argv[4] if len(argv) > 4 else None)
    elif command == "loop":
        loop(profile, argv[2])
    elif command == "prime":
        prime(profile, argv[2], argv[3], int(argv[4]))
    else:
        raise SystemExit(f"unknown command {command!r}")


if __name__ == "__main__":
    main(sys.argv[1:])
