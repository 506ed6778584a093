"""Queue alerts with hysteresis (METRICS.md, Alerts): one alert when a threshold is crossed, none
while the value hovers around it, a "cleared" once it has recovered past the threshold by a margin.

Each queue carries its thresholds (`wire.telephony.QueueThresholds`): service level below, oldest
wait above, contacts waiting above, abandon rate above. A metric *breaches* when its value crosses
its threshold (strictly: exactly on the threshold is not a breach) and *clears* only when it is
back on the good side by the metric's margin — so a service level of 79.9 %, 80.1 %, 79.8 % against
an 80 % target raises one alert, not three. An unknown value (no service level yet: nothing counts
toward the denominator) changes nothing; nobody waiting is an oldest wait of zero.
"""

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Final, Literal

from desktop.services.queue_watch import ColumnKey
from wire.telephony import QueueStatus

Metric = Literal["service_level", "oldest_wait", "waiting", "abandon_rate"]
AlertKind = Literal["breach", "clear"]


@dataclass(frozen=True, slots=True)
class Rule:
    """How one metric is read from a queue and judged against its threshold."""

    metric: Metric
    #: "below": bad when under the threshold (service level); "above": bad when over it
    bad_when: Literal["below", "above"]
    value: Callable[[QueueStatus], float | None]
    threshold: Callable[[QueueStatus], float]
    #: how far past the threshold (on the good side) the value must come back to clear
    margin: Callable[[float], float]


RULES: Final[tuple[Rule, ...]] = (
    Rule(
        "service_level",
        "below",
        lambda q: q.rolling.service_level,
        lambda q: q.thresholds.service_level_below,
        lambda _t: 0.05,
    ),
    Rule(
        "oldest_wait",
        "above",
        lambda q: q.oldest_wait_s if q.oldest_wait_s is not None else 0.0,
        lambda q: q.thresholds.oldest_wait_above_s,
        lambda t: max(5.0, 0.1 * t),
    ),
    Rule(
        "waiting",
        "above",
        lambda q: float(q.contacts_waiting),
        lambda q: float(q.thresholds.waiting_above),
        lambda t: float(max(1, math.ceil(0.1 * t))),
    ),
    Rule(
        "abandon_rate",
        "above",
        lambda q: q.rolling.abandon_rate,
        lambda q: q.thresholds.abandon_rate_above,
        lambda _t: 0.02,
    ),
)
#: the queue panel's column that shows each metric (its cell turns red on a breach)
METRIC_COLUMN: Final[dict[Metric, ColumnKey]] = {
    "service_level": "sl_rolling",
    "oldest_wait": "oldest_wait",
    "waiting": "waiting",
    "abandon_rate": "abandon_rate",
}


@dataclass(frozen=True, slots=True)
class AlertEvent:
    """A metric of a queue breached its threshold, or recovered from a breach."""

    queue_id: str
    queue_name: str
    metric: Metric
    kind: AlertKind
    value: float
    threshold: float


def is_breach(rule: Rule, value: float, threshold: float, breached: bool) -> bool:
    """The metric's state after seeing `value`, given whether it was breached before."""
    margin = rule.margin(threshold)
    # the recovery line, rounded so that 0.8 + 0.05 is 0.85 and not 0.8500000000000001
    recovered = round(threshold + (margin if rule.bad_when == "below" else -margin), 9)
    if rule.bad_when == "below":
        return value < recovered if breached else value < threshold
    return value > recovered if breached else value > threshold


@dataclass
class AlertWatch:
    """The breach state of every (queue, metric), fed one picture at a time."""

    rules: tuple[Rule, ...] = RULES
    _breached: dict[str, set[Metric]] = field(default_factory=dict)

    def breached(self, queue_id: str) -> frozenset[Metric]:
        return frozenset(self._breached.get(queue_id, ()))

    def update(self, queues: Iterable[QueueStatus]) -> list[AlertEvent]:
        """Judge every queue of a picture; the breaches and clears it caused, in order. Queues no
        longer in the picture are forgotten (a queue that comes back starts clear)."""
        events: list[AlertEvent] = []
        seen: set[str] = set()
        for queue in queues:
            seen.add(queue.queue_id)
            state = self._breached.get(queue.queue_id)
            for rule in self.rules:
                value = rule.value(queue)
                if value is None:
                    continue
                threshold = rule.threshold(queue)
                was = state is not None and rule.metric in state
                now = is_breach(rule, value, threshold, was)
                if now == was:
                    continue
                if state is None:
                    state = self._breached.setdefault(queue.queue_id, set())
                if now:
                    state.add(rule.metric)
                else:
                    state.discard(rule.metric)
                kind: AlertKind = "breach" if now else "clear"
                events.append(AlertEvent(queue.queue_id, queue.name, rule.metric, kind, value, threshold))
        for gone in [q for q in self._breached if q not in seen]:
            del self._breached[gone]
        return events
