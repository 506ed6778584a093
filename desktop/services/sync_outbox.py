"""The sync engine's outbox bookkeeping (SYNC.md §2), each step one `BEGIN IMMEDIATE` transaction.

pending → inflight (claimed for a push, `attempts + 1`) → acked (the server processed it) →
acked_log (a pull confirmed it: `client_acked_through` covers it) — or → rejected_log (with its
dependants). A failed push puts its batch back to pending with `last_error`. Rows whose outbox
entries leave are rebased (`overlay.settle`) so the visible row becomes the server's copy.
"""

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, delete, insert, select, update

from desktop.services.store import Changed, Writer
from desktop.services.store.jsontext import dumps, loads_object
from desktop.services.store.outbox import entry_from_row
from desktop.services.store.overlay import settle
from desktop.services.store.rows import Touched
from desktop.services.store.schema import MIRRORS, acked_log, outbox, rejected_log
from desktop.services.store.search_index import reindex
from desktop.services.sync_status import Rejection
from wire.sync import Mutation, MutationResult, PushResponse

#: how long acknowledged mutations are kept for a re-push after an epoch reset
ACKED_LOG_DAYS = 30


def _mutation(row: Any) -> Mutation:
    return entry_from_row(row).mutation()


def _payload(mutation: Mutation) -> str:
    return dumps(mutation.model_dump(mode="json"))


@dataclass
class PushOutcome:
    """What recording one push response did."""

    changed: Changed = field(default_factory=Changed)
    acked: int = 0
    rejected: list[Rejection] = field(default_factory=list)
    #: sent but not processed by the server (a batch cut short): back to pending, resent unchanged
    unprocessed: int = 0


def release_inflight(writer: Writer) -> int:
    """Put entries left `inflight` (a push interrupted by a crash or abort) back to pending."""
    with writer.transaction() as conn:
        result = conn.execute(update(outbox).where(outbox.c.state == "inflight").values(state="pending"))
    return int(result.rowcount or 0)


def pending_count(writer: Writer) -> int:
    with writer.transaction() as conn:
        rows = conn.execute(select(outbox.c.client_seq).where(outbox.c.state == "pending")).all()
    return len(rows)


def claim_batch(writer: Writer, limit: int) -> list[Mutation]:
    """The oldest pending entries (by `client_seq`), marked `inflight`, as wire mutations."""
    with writer.transaction() as conn:
        rows = conn.execute(
            select(outbox).where(outbox.c.state == "pending").order_by(outbox.c.client_seq).limit(limit)
        ).all()
        seqs = [int(r.client_seq) for r in rows]
        if seqs:
            # counted when claimed, not when a push fails: from here on the server may hold the
            # mutation id, so a later edit must not be squashed into it (store/edits.py)
            conn.execute(
                update(outbox)
                .where(outbox.c.client_seq.in_(seqs))
                .values(state="inflight", attempts=outbox.c.attempts + 1)
            )
    return [_mutation(r) for r in rows]


def release_failed(writer: Writer, batch: list[Mutation], error: str | None) -> Changed:
    """A push failed (network, 5xx): the batch is pending again with the error (its attempt was
    counted when it was claimed).

    `error` None: the batch was not tried (held back while a refused batch is split)."""
    seqs = [m.client_seq for m in batch]
    statement = update(outbox).where(outbox.c.client_seq.in_(seqs), outbox.c.state == "inflight")
    if error is None:
        statement = statement.values(state="pending")
    else:
        statement = statement.values(state="pending", last_error=error[:500])
    with writer.transaction() as conn:
        conn.execute(statement)
    return Changed(outbox=True)


def _reject(
    conn: Connection, row: Any, reason: str, at: str, keys: set[tuple[str, str]], out: list[Rejection]
) -> None:
    mutation = _mutation(row)
    conn.execute(
        insert(rejected_log)
        .prefix_with("OR REPLACE")
        .values(mutation_id=mutation.mutation_id, payload=_payload(mutation), reason=reason, at=at)
    )
    conn.execute(delete(outbox).where(outbox.c.client_seq == mutation.client_seq))
    keys.add((mutation.entity, mutation.entity_id))
    out.append(Rejection(mutation.mutation_id, mutation.entity, mutation.entity_id, mutation.op, reason))


def _reject_with_dependants(
    conn: Connection, row: Any, reason: str, at: str, keys: set[tuple[str, str]], out: list[Rejection]
) -> None:
    _reject(conn, row, reason, at, keys, out)
    queue = [str(row.mutation_id)]
    while queue:
        parent = queue.pop()
        for child in conn.execute(select(outbox).where(outbox.c.depends_on == parent)).all():
            _reject(conn, child, f"dependency_failed: {parent} was rejected", at, keys, out)
            queue.append(str(child.mutation_id))


def _settle(conn: Connection, keys: set[tuple[str, str]], changed: Changed) -> None:
    touched = Touched()
    settle(conn, sorted(k for k in keys if k[0] in MIRRORS), touched)
    reindex(conn, touched.customers)
    changed.merge(touched.changed)
    changed.outbox = True


