"""Constant-time weighted choices: a 1,000-slot table indexed by one random number."""

from collections.abc import Sequence
from typing import Generic, TypeVar

T = TypeVar("T")
SLOTS = 1000


class Weighted(Generic[T]):
    """`pick(rng.random())` returns an item with probability proportional to its weight."""

    def __init__(self, items: Sequence[tuple[T, float]]) -> None:
        total = sum(w for _, w in items)
        table: list[T] = []
        acc = 0.0
        for item, weight in items:
            acc += weight
            while len(table) < round(acc / total * SLOTS):
                table.append(item)
        self._table = tuple(table)
        #: the slots: `table[int(u * SLOTS)]` is `pick(u)` without the call (for hot loops)
        self.table = self._table

    def pick(self, u: float) -> T:
        return self._table[int(u * SLOTS)]

    @property
    def items(self) -> tuple[T, ...]:
        return tuple(dict.fromkeys(self._table))
