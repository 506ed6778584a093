"""The desktop's offline cache: an SQLite (SQLCipher) file with mirrors, outbox and search index.

Qt-free. The sync engine and the GUI's store lane use:
- `open_cache(path, key, check="full"|"critical") -> (Cache, StartupReport)` (`critical`: only
  the tables holding unsent work; `integrity.IntegrityCheck` runs the whole-file check later);
  `quick_open.open_quickly(path, key)`, the same for an existing, current, verified file without
  importing SQLAlchemy (the window's start); `Cache.writer` (the one `Writer`), `Cache.read()`
  (read-only SQLAlchemy connections), `Cache.read_raw()` (read-only driver connections: search);
- `apply_local_edit(writer, entity, id, op, new_values, depends_on=None) -> Changed`;
- `apply_page(writer, scope, changes, next_cursor, primed=, epoch=, defer_search=) -> Changed`
  (`defer_search`: the customers' search documents are listed in `search_dirty` and rebuilt by
  `apply.reindex_pending`), `reset_scope`, `reset_epoch`, `drop_scope`;
- queries (`customer`, `customers_by_phone`, `outbox_counts`, `scope_checksum`) and `search`;
- `state` (epoch, client id, cursors) and `overlay.settle` for rows whose outbox entries left.

The names are loaded when first used (PEP 562): importing this package, or one of its light
modules (`connect`, `database`, `errors`, `integrity`, `quick_open`, `report`, `search_query`,
`text`…), imports no SQLAlchemy, so the window can open the cache and search it before SQLAlchemy
is imported (desktop/app.py). The modules that build SQL with SQLAlchemy import it themselves.
"""

import importlib
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    from desktop.services.store.apply import apply_page, drop_scope, reset_epoch, reset_scope
    from desktop.services.store.changed import Changed
    from desktop.services.store.database import Cache, Writer
    from desktop.services.store.edits import apply_local_edit, new_record_id
    from desktop.services.store.errors import CacheError, CacheKeyError, LocalEditError
    from desktop.services.store.queries import customer, customers_by_phone, outbox_counts, scope_checksum
    from desktop.services.store.report import StartupReport
    from desktop.services.store.search_query import SearchHit, search
    from desktop.services.store.startup import open_cache

#: each exported name → the module that defines it
_WHERE: Final = {
    "apply_page": "apply",
    "drop_scope": "apply",
    "reset_epoch": "apply",
    "reset_scope": "apply",
    "Changed": "changed",
    "Cache": "database",
    "Writer": "database",
    "apply_local_edit": "edits",
    "new_record_id": "edits",
    "CacheError": "errors",
    "CacheKeyError": "errors",
    "LocalEditError": "errors",
    "customer": "queries",
    "customers_by_phone": "queries",
    "outbox_counts": "queries",
    "scope_checksum": "queries",
    "StartupReport": "report",
    "SearchHit": "search_query",
    "search": "search_query",
    "open_cache": "startup",
}

__all__ = [
    "Cache",
    "CacheError",
    "CacheKeyError",
    "Changed",
    "LocalEditError",
    "SearchHit",
    "StartupReport",
    "Writer",
    "apply_local_edit",
    "apply_page",
    "customer",
    "customers_by_phone",
    "drop_scope",
    "new_record_id",
    "open_cache",
    "outbox_counts",
    "reset_epoch",
    "reset_scope",
    "scope_checksum",
    "search",
]


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value
