"""msgspec structs for the sync hot path: the pull page the client decodes and validates.

They mirror `wire.sync.PullResponse` field for field (a test checks both decode the same bytes to
the same values). `decode_pull` decodes the page and validates every change's `fields` against its
entity's record struct; an unknown entity or a bad field raises `msgspec.ValidationError`.
"""

from typing import Any, Literal

import msgspec

from wire.records import ENTITIES, Record


class FastChange(msgspec.Struct, kw_only=True, forbid_unknown_fields=False):
    seq: int
    entity: str
    id: str
    op: Literal["upsert", "delete", "scope_out"]
    version: int
    #: left undecoded until the entity is known: then decoded straight into its record struct
    fields: msgspec.Raw = msgspec.Raw(b"null")


class FastScopePage(msgspec.Struct, kw_only=True, forbid_unknown_fields=False):
    mode: Literal["snapshot", "log", "reset"]
    changes: list[FastChange] = msgspec.field(default_factory=list)
    next: str | None = None
    has_more: bool = False
    reason: str | None = None


class FastPullResponse(msgspec.Struct, kw_only=True, forbid_unknown_fields=False):
    epoch: str
    head: int
    scopes: dict[str, FastScopePage]
    client_acked_through: int
    page_checksum: str
    schema_version: int = 1


class ValidatedChange(msgspec.Struct, kw_only=True, gc=False):
    """One change of a page, its fields validated. Not tracked by the cycle collector (`gc=False`):
    a page is thousands of them, alive for two pages' time while priming, and each tracked one made
    the collector's full passes longer (measured: 0.4 → 0.2 s of collections per 99k records,
    bench/README.md). It holds only decoded JSON (a record struct, a dict of JSON values), which
    cannot refer back to it, so it is never part of a reference cycle."""

    seq: int
    entity: str
    id: str
    op: Literal["upsert", "delete", "scope_out"]
    version: int
    record: Record | None
    #: fields the record struct does not know (a newer server schema): kept, never dropped
    extra: dict[str, Any]


_decoder = msgspec.json.Decoder(FastPullResponse)
_NULL = b"null"


def _strict_twin(record: type[Record]) -> type[Record]:
    """The same record type, refusing unknown fields (so that we notice them and keep them)."""
    made = msgspec.defstruct(record.__name__, [], bases=(record,), kw_only=True, forbid_unknown_fields=True)
    assert issubclass(made, Record)
    return made


#: entity → (decoder that refuses unknown fields, the tolerant record type)
_RECORD_DECODERS: dict[str, tuple[msgspec.json.Decoder[Record], type[Record]]] = {
    name: (msgspec.json.Decoder(_strict_twin(spec[0])), spec[0]) for name, spec in ENTITIES.items()
}
_dict_decoder = msgspec.json.Decoder(dict[str, Any])


def decode_pull(data: bytes) -> FastPullResponse:
    """Decode a pull response; raises `msgspec.DecodeError`/`ValidationError` on bad input."""
    return _decoder.decode(data)


def validate_change(change: FastChange) -> ValidatedChange:
    """Validate one change's fields against its entity's record struct."""
    decoders = _RECORD_DECODERS.get(change.entity)
    if decoders is None:
        raise msgspec.ValidationError(f"unknown entity {change.entity!r} at seq {change.seq}")
    record: Record | None = None
    extra: dict[str, Any] = {}
    if change.op == "upsert":
        raw = bytes(change.fields)
        if raw == _NULL:
            raise msgspec.ValidationError(f"upsert without fields at seq {change.seq}")
        strict_decoder, record_type = decoders
        try:
            record = strict_decoder.decode(raw)
        except msgspec.ValidationError as exc:
            if "unknown field" not in str(exc):
                raise
            # a newer server schema: validate what we know, keep the rest in `extra`
            values = _dict_decoder.decode(raw)
            record = msgspec.convert(values, type=record_type)
            known = record_type.__struct_fields__
            extra = {k: v for k, v in values.items() if k not in known}
    return ValidatedChange(
        seq=change.seq,
        entity=change.entity,
        id=change.id,
        op=change.op,
        version=change.version,
        record=record,
        extra=extra,
    )


def decode_and_validate(data: bytes) -> tuple[FastPullResponse, dict[str, list[ValidatedChange]]]:
    """Decode a pull page and validate every change: the path the sync engine runs."""
    page = decode_pull(data)
    validated = {scope: [validate_change(c) for c in sp.changes] for scope, sp in page.scopes.items()}
    return page, validated
