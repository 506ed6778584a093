"""The result of one processed mutation, and the rejection raised while applying one."""

from dataclasses import dataclass, field
from typing import Any


class Rejected(Exception):
    """The mutation can never apply: it is dead-lettered with this reason."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(slots=True)
class Outcome:
    outcome: str
    new_version: int | None = None
    server_seq: int | None = None
    conflict_ids: list[str] = field(default_factory=list)
    reason: str | None = None

    def as_result(self, mutation_id: str) -> dict[str, Any]:
        return {
            "mutation_id": mutation_id,
            "outcome": self.outcome,
            "new_version": self.new_version,
            "server_seq": self.server_seq,
            "conflict_ids": list(self.conflict_ids),
            "reason": self.reason,
        }
