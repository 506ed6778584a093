"""The store package loads its names when first used, and its light modules import no SQLAlchemy.

The window opens its cache and searches it before SQLAlchemy is imported (`store.quick_open`,
desktop/app.py): a light module that starts importing SQLAlchemy slows every start by ~150 ms, so a
fresh interpreter checks it."""

import subprocess
import sys
from pathlib import Path

import desktop.services.store as store

ROOT = Path(__file__).resolve().parents[3]
LIGHT = (
    "desktop.services.store",
    "desktop.services.store.connect",
    "desktop.services.store.database",
    "desktop.services.store.errors",
    "desktop.services.store.integrity",
    "desktop.services.store.keycheck",
    "desktop.services.store.quick_open",
    "desktop.services.store.report",
    "desktop.services.store.search_query",
    "desktop.services.store.text",
    "desktop.services.store.version",
)


def test_every_exported_name_resolves() -> None:
    for name in store.__all__:
        assert getattr(store, name) is not None, name
    assert sorted(store.__all__) == sorted(store._WHERE)
    assert callable(store.search) and store.search.__module__ == "desktop.services.store.search_query"


def test_the_light_modules_import_no_sqlalchemy() -> None:
    probe = f"import sys\nfor m in {LIGHT!r}: __import__(m)\nprint(sorted(m for m in sys.modules if m.startswith('sqlalchemy')))"
    out = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=120, check=True
    )
    assert out.stdout.strip() == "[]"
