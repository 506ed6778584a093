"""Push over real HTTP: idempotency, merge outcomes, conflicts, policies, ordering, commands."""

import uuid

from sqlalchemy import func, select

from server.db import tables as t
from tests.api.conftest import World


def _case_row(world: World, case_id: str) -> dict:
    with world.db.read() as conn:
        return dict(conn.execute(select(t.support_case).where(t.support_case.c.id == case_id)).one()._mapping)


def test_same_mutation_twice_has_one_effect_and_returns_the_stored_result(world: World) -> None:
    m = world.mirror("agent", f"queue:{world.queue['billing']}")
    note_id = str(uuid.uuid4())
    mutation = m.mutation(
        "case_note", note_id, "append", {"case_id": world.case["ann"], "body": "Called back"}
    )
    first = m.push(mutation)
    second = m.push(mutation)
    assert first == second
    assert first[0]["outcome"] == "applied"
    edit = m.mutation(
        "case",
        world.case["ann"],
        "update",
        {"priority": "high"},
        base_version=1,
        base_values={"priority": "normal"},
    )
    a, b = m.push(edit), m.push(edit)
    assert a == b and a[0]["outcome"] == "applied" and a[0]["new_version"] == 2
    assert _case_row(world, world.case["ann"])["version"] == 2
    with world.db.read() as conn:
        notes = conn.execute(
            select(func.count()).select_from(t.case_note).where(t.case_note.c.id == note_id)
        ).scalar()
        stored = conn.execute(select(func.count()).select_from(t.client_mutation)).scalar()
    assert notes == 1 and stored == 2


def test_different_fields_merge(world: World) -> None:
    agent, rep = world.mirror("agent"), world.mirror("rep")
    case = world.case["ann"]
    r1 = rep.push(
        rep.mutation(
            "case", case, "update", {"priority": "urgent"}, base_version=1, base_values={"priority": "normal"}
        )
    )
    r2 = agent.push(
        agent.mutation(
            "case",
            case,
            "update",
            {"subject": "Billing error on May invoice"},
            base_version=1,
            base_values={"subject": "Billing error"},
        )
    )
    assert r1[0]["outcome"] == "applied"
    assert r2[0]["outcome"] == "merged" and r2[0]["conflict_ids"] == []
    row = _case_row(world, case)
    assert (row["priority"], row["subject"]) == ("urgent", "Billing error on May invoice")


def test_same_field_conflict_keeps_both_values_and_resolving_converges(world: World) -> None:
    agent = world.mirror("agent", f"user:{world.user['agent']}")
    agent2 = world.mirror("agent2", f"user:{world.user['agent2']}")
    case = world.case["ann"]
    agent.push(
        agent.mutation(
            "case",
            case,
            "update",
            {"subject": "Mine"},
            base_version=1,
            base_values={"subject": "Billing error"},
        )
    )
    result = agent2.push(
        agent2.mutation(
            "case",
            case,
            "update",
            {"subject": "Theirs"},
            base_version=1,
            base_values={"subject": "Billing error"},
        )
    )[0]
    assert result["outcome"] == "conflict" and len(result["conflict_ids"]) == 1
    assert _case_row(world, case)["subject"] == "Mine"  # first to reach the server wins
    agent2.pull_all()
    conflict = agent2.held(f"user:{world.user['agent2']}", "conflict", result["conflict_ids"][0])
    assert conflict is not None
    assert (conflict["base_value"], conflict["server_value"], conflict["client_value"]) == (
        "Billing error",
        "Mine",
        "Theirs",
    )
    resolve = agent2.push(
        agent2.mutation(
            "conflict",
            result["conflict_ids"][0],
            "command",
            {"name": "resolve_conflict", "action": "use_value", "value": "Agreed"},
        )
    )
    assert resolve[0]["outcome"] == "applied"
    assert _case_row(world, case)["subject"] == "Agreed"
    agent2.pull_all()
    assert (
        agent2.held(f"user:{world.user['agent2']}", "conflict", result["conflict_ids"][0])["status"]
        == "resolved"
    )


def test_illegal_status_jump_is_a_conflict(world: World) -> None:
    agent = world.mirror("agent")
    res = agent.push(
        agent.mutation(
            "case",
            world.case["ann"],
            "update",
            {"status": "closed"},
            base_version=1,
            base_values={"status": "open"},
        )
    )[0]
    assert res["outcome"] == "conflict"
    assert _case_row(world, world.case["ann"])["status"] == "open"
    ok = agent.push(
        agent.mutation(
            "case",
            world.case["ann"],
            "update",
            {"status": "resolved"},
            base_version=1,
            base_values={"status": "open"},
        )
    )[0]
    assert ok["outcome"] in ("applied", "merged")
    row = _case_row(world, world.case["ann"])
    assert row["status"] == "resolved" and row["resolved_at"] is not None


def test_do_not_contact_keeps_the_more_restrictive_value(world: World) -> None:
    rep, agent = world.mirror("rep"), world.mirror("agent")
    cid = world.customer["ann"]
    rep.push(
        rep.mutation(
            "customer",
            cid,
            "update",
            {"do_not_contact": True, "consent_marketing": False},
            base_version=1,
            base_values={"do_not_contact": False, "consent_marketing": True},
        )
    )
    # the agent's form saved every field from a stale copy: it still says "may contact"
    res = agent.push(
        agent.mutation(
            "customer",
            cid,
            "update",
            {"do_not_contact": False, "consent_marketing": True, "display_name": "Ann E."},
            base_version=1,
            base_values={"do_not_contact": False, "consent_marketing": True, "display_name": "Ann Example"},
        )
    )[0]
    assert res["outcome"] == "merged" and res["conflict_ids"] == []
    with world.db.read() as conn:
        row = conn.execute(select(t.customer).where(t.customer.c.id == cid)).one()
        logged = conn.execute(select(t.audit_log).where(t.audit_log.c.action == "field_ignored")).all()
    assert row.do_not_contact is True and row.consent_marketing is False and row.display_name == "Ann E."
    assert logged and "do_not_contact" in logged[-1].detail["fields"]


