"""PySide6's import hook, kept from running other modules' code.

Once PySide6 is imported, every import passes through shiboken's `__feature__` hook. For each
module it has not seen, the hook asks `shibokensupport.feature._mod_uses_pyside(module)` whether
the module's source mentions PySide6, by calling `inspect.getsource(module)`. Before it reads
anything, `inspect` looks up `module.__wrapped__`. On a module with a module-level `__getattr__`
that lookup runs the module's own code, in the middle of an import.

pydantic has such a `__getattr__` on most of its modules (`pydantic._migration`). It imports
`pydantic._internal._validators`, and the hook then looks up `__wrapped__` on `pydantic.errors`,
which needs `_validators` again, still half-imported. The result is `ImportError: cannot import
name 'import_string' from partially initialized module`. The desktop imports pydantic after PySide6,
on the sign-in's worker thread, while other lanes import too (desktop/preload.py says why). The
frozen build's smoke test saw that ImportError fail a kept sign-in in about one start in six on
a busy machine: the window then showed the sign-in dialog instead of signing in.

`make_safe()` replaces that check with one that touches no module attribute. It reads the
module's `__file__` from the module's `__dict__`, then the file's bytes. A module without a
readable `.py` file counts as not using PySide6, as it did before: `inspect` raised OSError for
it. What the hook records is only used by `from __feature__ import …`, which the desktop does
not use. The check is also cheaper than `inspect.getsource`.

Call `make_safe()` right after the first PySide6 import, before any worker thread starts.
"""

import logging
import sys
from types import ModuleType

log = logging.getLogger(__name__)

#: the shiboken module whose check is replaced (PySide6 6.4 and later)
FEATURE_MODULE = "shibokensupport.feature"
#: the function in it that decides whether a module uses PySide6
CHECK_NAME = "_mod_uses_pyside"


def uses_pyside(module: ModuleType) -> bool:
    """Whether `module`'s source file mentions PySide6 (False without a readable `.py` file).

    Reads `__file__` from the module's `__dict__`: `getattr` would call a module-level
    `__getattr__` for a module without one."""
    namespace = getattr(module, "__dict__", None)  # every module has one: no __getattr__ call
    path = namespace.get("__file__") if isinstance(namespace, dict) else None
    if not isinstance(path, str) or not path.endswith(".py"):
        return False
    try:
        with open(path, "rb") as source:
            return b"PySide6" in source.read()
    except OSError:
        return False


def make_safe() -> bool:
    """Put `uses_pyside` in place of shiboken's check; False, logged, when PySide6 is not imported
    yet or its hook has changed and there is nothing to replace."""
    feature = sys.modules.get(FEATURE_MODULE)
    if feature is None or not callable(getattr(feature, CHECK_NAME, None)):
        log.warning("PySide6's import hook was not found (%s.%s): left as it is", FEATURE_MODULE, CHECK_NAME)
        return False
    setattr(feature, CHECK_NAME, uses_pyside)
    return True
