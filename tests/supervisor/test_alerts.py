"""Threshold alerts with hysteresis: one alert per breach, no flapping around the threshold."""

from desktop.services.queue_watch_alerts import AlertWatch
from tests.supervisor.factories import queue


def _sl(value: float | None) -> list:  # type: ignore[type-arg]
    return [queue("q1", rolling_over={"service_level": value})]


def test_service_level_hovering_around_the_target_alerts_once() -> None:
    watch = AlertWatch()
    kinds = []
    for value in (0.85, 0.79, 0.81, 0.78, 0.82, 0.84, 0.80, 0.79):
        kinds += [(e.metric, e.kind) for e in watch.update(_sl(value))]
    assert kinds == [("service_level", "breach")]
    assert watch.breached("q1") == {"service_level"}


def test_a_breach_clears_only_past_the_margin_and_can_breach_again() -> None:
    watch = AlertWatch()
    assert [e.kind for e in watch.update(_sl(0.70))] == ["breach"]
    assert watch.update(_sl(0.84)) == []  # 80 % target + 5 points margin not reached
    cleared = watch.update(_sl(0.85))
    assert [(e.kind, e.value) for e in cleared] == [("clear", 0.85)]
    assert watch.breached("q1") == frozenset()
    assert [e.kind for e in watch.update(_sl(0.80))] == []  # exactly on the threshold: not a breach
    assert [e.kind for e in watch.update(_sl(0.7999))] == ["breach"]


def test_an_unknown_service_level_neither_raises_nor_clears() -> None:
    watch = AlertWatch()
    watch.update(_sl(0.5))
    assert watch.update(_sl(None)) == []
    assert watch.breached("q1") == {"service_level"}


def test_waiting_and_oldest_wait_use_their_own_margins() -> None:
    watch = AlertWatch()
    events = watch.update([queue("q1", contacts_waiting=6, oldest_wait_s=61.0)])
    assert sorted(e.metric for e in events) == ["oldest_wait", "waiting"]
    # waiting threshold 5, margin 1: 5 is not yet recovered; oldest wait threshold 60, margin 6 s
    assert watch.update([queue("q1", contacts_waiting=5, oldest_wait_s=55.0)]) == []
    events = watch.update([queue("q1", contacts_waiting=4, oldest_wait_s=None)])  # nobody waits: 0 s
    assert sorted((e.metric, e.kind) for e in events) == [("oldest_wait", "clear"), ("waiting", "clear")]


def test_a_queue_that_leaves_the_picture_is_forgotten() -> None:
    watch = AlertWatch()
    watch.update(_sl(0.5))
    watch.update([queue("q2")])
    assert watch.breached("q1") == frozenset()
    assert [e.kind for e in watch.update(_sl(0.5))] == ["breach"]
