"""The synced entities as the cache stores them: wire fields (from `wire.records`) and column kinds."""

from dataclasses import dataclass
from typing import Any, Final, Literal

import msgspec
import msgspec.inspect as mi

from wire.records import ENTITIES, EntityClass, Record

ColumnKind = Literal["text", "integer", "real", "boolean", "json"]
#: entities whose rows feed a customer's search document
INDEXED_ENTITIES: Final = frozenset({"customer", "contact_point", "external_ref", "case"})


@dataclass(frozen=True)
class Column:
    name: str
    kind: ColumnKind


@dataclass(frozen=True)
class EntitySpec:
    name: str
    record: type[Record]
    entity_class: EntityClass
    columns: tuple[Column, ...]

    @property
    def field_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)


def _kind(info: mi.Type) -> ColumnKind:
    if isinstance(info, mi.UnionType):
        kinds = {_kind(t) for t in info.types if not isinstance(t, mi.NoneType)}
        return kinds.pop() if len(kinds) == 1 else "json"
    if isinstance(info, mi.StrType):
        return "text"
    if isinstance(info, mi.LiteralType):
        return "text" if all(isinstance(v, str) for v in info.values) else "json"
    if isinstance(info, mi.BoolType):
        return "boolean"
    if isinstance(info, mi.IntType):
        return "integer"
    if isinstance(info, mi.FloatType):
        return "real"
    return "json"


def _spec(name: str, record: type[Record], entity_class: EntityClass) -> EntitySpec:
    info = mi.type_info(record)
    assert isinstance(info, mi.StructType)
    columns = tuple(Column(f.name, _kind(f.type)) for f in info.fields)
    return EntitySpec(name, record, entity_class, columns)


SPECS: Final[dict[str, EntitySpec]] = {name: _spec(name, rec, cls) for name, (rec, cls) in ENTITIES.items()}


def spec(entity: str) -> EntitySpec:
    found = SPECS.get(entity)
    if found is None:
        raise KeyError(f"unknown entity {entity!r}")
    return found


def record_values(record: Record) -> dict[str, Any]:
    """A record struct as a plain dict of its wire fields."""
    return msgspec.structs.asdict(record)


def complete_values(entity: str, values: dict[str, Any]) -> dict[str, Any]:
    """A whole record's values with defaults filled in; fields the record does not know are kept."""
    record_type = spec(entity).record
    known = record_type.__struct_fields__
    record = msgspec.convert({k: v for k, v in values.items() if k in known}, type=record_type)
    merged = record_values(record)
    merged.update({k: v for k, v in values.items() if k not in known})
    return merged
