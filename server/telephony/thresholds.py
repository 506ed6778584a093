"""A queue's alert thresholds (METRICS.md, Alerts): defaults, and a stored override per field.

Defaults: service level below the queue's own target, oldest wait above 3 x its service-level
threshold T, more than 10 contacts waiting, abandon rate above 10 %. A `queue_threshold` row
overrides any field it sets (a NULL field keeps the default).
"""

from collections.abc import Mapping
from typing import Any, Final

from wire.telephony import QueueThresholds

DEFAULT_WAITING_ABOVE: Final = 10
DEFAULT_ABANDON_RATE_ABOVE: Final = 0.10
#: oldest wait alerts above this many times the queue's service-level threshold
DEFAULT_OLDEST_WAIT_FACTOR: Final = 3


def thresholds_for(sl_threshold_s: int, sl_target: float, row: Mapping[str, Any] | None) -> QueueThresholds:
    """The queue's thresholds: the stored override's fields where set, the defaults elsewhere."""
    override = row or {}

    def pick(name: str, default: float) -> float:
        value = override.get(name)
        return float(value) if value is not None else default

    return QueueThresholds(
        service_level_below=pick("service_level_below", sl_target),
        oldest_wait_above_s=pick("oldest_wait_above_s", float(DEFAULT_OLDEST_WAIT_FACTOR * sl_threshold_s)),
        waiting_above=int(pick("waiting_above", DEFAULT_WAITING_ABOVE)),
        abandon_rate_above=pick("abandon_rate_above", DEFAULT_ABANDON_RATE_ABOVE),
    )