def test_out_of_order_and_dependency_failures_are_dead_lettered(world: World) -> None:
    m = world.mirror("agent")
    bad_customer = str(uuid.uuid4())
    create = m.mutation("customer", bad_customer, "create", {"display_name": "X", "territory_id": "no-such"})
    dependant = m.mutation(
        "contact_point",
        str(uuid.uuid4()),
        "create",
        {"customer_id": bad_customer, "kind": "email", "value": "x@example.com"},
        depends_on=create["mutation_id"],
    )
    later = m.mutation(
        "case_note", str(uuid.uuid4()), "append", {"case_id": world.case["ann"], "body": "fine"}
    )
    results = m.push(create, dependant, later)
    assert [r["outcome"] for r in results] == ["rejected", "rejected", "applied"]
    assert results[1]["reason"] == "dependency_failed"
    stale = dict(
        m.mutation("case_note", str(uuid.uuid4()), "append", {"case_id": world.case["ann"], "body": "old"})
    )
    stale["client_seq"] = 1
    out = m.push(stale)[0]
    assert out["outcome"] == "rejected" and out["reason"] == "out_of_order"
    with world.db.read() as conn:
        dead = {r.mutation_id: r.reason for r in conn.execute(select(t.rejected_mutation))}
    assert dead[stale["mutation_id"]] == "out_of_order"
    assert dead[dependant["mutation_id"]] == "dependency_failed"


def test_delete_with_stale_base_and_update_of_deleted_record_conflict(world: World) -> None:
    admin, agent = world.mirror("admin"), world.mirror("agent")
    cid = world.customer["ann"]
    agent.push(
        agent.mutation(
            "customer",
            cid,
            "update",
            {"display_name": "Ann 2"},
            base_version=1,
            base_values={"display_name": "Ann Example"},
        )
    )
    stale = admin.push(admin.mutation("customer", cid, "delete", {}, base_version=1))[0]
    assert stale["outcome"] == "conflict" and stale["reason"] == "stale_delete"
    deleted = admin.push(admin.mutation("customer", cid, "delete", {}, base_version=2))[0]
    assert deleted["outcome"] == "applied"
    late = agent.push(
        agent.mutation(
            "customer",
            cid,
            "update",
            {"display_name": "Too late"},
            base_version=2,
            base_values={"display_name": "Ann 2"},
        )
    )[0]
    assert late["outcome"] == "conflict" and late["reason"] == "deleted_remotely"
    restored = agent.push(
        agent.mutation(
            "conflict", late["conflict_ids"][0], "command", {"name": "resolve_conflict", "action": "restore"}
        )
    )[0]
    assert restored["outcome"] == "applied"
    with world.db.read() as conn:
        row = conn.execute(select(t.customer).where(t.customer.c.id == cid)).one()
    assert row.deleted_at is None


def test_possible_duplicate_is_flagged_not_merged(world: World) -> None:
    rep = world.mirror("rep", f"user:{world.user['rep']}")
    new_customer = str(uuid.uuid4())
    create = rep.mutation("customer", new_customer, "create", {"display_name": "Ann Lookalike"})
    phone = rep.mutation(
        "contact_point",
        str(uuid.uuid4()),
        "create",
        {"customer_id": new_customer, "kind": "phone", "value": "020 7946 0018"},
        depends_on=create["mutation_id"],
    )
    results = rep.push(create, phone)
    assert [r["outcome"] for r in results] == ["applied", "applied"]
    assert len(results[1]["conflict_ids"]) == 1
    rep.pull_all()
    flag = rep.held(f"user:{world.user['rep']}", "conflict", results[1]["conflict_ids"][0])
    assert flag["kind"] == "possible_duplicate" and flag["server_value"] == world.customer["ann"]
    with world.db.read() as conn:
        stored = conn.execute(
            select(t.contact_point.c.value).where(t.contact_point.c.customer_id == new_customer)
        ).scalar()
    assert stored == "+442079460018"  # normalised to E.164


def test_field_rep_cannot_write_outside_the_territory(world: World) -> None:
    rep = world.mirror("rep")
    res = rep.push(
        rep.mutation(
            "case",
            world.case["bob"],
            "update",
            {"priority": "low"},
            base_version=1,
            base_values={"priority": "normal"},
        )
    )[0]
    assert res["outcome"] == "rejected" and res["reason"].startswith("forbidden")
    assert _case_row(world, world.case["bob"])["priority"] == "normal"


def test_invalid_values_are_rejected_with_a_reason(world: World) -> None:
    m = world.mirror("agent")
    results = m.push(
        m.mutation("case", world.case["ann"], "update", {"priority": "whenever"}, base_version=1),
        m.mutation("case", world.case["ann"], "update", {"no_such_field": 1}, base_version=1),
        m.mutation("interaction", "not-a-uuid", "append", {"customer_id": world.customer["ann"]}),
        m.mutation("holding", str(uuid.uuid4()), "create", {"customer_id": world.customer["ann"]}),
    )
    assert [r["outcome"] for r in results] == ["rejected"] * 4
    assert all(r["reason"] for r in results)
