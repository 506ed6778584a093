"""Applying a worked-out update (`queue_watch_state.KeyedUpdate`) to a table model in place: rows
removed and inserted with their own signals, changed cells announced with `dataChanged` for runs
of adjacent columns of one row (never a range over several rows, which would repaint every cell
between), the rows swapped in one list assignment.

Both supervisor models (queues, agents) keep `rows` in the shown order; a picture never resets
them, so selection, scroll position and the view's cached sizes survive the snapshot a second.
Everything that needs a loop over all rows was done on the worker.
"""

from typing import TypeVar

from PySide6.QtCore import QAbstractTableModel, QModelIndex

from desktop.services.queue_watch_state import KeyedUpdate

R = TypeVar("R")


def apply_update(model: QAbstractTableModel, rows: list[R], update: KeyedUpdate[R]) -> int:
    """Make `rows` (the model's list, changed in place) what `update` says and tell the views.
    `changed` columns come sorted (`queue_watch_state`). Returns how many runs were announced."""
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
    announced = 0
    emit = model.dataChanged.emit
    # createIndex, not index(): the positions are valid by construction, and index() would call
    # the Python rowCount and columnCount for each of hundreds of cells a second
    make = model.createIndex
    # a run of adjacent cells of one row per signal: the view repaints the run's rectangle where
    # it is visible (nothing where it is not), and a row's scattered cells are not joined into one
    # wide rectangle
    for position, columns in update.changed:
        first = last = columns[0]
        for column in columns[1:]:
            if column == last + 1:
                last = column
                continue
            emit(make(position, first), make(position, last))
            announced += 1
            first = last = column
        emit(make(position, first), make(position, last))
        announced += 1
    return announced


def replace_all(model: QAbstractTableModel, rows: list[R], update: KeyedUpdate[R]) -> None:
    """Catch up after a missed update: the one place a model is reset (never per snapshot)."""
    model.beginResetModel()
    rows[:] = update.rows
    model.endResetModel()
