"""The ACD as a discrete-event simulation: a heap of timed happenings, wire events out.

Contacts arrive per queue (a non-homogeneous Poisson process by thinning against the daily
profile), wait FIFO (by their first enqueue), are routed to the longest-idle available agent
serving their queue, ring (a simulated agent answers after a short delay or, rarely, lets it ring
out; a real agent answers from the desktop or the ring times out), and then the contact is
re-queued with `contact_queued` again. A caller whose patience runs out while waiting abandons.
Talk and after-contact work follow; agents follow their roster (shifts, breaks, lunch), deferring a
change of state until the contact in hand is wrapped up.

Every event the engine emits goes into `log` (exactly what is posted) and into an outbox drained
by the runner. Times are integer milliseconds from the clock's start.
"""

import hashlib
import heapq
import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Final, Literal

from server.simulator.callers import CallerBook
from server.simulator.clock import SimClock
from server.simulator.entities import SimAgent, SimContact
from server.simulator.model import MS_PER_H, MS_PER_S, SimulationConfig, Streams
from server.simulator.roster import RosterAgent, build_roster
from wire.telephony import (
    AcwEnded,
    AgentState,
    ChosenState,
    ContactAbandoned,
    ContactAnswered,
    ContactEnded,
    ContactOffered,
    ContactQueued,
    ContactRouted,
    NotReadyReason,
    TelephonyEvent,
)

DAY_MS: Final = 24 * MS_PER_H
Kind = Literal[
    "arrival", "abandon", "answer", "ring_timeout", "end_talk", "end_acw", "roster", "resume", "next_day"
]
#: contact phases a real agent's desktop has taken over (TelephonyState contacts' status)
ANSWERED_STATUSES: Final = frozenset({"talking", "acw", "handled", "ended"})


@dataclass(frozen=True, slots=True)
class RealAgentSeen:
    """One real agent as the server's state shows it (runner.real_agents turns rows into these)."""

    agent_id: str
    name: str
    available: bool
    queues: tuple[str, ...]


def run_id(seed: int, start_iso: str) -> str:
    """A short id of (seed, start): the prefix of every contact and event id of the run."""
    return "sim-" + hashlib.sha256(f"{seed}|{start_iso}".encode()).hexdigest()[:10]


