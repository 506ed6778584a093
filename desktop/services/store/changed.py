"""`Changed`: the "what changed" value every store write returns (entity kinds and ids)."""

from collections.abc import Iterable
from dataclasses import dataclass, field


@dataclass
class Changed:
    """Rows that changed, by entity; `outbox` is true when the outbox (pending counts) changed."""

    rows: dict[str, set[str]] = field(default_factory=dict)
    outbox: bool = False
    scopes: set[str] = field(default_factory=set)

    def add(self, entity: str, row_id: str) -> None:
        self.rows.setdefault(entity, set()).add(row_id)

    def add_many(self, entity: str, row_ids: Iterable[str]) -> None:
        """`add` for many ids (a whole page's: one set update, not a call per row)."""
        self.rows.setdefault(entity, set()).update(row_ids)

    def ids(self, entity: str) -> frozenset[str]:
        return frozenset(self.rows.get(entity, ()))

    @property
    def entities(self) -> frozenset[str]:
        return frozenset(name for name, ids in self.rows.items() if ids)

    def merge(self, other: "Changed") -> None:
        for entity, ids in other.rows.items():
            self.add_many(entity, ids)
        self.outbox = self.outbox or other.outbox
        self.scopes |= other.scopes

    def __bool__(self) -> bool:
        return bool(self.entities) or self.outbox or bool(self.scopes)