def _ack(conn: Connection, row: Any, result: MutationResult) -> None:
    conn.execute(
        update(outbox)
        .where(outbox.c.client_seq == row.client_seq)
        .values(
            state="acked",
            ack_seq=result.server_seq,
            result=dumps(result.model_dump(mode="json")),
            last_error=None,
        )
    )


def record_results(writer: Writer, batch: list[Mutation], response: PushResponse, at: str) -> PushOutcome:
    """Record a push response in one transaction; entries without a result go back to pending."""
    outcome = PushOutcome()
    keys: set[tuple[str, str]] = set()
    by_id = {r.mutation_id: r for r in response.results}
    with writer.transaction() as conn:
        for mutation in sorted(batch, key=lambda m: m.client_seq):
            row = conn.execute(select(outbox).where(outbox.c.client_seq == mutation.client_seq)).one_or_none()
            if row is None:  # already rejected with a dependency earlier in this response
                continue
            result = by_id.get(mutation.mutation_id)
            if result is None:
                conn.execute(
                    update(outbox).where(outbox.c.client_seq == mutation.client_seq).values(state="pending")
                )
                outcome.unprocessed += 1
            elif result.outcome == "rejected":
                _reject_with_dependants(conn, row, result.reason or "rejected", at, keys, outcome.rejected)
            else:
                _ack(conn, row, result)
                outcome.acked += 1
        _settle(conn, keys, outcome.changed)
    return outcome


def reject_locally(writer: Writer, mutation: Mutation, reason: str, at: str) -> PushOutcome:
    """The server refused the request carrying only this mutation (e.g. 422): dead-letter it."""
    outcome = PushOutcome()
    keys: set[tuple[str, str]] = set()
    with writer.transaction() as conn:
        row = conn.execute(select(outbox).where(outbox.c.client_seq == mutation.client_seq)).one_or_none()
        if row is not None:
            _reject_with_dependants(conn, row, reason, at, keys, outcome.rejected)
        _settle(conn, keys, outcome.changed)
    return outcome


def settle_acked(writer: Writer, acked_through: int, at: str) -> Changed:
    """Acked entries the pull has confirmed (`client_seq ≤ acked_through`) move to the acked log."""
    changed = Changed()
    keys: set[tuple[str, str]] = set()
    with writer.transaction() as conn:
        rows = conn.execute(
            select(outbox)
            .where(outbox.c.state == "acked", outbox.c.client_seq <= acked_through)
            .order_by(outbox.c.client_seq)
        ).all()
        if not rows:
            return changed
        for row in rows:
            mutation = _mutation(row)
            conn.execute(
                insert(acked_log)
                .prefix_with("OR REPLACE")
                .values(
                    mutation_id=mutation.mutation_id,
                    client_seq=mutation.client_seq,
                    payload=_payload(mutation),
                    acked_at=at,
                )
            )
            keys.add((mutation.entity, mutation.entity_id))
        conn.execute(delete(outbox).where(outbox.c.client_seq.in_([int(r.client_seq) for r in rows])))
        _settle(conn, keys, changed)
    return changed


def requeue_for_epoch(writer: Writer, since: str) -> int:
    """Epoch reset: everything the server may have lost is queued again as pending.

    The acked log (entries acked since `since`; older ones are dropped) and the outbox's acked
    entries go back to pending with the pending ones, in their original order but renumbered
    above every `client_seq` used so far: a restored server may remember a higher
    `last_client_seq` than the old numbers (a push it took after the backup), and mutation ids,
    not numbers, are what its dedupe table matches. Returns how many acked mutations return.
    """
    with writer.transaction() as conn:
        conn.execute(delete(acked_log).where(acked_log.c.acked_at < since))
        entries = [entry_from_row(r) for r in conn.execute(select(outbox)).all()]
        queued = {e.client_seq: e.mutation() for e in entries}
        created = {e.client_seq: e.created_at_device for e in entries}
        # an entry a push carried keeps counting as sent: the restored server may still hold it
        attempts = {e.client_seq: e.attempts for e in entries}
        count = sum(1 for e in entries if e.state == "acked")
        present = {m.mutation_id for m in queued.values()}
        for row in conn.execute(select(acked_log)).all():
            payload = loads_object(row.payload)
            if not payload or row.mutation_id in present:
                continue
            mutation = Mutation.model_validate(payload)
            queued.setdefault(mutation.client_seq, mutation)
            attempts.setdefault(mutation.client_seq, 1)
            count += 1
        conn.execute(delete(acked_log))
        conn.execute(delete(outbox))
        for old_seq in sorted(queued):
            mutation = queued[old_seq]
            conn.execute(
                insert(outbox).values(
                    mutation_id=mutation.mutation_id,
                    entity=mutation.entity,
                    entity_id=mutation.entity_id,
                    op=mutation.op,
                    base_version=mutation.base_version,
                    base_values=None if mutation.base_values is None else dumps(mutation.base_values),
                    new_values=dumps(mutation.new_values),
                    depends_on=mutation.depends_on,
                    created_at_device=created.get(old_seq),
                    state="pending",
                    attempts=attempts.get(old_seq, 1),
                )
            )
    return count


def prune_acked_log(writer: Writer, before: str) -> None:
    with writer.transaction() as conn:
        conn.execute(delete(acked_log).where(acked_log.c.acked_at < before))
