"""JSON text as the cache stores it (outbox payloads, shadows, exports): compact, keys sorted."""

import json
from typing import Any


def dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), sort_keys=True, ensure_ascii=False)


def loads_object(text: str | None) -> dict[str, Any]:
    """A JSON object from text; NULL or anything but an object reads as {}."""
    if not text:
        return {}
    value = json.loads(text)
    return value if isinstance(value, dict) else {}
