"""Property: the three-way merge never loses what the client sent."""

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from server.sync.merge import canonical, merge
from server.sync.policy import POLICY, legal_transition, policy_of
from wire.records import CASE_STATUSES

FIELDS = [
    ("case", "status"),
    ("case", "priority"),
    ("case", "subject"),
    ("case", "owner_id"),
    ("case", "sla_due_at"),
    ("customer", "do_not_contact"),
    ("customer", "consent_marketing"),
    ("customer", "display_name"),
    ("customer", "territory_id"),
    ("contact_point", "value"),
]


def values_for(entity: str, field: str) -> st.SearchStrategy[Any]:
    if field == "status":
        return st.sampled_from(CASE_STATUSES)
    if field in ("do_not_contact", "consent_marketing"):
        return st.booleans()
    return st.one_of(st.none(), st.sampled_from(["a", "b", "c"]), st.text(max_size=5), st.integers(0, 3))


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[str, dict[str, Any], dict[str, Any], dict[str, Any]]:
    entity = draw(st.sampled_from(["case", "customer", "contact_point"]))
    fields = [f for e, f in FIELDS if e == entity]
    chosen = draw(st.lists(st.sampled_from(fields), min_size=1, unique=True))
    base, server, client = {}, {}, {}
    for f in chosen:
        strat = values_for(entity, f)
        base[f] = draw(strat)
        server[f] = draw(st.one_of(st.just(base[f]), strat))
        client[f] = draw(st.one_of(st.just(server[f]), strat))
    return entity, base, server, client


@settings(max_examples=800, deadline=None)
@given(scenarios())
def test_nothing_the_client_sent_is_lost(
    case: tuple[str, dict[str, Any], dict[str, Any], dict[str, Any]],
) -> None:
    entity, base, server, client = case
    result = merge(entity, server, base, client)
    conflicted = {c.field: c for c in result.conflicts}
    for field, value in client.items():
        kept = (
            (field in result.applied and canonical(result.applied[field]) == canonical(value))
            or (field in conflicted and canonical(conflicted[field].client) == canonical(value))
            or (field in result.logged and canonical(result.logged[field][1]) == canonical(value))
            or (field in result.unchanged and canonical(server[field]) == canonical(value))
        )
        assert kept, (field, base, server, client, result)
    # each field lands in exactly one bucket
    buckets = [set(result.applied), set(conflicted), set(result.unchanged)]
    for field in client:
        assert sum(field in b for b in buckets) <= 1 or (field in result.applied and field in result.logged)


@settings(max_examples=500, deadline=None)
@given(scenarios())
def test_merge_semantics(case: tuple[str, dict[str, Any], dict[str, Any], dict[str, Any]]) -> None:
    entity, base, server, client = case
    result = merge(entity, server, base, client)
    for field, value in client.items():
        pol = policy_of(entity, field)
        same_server = canonical(server[field]) == canonical(value)
        if same_server:
            assert field in result.unchanged
        elif pol == "server":
            assert field not in result.applied and field in result.logged
        elif pol == "state_machine":
            legal = legal_transition(entity, field, server[field], value)
            assert (field in result.applied) == legal
        elif canonical(server[field]) == canonical(base[field]):
            assert result.applied[field] == value  # untouched on the server: the client's edit lands
        elif pol == "privacy_true":
            assert result.applied.get(field, server[field]) is True  # someone said do-not-contact
        elif pol == "privacy_false":
            assert result.applied.get(field, server[field]) is False  # someone withdrew consent
        else:
            assert [c.field for c in result.conflicts].count(field) == 1  # both changed: a conflict


def test_policy_table_names_real_fields() -> None:
    from wire.records import field_names

    for entity, fields in POLICY.items():
        assert set(fields) <= set(field_names(entity)), entity
