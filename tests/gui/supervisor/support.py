"""Recording a model's change signals (to check that a picture updates cells in place), and feeding
pictures to a model through the worker's state."""

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QAbstractItemModel, QModelIndex

if TYPE_CHECKING:
    from desktop.services.queue_watch_state import Update
    from desktop.views.supervisor.cell_table import CellTable


@dataclass
class Signals:
    """Every dataChanged range (top row, left column, bottom row, right column) and every reset,
    insert and remove a model announced."""

    changed: list[tuple[int, int, int, int]] = field(default_factory=list)
    resets: int = 0
    inserted: list[tuple[int, int]] = field(default_factory=list)
    removed: list[tuple[int, int]] = field(default_factory=list)

    def cells(self) -> set[tuple[int, int]]:
        return {
            (r, c)
            for top, left, bottom, right in self.changed
            for r in range(top, bottom + 1)
            for c in range(left, right + 1)
        }

    def clear(self) -> None:
        self.changed.clear()
        self.inserted.clear()
        self.removed.clear()
        self.resets = 0


def record(model: QAbstractItemModel) -> Signals:
    signals = Signals()

    def changed(top: QModelIndex, bottom: QModelIndex, _roles: object = None) -> None:
        signals.changed.append((top.row(), top.column(), bottom.row(), bottom.column()))

    def reset() -> None:
        signals.resets += 1

    model.dataChanged.connect(changed)
    model.modelReset.connect(reset)
    model.rowsInserted.connect(lambda _p, first, last: signals.inserted.append((first, last)))
    model.rowsRemoved.connect(lambda _p, first, last: signals.removed.append((first, last)))
    return signals


class Feed:
    """Pictures through the worker's state into a model, as the panel does (inline here)."""

    def __init__(self) -> None:
        from desktop.services.queue_watch_state import WatchState

        self.state = WatchState()

    def __call__(self, at: float, queues: list[Any], agents: list[Any] | None = None) -> "Update":
        from desktop.services.queue_watch_picture import picture_from_snapshot
        from tests.supervisor.factories import snapshot

        update = self.state.advance(
            picture_from_snapshot(snapshot(queues, agents or [], at=1_000_000.0 + at))
        )
        assert update is not None
        return update


def record_paints(view: "CellTable") -> list[tuple[int, int]]:
    """Make `view` record each cell it paints, (row, column) in paint order, and paint it as it
    does (a probe on `CellTable.paint_row`); the list fills as the view paints."""
    painted: list[tuple[int, int]] = []
    paint_row = view.paint_row

    def recording(
        painter: Any, model: Any, row: int, top: int, height: int, columns: list[Any], *rest: Any
    ) -> None:
        painted.extend((row, column) for column, _left, _width in columns)
        paint_row(painter, model, row, top, height, columns, *rest)

    view.paint_row = recording  # type: ignore[method-assign]
    return painted
