"""Each customer's history: interactions over three years, cases in every status, case notes."""

import random
from collections.abc import Callable, Sequence
from typing import Final

from server.seed.bulk import BulkWriter
from server.seed.catalog import GLOBAL_DISPOSITIONS
from server.seed.customers import SYNC, Facts
from server.seed.factory import Factory
from server.seed.ids import DAY, Clock
from server.seed.names import FAMILY, GIVEN
from server.seed.reference import Reference
from server.seed.texts import DESCRIPTIONS, DETAILS, NOTES, OUTCOMES, PARTNERS, SUMMARIES, TOPICS
from server.seed.weighted import SLOTS, Weighted

INTERACTION_COLUMNS: Final = (
    *SYNC,
    "customer_id",
    "channel",
    "direction",
    "occurred_at",
    "summary",
    "agent_id",
    "agent_name",
    "partner",
    "outcome",
    "case_id",
    "duration_s",
    "queue_id",
)
CASE_COLUMNS: Final = (
    *SYNC,
    "number",
    "customer_id",
    "subject",
    "description",
    "status",
    "priority",
    "queue_id",
    "owner_id",
    "sla_due_at",
    "origin_channel",
    "opened_at",
    "resolved_at",
)
CASE_NOTE_COLUMNS: Final = (
    *SYNC,
    "case_id",
    "author_id",
    "author_name",
    "body",
    "visibility",
    "created_at",
)
HISTORY_DAYS: Final = 3 * 365
HOUR: Final = 3600.0

_CHANNELS: Final = Weighted(
    [
        ("phone", 38),
        ("email", 20),
        ("chat", 14),
        ("web", 9),
        ("store", 7),
        ("field_visit", 4),
        ("partner", 4),
        ("social", 4),
    ]
)
_QUEUES: Final = Weighted(
    [
        ("Technical Support", 35),
        ("Billing", 30),
        ("Sales", 12),
        ("Retention", 10),
        ("Field Dispatch", 13),
    ]
)
_INBOUND_SHARE: Final = {
    "phone": 0.75,
    "email": 0.6,
    "chat": 1.0,
    "web": 1.0,
    "store": 1.0,
    "social": 0.85,
    "field_visit": 0.0,
    "partner": 1.0,
}
#: channels answered by an agent in a queue
_QUEUED: Final = frozenset({"phone", "chat", "email", "social"})
#: (minimum, spread) of the duration in seconds
_DURATION: Final = {
    "phone": (45, 420.0),
    "chat": (120, 600.0),
    "field_visit": (1800, 3600.0),
    "store": (300, 900.0),
}
#: local hour of day of contacts (weights): office hours, an evening tail
_HOURS: Final = Weighted(
    [
        (h, w)
        for h, w in enumerate((0, 0, 0, 0, 0, 0, 1, 3, 8, 12, 12, 11, 9, 10, 11, 10, 9, 8, 6, 4, 3, 2, 1, 0))
    ]
)
_CASES_PER_CUSTOMER: Final = Weighted([(0, 45), (1, 35), (2, 13), (3, 5), (4, 2)])
_PRIORITIES: Final = Weighted([("low", 15), ("normal", 55), ("high", 22), ("urgent", 8)])
_SLA_HOURS: Final = {"low": 168.0, "normal": 72.0, "high": 24.0, "urgent": 4.0}
_OPEN_STATUSES: Final = Weighted([("new", 20), ("open", 35), ("pending", 20), ("escalated", 25)])
_CHANNELS_TABLE: Final = _CHANNELS.table
_QUEUES_TABLE: Final = _QUEUES.table
_HOURS_TABLE: Final = _HOURS.table
_ORIGINS: Final = Weighted(
    [("phone", 50), ("email", 20), ("chat", 15), ("web", 10), ("social", 3), ("store", 2)]
)


def _people(rng: random.Random, count: int) -> tuple[str, ...]:
    countries = sorted(GIVEN)
    out: list[str] = []
    for _ in range(count):
        code = rng.choice(countries)
        out.append(f"{rng.choice(GIVEN[code])} {rng.choice(FAMILY[code])}")
    return tuple(out)


