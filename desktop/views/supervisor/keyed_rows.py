"""Applying a worked-out update (`queue_watch_state.KeyedUpdate`) to a table model in place: rows
removed and inserted with their own signals, changed cells announced with `dataChanged`, the rows
swapped in one list assignment.

Inside the rows the view shows (`visible`, asked after the rows were removed and inserted), each
changed cell is one signal, which Qt repaints exactly (a range of several cells repaints a
rectangle a pixel larger: the neighbouring cells too). The changed rows above and below the shown
block are announced in a few coarse ranges instead: Qt clips a range's rectangle to the viewport,
so an off-screen range repaints nothing, as long as it covers at most `BLOCK_CELLS` cells (past
that, Qt repaints the whole viewport without working out the rectangle). A stress snapshot
(bench/queue_panel.py) then costs about 100 signals instead of 350, each a trip through Python,
the view and both headers. Every changed cell is still inside an announced range, so any other
view or proxy of the model hears of it.

Both supervisor models (queues, agents) keep `rows` in the shown order; a picture never resets
them, so selection, scroll position and the view's cached sizes survive the snapshot a second.
Everything that needs a loop over all rows was done on the worker.
"""

from bisect import bisect_left, bisect_right
from collections.abc import Callable
from typing import Final, TypeVar

from PySide6.QtCore import QAbstractTableModel, QModelIndex

from desktop.services.queue_watch_state import KeyedUpdate

R = TypeVar("R")

#: the first and last row a view shows (inclusive), asked when the changes are announced
Visible = Callable[[], tuple[int, int]]

#: the most cells one off-screen range may cover: Qt repaints the whole viewport for a
#: `dataChanged` over more than 200 indexes instead of working out their rectangle
BLOCK_CELLS: Final = 200

Changed = tuple[tuple[int, tuple[int, ...]], ...]


def _position(entry: tuple[int, tuple[int, ...]]) -> int:
    return entry[0]


def _blocks(changed: Changed) -> list[tuple[int, int, int, int]]:
    """(first row, left, last row, right) ranges covering every changed cell of `changed` (in row
    order), each of at most `BLOCK_CELLS` cells (rows between changed ones included)."""
    blocks: list[tuple[int, int, int, int]] = []
    if not changed:
        return blocks
    first_row, columns = changed[0]
    last_row, left, right = first_row, columns[0], columns[-1]
    for row, columns in changed[1:]:
        # plain comparisons, not min()/max(): a few hundred rows a snapshot
        wider_left = columns[0] if columns[0] < left else left
        wider_right = columns[-1] if columns[-1] > right else right
        if (row - first_row + 1) * (wider_right - wider_left + 1) <= BLOCK_CELLS:
            last_row, left, right = row, wider_left, wider_right
            continue
        blocks.append((first_row, left, last_row, right))
        first_row = last_row = row
        left, right = columns[0], columns[-1]
    blocks.append((first_row, left, last_row, right))
    return blocks


def apply_update(
    model: QAbstractTableModel, rows: list[R], update: KeyedUpdate[R], visible: Visible | None = None
) -> int:
    """Make `rows` (the model's list, changed in place) what `update` says and tell the views;
    `visible`: the rows shown (None: announce every changed cell on its own). `changed` comes in
    row order with sorted columns (`queue_watch_state`). Returns how many ranges were announced."""
    for position in update.removed:
        model.beginRemoveRows(QModelIndex(), position, position)
        del rows[position]
        model.endRemoveRows()
    if update.added:
        start = len(rows)
        model.beginInsertRows(QModelIndex(), start, start + len(update.added) - 1)
        rows.extend(update.added)
        model.endInsertRows()
    rows[:] = update.rows
    changed = update.changed
    if not changed:
        return 0
    announced = 0
    emit = model.dataChanged.emit
    # createIndex, not index(): the positions are valid by construction, and index() would call
    # the Python rowCount and columnCount for each of hundreds of cells a second
    make = model.createIndex
    shown = changed
    if visible is not None:
        top, bottom = visible()
        start = bisect_left(changed, top, key=_position)
        end = bisect_right(changed, bottom, key=_position)
        shown = changed[start:end]
        for first_row, left, last_row, right in _blocks(changed[:start]) + _blocks(changed[end:]):
            emit(make(first_row, left), make(last_row, right))
            announced += 1
    # one signal per cell: Qt repaints exactly that cell, while a range of two or more cells
    # repaints a rectangle one pixel larger on the right and at the bottom, so the next row's and
    # the next column's cells too (measured: a run of three cells painted eight)
    for position, columns in shown:
        for column in columns:
            cell = make(position, column)
            emit(cell, cell)
        announced += len(columns)
    return announced


def replace_all(model: QAbstractTableModel, rows: list[R], update: KeyedUpdate[R]) -> None:
    """Catch up after a missed update: the one place a model is reset (never per snapshot)."""
    model.beginResetModel()
    rows[:] = update.rows
    model.endResetModel()
