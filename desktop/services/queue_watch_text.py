"""What each number of the queue panel means: METRICS.md's definitions, one per column.

Vendors define the same names differently, so a supervisor must be able to read exactly what a
number means: the queue panel shows these as each column's tool tip (translated at use with the
views' `tr`). `{threshold}` and `{target}` are filled with the queue's own service-level threshold
and target where the model knows them.
"""

from typing import Final

from desktop.services.queue_watch import ColumnKey

#: the definitions in source language; the keys are `desktop.services.queue_watch.COLUMN_KEYS`
DEFINITIONS: Final[dict[ColumnKey, str]] = {
    "name": "The queue. Its row turns red while any of its thresholds is breached.",
    "waiting": "Contacts waiting: contacts in the queue now, not yet routed to an agent.",
    "oldest_wait": (
        "Oldest wait: now - the enqueue time of the longest-waiting contact still waiting "
        "(computed from timestamps; a re-queued contact keeps its first enqueue time)."
    ),
    "trend": (
        "The last 30 minutes: contacts waiting (the most in each 10 s, filled) and the rolling "
        "service level (the line; the dotted line is the target)."
    ),
    "sl_rolling": (
        "Service level SL@{threshold}s over the rolling window: contacts answered within "
        "{threshold} s of entering the queue ÷ (contacts answered + contacts abandoned after "
        "{threshold} s). Abandons within {threshold} s are short abandons, excluded (some vendors "
        "count every removal in the denominator; we do not). Target {target}."
    ),
    "sl_today": (
        "Service level SL@{threshold}s since midnight: contacts answered within {threshold} s ÷ "
        "(contacts answered + contacts abandoned after {threshold} s); short abandons excluded. "
        "Target {target}."
    ),
    "asa": "ASA (average speed of answer): mean (answer time - enqueue time) over answered contacts.",
    "aht": (
        "AHT (average handle time): mean (talk + hold + after-contact work) over handled "
        "contacts; talk and after-contact work are shown apart in this tool tip."
    ),
    "abandon_rate": (
        "Abandon rate: contacts abandoned while queued ÷ contacts queued; callbacks are not abandons."
    ),
    "staffed": "Agents staffed: agents logged in and not offline.",
    "available": "Agents available: agents waiting for a contact now.",
    "on_contact": "Agents on contact: agents talking to (or holding) a customer now.",
    "acw": "Agents in after-contact work: agents wrapping up their last contact now.",
    "not_ready": "Agents not ready: agents on break, lunch, training, a meeting, coaching or other.",
    "advice": (
        "Staffing advice (Erlang C on the rolling window's arrival rate and AHT): the fewest "
        "agents that reach the service-level target, with the probability of waiting and the "
        'predicted service level with the agents staffed now. "Unstable": the traffic '
        "(arrivals x AHT) is at least the agents staffed, so the queue has no steady state and "
        "keeps growing."
    ),
}
