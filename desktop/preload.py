"""Import the Qt-free modules a session needs *before* PySide6, to start faster.

Once PySide6 is imported it hooks every later import (its `__feature__` support): for each new
module it checks whether the module's source mentions PySide6. Imported first, the modules are
already in `sys.modules` and the hook never sees them. The desktop replaces the hook's check
right after importing PySide6 (desktop/qt_import_hook.py): the original ran pydantic's module
`__getattr__` mid-import, and made later imports about a fifth slower; the replacement costs
about 5% (SQLAlchemy, httpx, pydantic and the sync engine: 490 ms without PySide6, 600 ms with
its check, 513 ms with the replacement).

Only what the window needs to show itself with the cache open is imported here, and that is no
longer SQLAlchemy: a kept sign-in opens an existing cache with the driver alone
(`store.quick_open`) and shows the window before it signs in (desktop/app.py). SQLAlchemy and the
store's SQL-building modules (about 190 ms) are imported on the write lane once the window has
painted, when the cache's engines are opened; the HTTP client, pydantic, the wire models and the
sync engine (about 150 ms) on the network lane by the sign-in. Both pay the hook's cost, off the
first paint. Tests check that none of them is imported before the first paint.

Also: httpx imports its command-line tool (`httpx._main`: click, rich, pygments) whenever those
are installed; the desktop never uses it, so that import is turned off.

The GUI calls `preload()` first thing; `liaison sync` does not need it (it never imports Qt).
`warm_up()` imports, once the window is shown, what only later actions need (phonenumbers for the
first customer shown), so that the first screen pop does not pay for it.
"""

import sys
from typing import Final

#: the Qt-free modules imported on the way to the first window with the cache open (a kept
#: sign-in shows the window from the cache before it signs in: no HTTP client, no pydantic, and
#: the cache opened quickly: no SQLAlchemy)
SESSION_MODULES: Final = (
    "msgspec",
    "keyring",
    "desktop.domain",
    "desktop.services.store",
    "desktop.services.store.quick_open",
    "desktop.services.store.search_query",
    "desktop.services.sign_in",
    "desktop.services.opened_cache",
    "desktop.services.profile_cache",
    "desktop.services.profile_lock",
    "desktop.services.sync_status",
    "concurrent.futures.thread",
)

#: imported after the window is shown, before the first customer is
LATER_MODULES: Final = ("phonenumbers",)


def preload(modules: tuple[str, ...] = SESSION_MODULES) -> None:
    """Import `modules` now (call before the first PySide6 import)."""
    # None in sys.modules makes `import httpx._main` raise ImportError, which httpx expects
    sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]
    for name in modules:
        __import__(name)


def warm_up(modules: tuple[str, ...] = LATER_MODULES) -> None:
    """Import `modules` now (call when the window is idle after start-up)."""
    for name in modules:
        __import__(name)