class Engine:
    """One simulation run; `advance(ms)` processes everything due up to simulated instant `ms`."""

    def __init__(self, config: SimulationConfig, clock: SimClock, callers: CallerBook) -> None:
        self.config = config
        self.clock = clock
        self.callers = callers
        self.streams = Streams(config.seed)
        self.run = run_id(config.seed, clock.iso(0))
        self.log: list[TelephonyEvent] = []
        self._outbox: list[TelephonyEvent] = []
        self._heap: list[tuple[int, int, Kind, tuple[object, ...]]] = []
        self._seq = itertools.count()
        self._event_numbers = itertools.count(1)
        self._contact_numbers = itertools.count(1)
        self.now_ms = 0
        self.contacts: dict[str, SimContact] = {}
        self.waiting: dict[str, list[SimContact]] = {q.queue_id: [] for q in config.queues}
        self.agents: dict[str, SimAgent] = {}
        self._day0 = -clock.day_offset_ms()
        self._max_rate = {q.queue_id: q.peak_rate_per_h * config.profile.peak for q in config.queues}
        self._roster = build_roster(
            config.agents, [q.queue_id for q in config.queues], self.streams.get("roster")
        )
        self._scheduled_days = 0
        self._started = False

    # ---- the run -------------------------------------------------------------------------------

    def start(self) -> None:
        """Announce the simulated agents and schedule the first arrivals (at simulated instant 0)."""
        if self._started:
            return
        self._started = True
        for member in self._roster:
            agent = SimAgent(member.agent_id, member.name, member.queues)
            agent.roster_state = self._roster_state_at(member, 0)
            self.agents[agent.agent_id] = agent
            self._announce(agent, agent.roster_state, with_profile=True)
            agent.phase = _phase_of(agent.roster_state[0])
        self._schedule_roster_day(0)
        for load in self.config.queues:
            self._schedule_arrival(load.queue_id, 0)

    def advance(self, until_ms: int) -> None:
        """Process every happening due at or before `until_ms`."""
        self.start()
        while self._heap and self._heap[0][0] <= until_ms:
            at, _, kind, args = heapq.heappop(self._heap)
            self.now_ms = at
            self._handlers[kind](self, *args)
        self.now_ms = max(self.now_ms, until_ms)

    def drain(self) -> list[TelephonyEvent]:
        """The events emitted since the last drain, in emission order."""
        out, self._outbox = self._outbox, []
        return out

    @property
    def next_due_ms(self) -> int | None:
        return self._heap[0][0] if self._heap else None

    # ---- scheduling and emission ---------------------------------------------------------------

    def _at(self, ms: int, kind: Kind, *args: object) -> None:
        heapq.heappush(self._heap, (ms, next(self._seq), kind, args))

    def _emit_id(self) -> str:
        return f"{self.run}-e{next(self._event_numbers):07d}"

    def _emit(self, event: TelephonyEvent) -> None:
        self.log.append(event)
        self._outbox.append(event)

    def _stamp(self) -> tuple[str, str]:
        return self._emit_id(), self.clock.iso(self.now_ms)

    def _announce(
        self, agent: SimAgent, state: tuple[ChosenState, NotReadyReason | None], *, with_profile: bool = False
    ) -> None:
        event_id, at = self._stamp()
        self._emit(
            AgentState(
                event_id=event_id,
                at=at,
                agent_id=agent.agent_id,
                state=state[0],
                reason=state[1],
                queues=list(agent.queues) if with_profile else None,
                name=agent.name if with_profile else None,
            )
        )
        agent.announced = state

    # ---- arrivals ------------------------------------------------------------------------------

    def _schedule_arrival(self, queue_id: str, after_ms: int) -> None:
        """The next arrival by thinning: candidates at the peak rate, kept with rate(t) / peak."""
        peak = self._max_rate[queue_id]
        if peak <= 0:
            return
        rng = self.streams.get(f"arrivals:{queue_id}")
        load = next(q for q in self.config.queues if q.queue_id == queue_id)
        t = after_ms
        while True:
            t += max(1, round(rng.expovariate(peak / MS_PER_H)))
            hour = (t - self._day0) // MS_PER_H
            rate = load.peak_rate_per_h * self.config.profile.at_hour(hour)
            if rng.random() * peak < rate:
                self._at(t, "arrival", queue_id)
                return

    def _on_arrival(self, queue_id: str) -> None:
        self._schedule_arrival(queue_id, self.now_ms)
        number = next(self._contact_numbers)
        contact = SimContact(
            contact_id=f"{self.run}-c{number:06d}",
            number=number,
            queue_id=queue_id,
            phone=self.callers.draw(self.streams.get("callers")),
            first_queued_ms=self.now_ms,
            gives_up_ms=self.now_ms + self.config.durations.patience.draw_ms(self.streams.get("patience")),
        )
        self.contacts[contact.contact_id] = contact
        event_id, at = self._stamp()
        self._emit(
            ContactOffered(
                event_id=event_id,
                at=at,
                contact_id=contact.contact_id,
                queue_id=queue_id,
                phone=contact.phone,
            )
        )
        self._enqueue(contact)
        self._at(contact.gives_up_ms, "abandon", contact.contact_id)
        self._dispatch()

    def _enqueue(self, contact: SimContact) -> None:
        event_id, at = self._stamp()
        self._emit(
            ContactQueued(event_id=event_id, at=at, contact_id=contact.contact_id, queue_id=contact.queue_id)
        )
        contact.phase = "waiting"
        contact.agent_id = None
        waiting = self.waiting[contact.queue_id]
        waiting.append(contact)
        waiting.sort(key=lambda c: c.order)

    def _on_abandon(self, contact_id: str) -> None:
        contact = self.contacts[contact_id]
        if contact.phase != "waiting":
            return  # answered, or ringing (the ring's end decides), or gone
        self.waiting[contact.queue_id].remove(contact)
        self._abandon(contact)

    def _abandon(self, contact: SimContact) -> None:
        event_id, at = self._stamp()
        self._emit(ContactAbandoned(event_id=event_id, at=at, contact_id=contact.contact_id))
        contact.phase = "done"

    # ---- routing -------------------------------------------------------------------------------

    def _longest_idle(self, queue_id: str) -> SimAgent | None:
        best: SimAgent | None = None
        for agent in self.agents.values():
            if agent.phase != "available" or not agent.serves(queue_id):
                continue
            if agent.real and agent.cooldown_until_ms > self.now_ms:
                continue
            if best is None or (agent.idle_since_ms, agent.agent_id) < (best.idle_since_ms, best.agent_id):
                best = agent
        return best

    def _dispatch(self) -> None:
        """Route while some waiting contact has an available agent: the oldest contact first."""
        while True:
            choice: tuple[SimContact, SimAgent] | None = None
            for waiting in self.waiting.values():
                if not waiting or (choice is not None and waiting[0].order >= choice[0].order):
                    continue
                agent = self._longest_idle(waiting[0].queue_id)
                if agent is not None:
                    choice = (waiting[0], agent)
            if choice is None:
                return
            self._route(*choice)

    def _route(self, contact: SimContact, agent: SimAgent) -> None:
        self.waiting[contact.queue_id].remove(contact)
        contact.phase = "ringing"
        contact.agent_id = agent.agent_id
        contact.attempt += 1
        agent.phase = "reserved"
        agent.contact_id = contact.contact_id
        event_id, at = self._stamp()
        durations = self.config.durations
        # the ring's wall-clock length, so the agent's desktop counts down the real time left
        ring_wall_s = durations.ring_timeout_s / (self.clock.speed or 1.0)
        self._emit(
            ContactRouted(
                event_id=event_id,
                at=at,
                contact_id=contact.contact_id,
                agent_id=agent.agent_id,
                ring_timeout_s=min(600.0, ring_wall_s),
            )
        )
        ring_out = self.now_ms + round(durations.ring_timeout_s * MS_PER_S)
        rng = self.streams.get("answer")
        if agent.real or rng.random() < durations.miss_probability:
            self._at(ring_out, "ring_timeout", contact.contact_id, contact.attempt)
        else:
            answer_at = min(self.now_ms + durations.answer.draw_ms(rng), ring_out - 1)
            self._at(answer_at, "answer", contact.contact_id, contact.attempt)

    def _on_answer(self, contact_id: str, attempt: int) -> None:
        contact = self.contacts[contact_id]
        if contact.phase != "ringing" or contact.attempt != attempt or contact.agent_id is None:
            return
        agent = self.agents[contact.agent_id]
        contact.phase = "talking"
        agent.phase = "on_contact"
        event_id, at = self._stamp()
        self._emit(ContactAnswered(event_id=event_id, at=at, contact_id=contact_id, agent_id=agent.agent_id))
        self._at(
            self.now_ms + self.config.durations.talk.draw_ms(self.streams.get("talk")), "end_talk", contact_id
        )

    def _on_ring_timeout(self, contact_id: str, attempt: int) -> None:
        contact = self.contacts[contact_id]
        if contact.phase != "ringing" or contact.attempt != attempt or contact.agent_id is None:
            return
        agent = self.agents[contact.agent_id]
        agent.contact_id = None
        if contact.gives_up_ms <= self.now_ms:
            self._abandon(contact)  # the caller's patience ran out while it rang
        else:
            self._enqueue(contact)
        if agent.real:
            agent.phase = "offline"  # until the next look at the server's state says otherwise
            agent.cooldown_until_ms = self.now_ms + round(self.config.durations.ring_timeout_s * MS_PER_S)
        else:
            agent.phase = "not_ready"
            agent.missed_until_ms = self.now_ms + round(self.config.durations.missed_pause_s * MS_PER_S)
            self._announce(agent, ("not_ready", "other"))
            self._at(agent.missed_until_ms, "resume", agent.agent_id)
        self._dispatch()

    def _on_resume(self, agent_id: str) -> None:
        agent = self.agents[agent_id]
        if agent.missed_until_ms is None or agent.missed_until_ms > self.now_ms or agent.phase != "not_ready":
            return
        agent.missed_until_ms = None
        self._become(agent, agent.roster_state)

    # ---- talk and wrap-up ----------------------------------------------------------------------

    def _on_end_talk(self, contact_id: str) -> None:
        contact = self.contacts[contact_id]
        assert contact.agent_id is not None
        contact.phase = "acw"
        self.agents[contact.agent_id].phase = "acw"
        event_id, at = self._stamp()
        self._emit(ContactEnded(event_id=event_id, at=at, contact_id=contact_id))
        self._at(
            self.now_ms + self.config.durations.acw.draw_ms(self.streams.get("acw")), "end_acw", contact_id
        )

    def _on_end_acw(self, contact_id: str) -> None:
        contact = self.contacts[contact_id]
        assert contact.agent_id is not None
        agent = self.agents[contact.agent_id]
        contact.phase = "done"
        agent.contact_id = None
        agent.served += 1
        event_id, at = self._stamp()
        self._emit(AcwEnded(event_id=event_id, at=at, contact_id=contact_id, agent_id=agent.agent_id))
        # back to the state the agent chose before the contact, then to what the roster wants now
        agent.phase = _phase_of(agent.announced[0]) if agent.announced else "offline"
        agent.idle_since_ms = self.now_ms
        self._become(agent, agent.roster_state)

    # ---- agent states --------------------------------------------------------------------------

    def _become(self, agent: SimAgent, state: tuple[ChosenState, NotReadyReason | None]) -> None:
        """Put an idle simulated agent in `state`, telling the server if it changed; then route."""
        if agent.announced != state:
            self._announce(agent, state)
        if agent.phase != "available" and state[0] == "available":
            agent.idle_since_ms = self.now_ms
        agent.phase = _phase_of(state[0])
        self._dispatch()

    def _on_roster(self, agent_id: str, state: ChosenState, reason: NotReadyReason | None) -> None:
        agent = self.agents[agent_id]
        agent.roster_state = (state, reason)
        if agent.phase in ("reserved", "on_contact", "acw") or agent.missed_until_ms is not None:
            return  # applied when the contact is wrapped up or the missed-ring pause ends
        self._become(agent, agent.roster_state)

    def _roster_state_at(self, member: RosterAgent, ms: int) -> tuple[ChosenState, NotReadyReason | None]:
        local = (ms - self._day0) % DAY_MS
        if not member.shift_start_ms <= local < member.shift_end_ms:
            return ("offline", None)
        for pause in member.pauses:
            if pause.start_ms <= local < pause.end_ms:
                return ("not_ready", pause.reason)
        return ("available", None)

    def _schedule_roster_day(self, day: int) -> None:
        """The roster's changes of local day `day` (0: the start's day) that lie after instant 0."""
        base = self._day0 + day * DAY_MS
        for member in self._roster:
            changes: list[tuple[int, ChosenState, NotReadyReason | None]] = [
                (member.shift_start_ms, "available", None)
            ]
            for pause in member.pauses:
                changes += [(pause.start_ms, "not_ready", pause.reason), (pause.end_ms, "available", None)]
            changes.append((member.shift_end_ms, "offline", None))
            for local, state, reason in changes:
                if base + local > 0:
                    self._at(base + local, "roster", member.agent_id, state, reason)
        self._scheduled_days = day + 1
        # the next day's roster is scheduled at the start of that day
        self._at(base + DAY_MS, "next_day", day + 1)

    def _on_next_day(self, day: int) -> None:
        self._schedule_roster_day(day)

    # ---- real agents ---------------------------------------------------------------------------

    def observe_real_agents(self, seen: Sequence[RealAgentSeen], answered: set[str]) -> None:
        """Fold in a look at the server's state: which real agents are available, which of the
        contacts offered to them were answered (from then on the desktop drives them)."""
        present = set()
        for row in seen:
            if row.agent_id in self.agents and not self.agents[row.agent_id].real:
                continue  # one of ours
            present.add(row.agent_id)
            agent = self.agents.get(row.agent_id)
            if agent is None:
                agent = self.agents[row.agent_id] = SimAgent(row.agent_id, row.name, row.queues, real=True)
            agent.queues = row.queues
            if agent.phase == "reserved" and agent.contact_id is not None:
                contact = self.contacts[agent.contact_id]
                if contact.contact_id not in answered:
                    continue  # still ringing: the ring timer decides
                contact.phase, contact.released = "done", True
                agent.contact_id = None
            available = row.available and self.now_ms >= agent.cooldown_until_ms
            if available and agent.phase != "available":
                agent.idle_since_ms = self.now_ms
            agent.phase = "available" if available else "offline"
        for agent in self.agents.values():
            if agent.real and agent.agent_id not in present and agent.phase != "reserved":
                agent.phase = "offline"
        self._dispatch()

    _handlers: Final[dict[str, Callable[..., None]]] = {
        "arrival": _on_arrival,
        "abandon": _on_abandon,
        "answer": _on_answer,
        "ring_timeout": _on_ring_timeout,
        "end_talk": _on_end_talk,
        "end_acw": _on_end_acw,
        "roster": _on_roster,
        "resume": _on_resume,
        "next_day": _on_next_day,
    }


def _phase_of(state: ChosenState) -> Literal["offline", "available", "not_ready"]:
    return state