class _Channel:
    """What `_interaction` needs to know about a channel, looked up once."""

    __slots__ = ("agents", "codes", "inbound", "name", "outcomes", "queue", "summaries", "timing")

    def __init__(self, name: str, agents: tuple[str, ...], reps: tuple[str, ...]) -> None:
        self.name = name
        self.summaries = SUMMARIES[name]
        self.inbound = _INBOUND_SHARE[name]
        #: "queued": the interaction's queue; "field": Field Dispatch; "": none
        self.queue = "queued" if name in _QUEUED else "field" if name == "field_visit" else ""
        self.agents: tuple[str, ...] | None = (
            agents if name in _QUEUED or name == "store" else reps if name == "field_visit" else None
        )
        #: outcomes are disposition codes of the queue (else the channel's OUTCOMES)
        self.codes = name in ("phone", "chat", "field_visit")
        self.outcomes = OUTCOMES.get(name, ("resolved",))
        timing = _DURATION.get(name)
        self.timing: tuple[int, float] | None = None if timing is None else (timing[0], timing[1] * 3)


class HistoryFactory(Factory):
    """Writes a customer's interactions, cases and case notes."""

    def __init__(
        self,
        rng: random.Random,
        new_id: Callable[[], str],
        clock: Clock,
        ref: Reference,
        seq: int,
        writer: BulkWriter,
        owner_ids: Sequence[str] = (),
    ) -> None:
        super().__init__(rng, new_id, clock, ref, seq, writer)
        self.owner_ids = tuple(owner_ids)
        self.agents = _people(rng, 80)
        self.reps = _people(rng, 24)
        self.case_counter = 0
        self.global_codes = tuple(code for code, _ in GLOBAL_DISPOSITIONS)
        self.channels = {name: _Channel(name, self.agents, self.reps) for name in SUMMARIES}
        self.field_queue = ref.queue_ids["Field Dispatch"]
        #: (summary template, topic, partner) → summary; (queue, pair, product) → (subject, topic)
        self._summaries: dict[tuple[str, str, str | None], str] = {}
        self._topics: dict[tuple[str, int, str], tuple[str, str]] = {}
        writer.register("interaction", INTERACTION_COLUMNS)
        writer.register("support_case", CASE_COLUMNS)
        writer.register("case_note", CASE_NOTE_COLUMNS)
        self.interactions = writer.rows("interaction")

    # ---- helpers ----

    def _when(self, facts: Facts, start: float, end: float) -> float:
        """A moment in [start, end] during the customer's local office hours (mostly)."""
        rand = self.rng.random
        ts = start + (end - start) * rand()
        day = ts // DAY
        local = _HOURS_TABLE[int(rand() * SLOTS)] - facts.country.utc_offset
        moment = day * DAY + local * HOUR + rand() * HOUR
        return min(max(moment, start), end)

    def _topic(self, queue: str, products: Sequence[str]) -> tuple[str, str]:
        rand = self.rng.random
        pairs = TOPICS[queue]
        pair = int(rand() * len(pairs))
        product = products[int(rand() * len(products))]
        key = (queue, pair, product)
        found = self._topics.get(key)
        if found is None:
            subject, topic = pairs[pair]
            found = self._topics[key] = (subject.format(product=product), topic.format(product=product))
        return found

    def _interaction(
        self,
        customer_id: str,
        spec: _Channel,
        queue: str,
        topic: str,
        at: float,
        case_id: str | None,
        inbound: bool | None = None,
    ) -> None:
        """One interaction row; the draws are in the order of the original field by field code."""
        rand = self.rng.random
        channel = spec.name
        partner = PARTNERS[int(rand() * len(PARTNERS))] if channel == "partner" else None
        templates = spec.summaries
        template = templates[int(rand() * len(templates))]
        key = (template, topic, partner)
        summary = self._summaries.get(key)
        if summary is None:
            summary = self._summaries[key] = template.format(topic=topic, partner=partner)
        if inbound is None:
            inbound = rand() < spec.inbound
        queue_id: str | None = None
        if spec.queue:
            queue_id = self.ref.queue_ids[queue] if spec.queue == "queued" else self.field_queue
        agents = spec.agents
        agent = None if agents is None else agents[int(rand() * len(agents))]
        if spec.codes:
            codes = self.ref.dispositions[queue_id] if queue_id else self.global_codes
            if rand() < 0.04:
                codes = self.global_codes
            outcome: str | None = codes[int(rand() * len(codes))]
        else:
            outcomes = spec.outcomes
            outcome = outcomes[int(rand() * len(outcomes))]
        timing = spec.timing
        duration = None if timing is None else timing[0] + int(rand() * rand() * timing[1])
        stamp = self.clock.fmt(at)
        self.interactions.append(
            (
                self.new_id(),
                1,
                self.seq,
                None,
                stamp,
                customer_id,
                channel,
                "inbound" if inbound else "outbound",
                stamp,
                summary,
                None,
                agent,
                partner,
                outcome,
                case_id,
                duration,
                queue_id,
            )
        )

    # ---- the customer's history ----

    def make(self, facts: Facts, products: Sequence[str]) -> None:
        rng = self.rng
        rand = rng.random
        now = self.clock.now
        start = max(facts.created, now - HISTORY_DAYS * DAY)
        total = min(60, int(rng.gammavariate(2.0, 5.0)))
        for _ in range(_CASES_PER_CUSTOMER.pick(rand())):
            total -= self._case(facts, products, start)
        if total <= 0:
            return
        channels, queues, hours = _CHANNELS_TABLE, _QUEUES_TABLE, _HOURS_TABLE
        specs = self.channels
        interaction = self._interaction
        topic_of = self._topic
        cid = facts.id
        offset = facts.country.utc_offset
        span = now - start
        for _ in range(total):
            channel = channels[int(rand() * SLOTS)]
            queue = "Field Dispatch" if channel == "field_visit" else queues[int(rand() * SLOTS)]
            topic = topic_of(queue, products)[1]
            # _when(facts, start, now), inlined
            ts = start + span * rand()
            local = hours[int(rand() * SLOTS)] - offset
            moment = (ts // DAY) * DAY + local * HOUR + rand() * HOUR
            at = min(max(moment, start), now)
            interaction(cid, specs[channel], queue, topic, at, None)

    def _case(self, facts: Facts, products: Sequence[str], start: float) -> int:
        """Write one case with its notes and linked interactions; return how many interactions."""
        rand = self.rng.random
        now = self.clock.now
        queue = _QUEUES.pick(rand())
        subject, topic = self._topic(queue, products)
        priority = _PRIORITIES.pick(rand())
        window = _SLA_HOURS[priority] * HOUR
        resolved: float | None = None
        u = rand()
        if u < 0.1:  # still being worked: some breached, some due within hours
            status = _OPEN_STATUSES.pick(rand())
            v = rand()
            if v < 0.25:
                due = now - (HOUR + rand() * 5 * DAY)
            elif v < 0.45:
                due = now + (0.25 + rand() * 3.75) * HOUR
            else:
                due = now + 4 * HOUR + rand() * max(window - 4 * HOUR, HOUR)
            opened = min(due - window, now - 300.0)
            if status == "new":
                opened = max(opened, now - 2 * DAY)
            opened = max(opened, start)
        elif u < 0.17:  # resolved in the last three weeks, not yet closed
            status = "resolved"
            opened = max(start, now - 21 * DAY * rand() - HOUR)
            resolved = opened + (now - opened) * rand()
            due = opened + window
        else:
            status = "closed"
            opened = self._when(facts, start, max(start, now - 21 * DAY))
            resolved = opened + window * 1.4 * rand()
            due = opened + window
        end = resolved if resolved is not None else now
        case_id = self.new_id()
        self.case_counter += 1
        owner = None
        if self.owner_ids and rand() < 0.6:
            owner = self.owner_ids[int(rand() * len(self.owner_ids))]
        origin = _ORIGINS.pick(rand())
        description = DESCRIPTIONS[int(rand() * len(DESCRIPTIONS))].format(
            days=1 + int(rand() * 10), detail=DETAILS[int(rand() * len(DETAILS))]
        )
        fmt = self.clock.fmt
        self._interaction(facts.id, self.channels[origin], queue, topic, opened, case_id, inbound=True)
        linked = 1
        for _ in range(int(rand() * 3)):
            channel = "email" if rand() < 0.4 else "phone"
            at = opened + (end - opened) * rand()
            self._interaction(facts.id, self.channels[channel], queue, topic, at, case_id)
            linked += 1
        last = opened
        notes = self.writer.rows("case_note")
        for _ in range(int(rand() * rand() * 5 + 0.6)):
            at = opened + (end - opened) * rand()
            last = max(last, at)
            author = self.agents[int(rand() * len(self.agents))]
            stamp = fmt(at)
            notes.append(
                (
                    self.new_id(),
                    1,
                    self.seq,
                    None,
                    stamp,
                    case_id,
                    None,
                    author,
                    NOTES[int(rand() * len(NOTES))],
                    "customer" if rand() < 0.2 else "internal",
                    stamp,
                )
            )
        updated = max(last, resolved or opened)
        self.writer.rows("support_case").append(
            (
                case_id,
                1,
                self.seq,
                None,
                fmt(updated),
                f"CS-{self.case_counter:06d}",
                facts.id,
                subject,
                description,
                status,
                priority,
                self.ref.queue_ids[queue],
                owner,
                fmt(due),
                origin,
                fmt(opened),
                None if resolved is None else fmt(resolved),
            )
        )
        return linked
