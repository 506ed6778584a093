"""The desktop's offline cache: an SQLite (SQLCipher) file with mirrors, outbox and search index.

Qt-free. The sync engine and the GUI's store lane use:
- `open_cache(path, key, check="full"|"critical") -> (Cache, StartupReport)` (`critical`: only
  the tables holding unsent work; `startup.IntegrityCheck` runs the whole-file check later); `Cache.writer` (the one `Writer`),
  `Cache.read()` (read-only connections);
- `apply_local_edit(writer, entity, id, op, new_values, depends_on=None) -> Changed`;
- `apply_page(writer, scope, changes, next_cursor, primed=, epoch=, defer_search=) -> Changed`
  (`defer_search`: the customers' search documents are listed in `search_dirty` and rebuilt by
  `apply.reindex_pending`), `reset_scope`, `reset_epoch`, `drop_scope`;
- queries (`customer`, `customers_by_phone`, `outbox_counts`, `scope_checksum`) and `search`;
- `state` (epoch, client id, cursors) and `overlay.settle` for rows whose outbox entries left.
"""

from desktop.services.store.apply import apply_page, drop_scope, reset_epoch, reset_scope
from desktop.services.store.changed import Changed
from desktop.services.store.database import Cache, Writer
from desktop.services.store.edits import apply_local_edit, new_record_id
from desktop.services.store.errors import CacheError, CacheKeyError, LocalEditError
from desktop.services.store.queries import customer, customers_by_phone, outbox_counts, scope_checksum
from desktop.services.store.search import SearchHit, search
from desktop.services.store.startup import StartupReport, open_cache

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
