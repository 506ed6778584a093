"""The contact centre on the server: the phone system's events, queue and agent state, metrics.

- `model.py`            the parsed event and the derived records (plain dataclasses)
- `state.py`            the pure state machine: a contact's and an agent's state from events
- `intake.py`           the write path: validate, dedupe, store, rebuild what a batch touched
  (`contacts_rebuild.py`, `agents_rebuild.py`; `rows.py` bulk row I/O on SQLite)
- `actions.py`          intake plus the live events it causes (`delivery.py`: SSE across workers)
- `metrics.py`          METRICS.md's definitions as pure functions over records and a `now`
- `erlang.py`           Erlang C staffing advice; `thresholds.py` alert thresholds
- `loader.py`           reads what the metrics need; `snapshot.py` builds the wire answers
- `publisher.py`        `queue_snapshot` to supervisors: at most once a second, only on change
"""
