"""Regression test for PySide6 6.12.0 on CPython 3.11: every Python-side `emit()` dropped a reference
to `True` until the interpreter aborted (`bool_dealloc`). The pin `pyside6-essentials<6.12` keeps it away;
this test fails (or crashes the run) if a bad release sneaks back in.
"""

import sys

import pytest
from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QLabel
from pytestqt.qtbot import QtBot

pytestmark = pytest.mark.gui

COUNT = 10_000


class _Emitter(QObject):
    changed = Signal(int, bool)


class _Counter:
    def __init__(self) -> None:
        self.calls = 0
        self.total = 0
        self.flags = 0

    def on_changed(self, value: int, flag: bool) -> None:
        self.calls += 1
        self.total += value
        self.flags += flag


def test_many_emits_and_set_texts_keep_the_interpreter_healthy(qtbot: QtBot) -> None:
    emitter = _Emitter()
    counter = _Counter()
    emitter.changed.connect(counter.on_changed)
    label = QLabel()
    qtbot.addWidget(label)
    true_before, none_before = sys.getrefcount(True), sys.getrefcount(None)

    for i in range(COUNT):
        emitter.changed.emit(i, True)
    for i in range(COUNT):
        label.setText(f"row {i}")

    assert counter.calls == COUNT
    assert counter.total == COUNT * (COUNT - 1) // 2
    assert counter.flags == COUNT
    assert label.text() == f"row {COUNT - 1}"
    # a leak of one reference per emit would show as a drop of about COUNT
    assert sys.getrefcount(True) > true_before - COUNT // 10
    assert sys.getrefcount(None) > none_before - COUNT // 10
