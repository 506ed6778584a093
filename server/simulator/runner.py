"""Running a simulation: as fast as possible (compute, then post) or in real time (advance with
the wall clock, look at the real agents a few times a second, post what is due).

`run_fast` and `run_realtime` drive an `Engine` into an `HttpSink`; the event log (what was
posted, in order) can also be written as JSON lines for an independent look (`--log FILE`).
"""

import json
import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Final

from server.simulator.engine import Engine
from server.simulator.model import MS_PER_H
from server.simulator.real_agents import StatePoller
from server.simulator.sink import HttpSink, SinkUnavailableError
from wire.telephony import TelephonyEvent

log = logging.getLogger(__name__)

#: fast mode computes and posts in slices of this much simulated time (bounded memory for long runs)
FAST_SLICE_MS: Final = MS_PER_H
#: real-time mode looks at the server's state this often (wall seconds): four times a second
POLL_INTERVAL_S: Final = 0.25


@dataclass(frozen=True, slots=True)
class RunReport:
    events: int
    contacts: int
    simulated_ms: int
    accepted: int
    duplicates: int
    rejected: int
    retries: int

    def summary(self) -> str:
        return (
            f"{self.contacts} contacts, {self.events} events over {self.simulated_ms / MS_PER_H:.2f} simulated h; "
            f"server: {self.accepted} accepted, {self.duplicates} duplicates, {self.rejected} rejected"
            f" ({self.retries} retries)"
        )


class EventLogWriter:
    """Appends events as JSON lines (the wire form, exactly as posted)."""

    def __init__(self, stream: IO[str] | None) -> None:
        self._stream = stream

    def write(self, events: Sequence[TelephonyEvent]) -> None:
        if self._stream is None:
            return
        for event in events:
            self._stream.write(json.dumps(event.model_dump(mode="json"), separators=(",", ":")) + "\n")
        self._stream.flush()


def _report(engine: Engine, sink: HttpSink) -> RunReport:
    totals = sink.totals
    return RunReport(
        events=len(engine.log),
        contacts=len(engine.contacts),
        simulated_ms=engine.now_ms,
        accepted=totals.accepted,
        duplicates=totals.duplicates,
        rejected=len(totals.rejected),
        retries=totals.retries,
    )


def run_fast(
    engine: Engine, sink: HttpSink, duration_ms: int, writer: EventLogWriter | None = None
) -> RunReport:
    """Simulate `duration_ms` with no waiting and post everything (no real agents: no wall time)."""
    t = 0
    while t < duration_ms:
        t = min(t + FAST_SLICE_MS, duration_ms)
        engine.advance(t)
        events = engine.drain()
        if writer is not None:
            writer.write(events)
        sink.post(events)
    return _report(engine, sink)


def run_realtime(
    engine: Engine,
    sink: HttpSink,
    stop: threading.Event,
    *,
    duration_ms: int | None = None,
    poller: StatePoller | None = None,
    writer: EventLogWriter | None = None,
    poll_interval_s: float = POLL_INTERVAL_S,
) -> RunReport:
    """Advance with the clock until `duration_ms` (None: until `stop`); offer contacts to real agents.

    Events that could not be posted (the server away) are kept and posted with the next ones.
    """
    engine.clock.begin()
    simulated = {agent_id for agent_id, agent in engine.agents.items() if not agent.real}
    unsent: list[TelephonyEvent] = []
    while not stop.is_set():
        now = engine.clock.now_ms()
        if duration_ms is not None:
            now = min(now, duration_ms)
        if poller is not None:
            engine.advance(now)  # due happenings first, so the look at the server is about "now"
            simulated = {agent_id for agent_id, agent in engine.agents.items() if not agent.real}
            view = poller.poll(simulated)
            if view is not None:
                engine.observe_real_agents(view.agents, view.answered)
        engine.advance(now)
        fresh = engine.drain()
        if writer is not None:
            writer.write(fresh)
        unsent += fresh
        if unsent:
            try:
                sink.post(unsent)
                unsent = []
            except SinkUnavailableError as exc:
                log.warning("%s; keeping %d events for the next try", exc, len(unsent))
        if duration_ms is not None and now >= duration_ms:
            break
        stop.wait(_pause_s(engine, poller is not None, poll_interval_s))
    return _report(engine, sink)


def _pause_s(engine: Engine, polling: bool, poll_interval_s: float) -> float:
    """Wall seconds until the next thing to do: the next poll, or the next due happening (≤ 1 s)."""
    if polling:
        return poll_interval_s
    due = engine.next_due_ms
    speed = engine.clock.speed or 1.0
    if due is None:
        return 1.0
    return max(0.0, min(1.0, (due - engine.clock.now_ms()) / 1000.0 / speed))


def open_log(path: Path | None) -> IO[str] | None:
    return path.open("w", encoding="utf-8") if path is not None else None
