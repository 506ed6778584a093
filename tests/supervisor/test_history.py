"""The 30-minute ring of each queue's waiting contacts and service level."""

from desktop.services.queue_watch import COLUMN_KEYS
from desktop.services.queue_watch_history import HistoryBook, QueueHistory
from desktop.services.queue_watch_text import DEFINITIONS


def test_samples_in_one_bucket_keep_the_peak_and_the_last_service_level() -> None:
    history = QueueHistory(bucket_s=10, window_s=60)
    assert history.add(100.0, 3, 0.9)
    assert history.add(104.0, 7, 0.8)
    assert history.add(108.0, 2, 0.7)
    assert not history.add(109.0, 2, 0.7)  # nothing the line shows changed
    (only,) = history.points()
    assert (only.at, only.waiting, only.service_level) == (100.0, 7, 0.7)


def test_the_ring_keeps_only_the_window() -> None:
    history = QueueHistory(bucket_s=10, window_s=60)
    for n in range(20):
        history.add(1000.0 + n * 10, n, None)
    points = history.points()
    assert len(points) == 6
    assert [p.waiting for p in points] == [14, 15, 16, 17, 18, 19]
    assert not history.add(1000.0, 99, None)  # an older picture does not draw backwards


def test_a_gap_drops_buckets_older_than_the_window() -> None:
    history = QueueHistory(bucket_s=10, window_s=60)
    history.add(0.0, 1, None)
    history.add(10.0, 2, None)
    history.add(500.0, 3, None)
    assert [p.waiting for p in history.points()] == [3]


def test_the_book_drops_queues_gone_from_the_picture() -> None:
    book = HistoryBook()
    book.add("q1", 0.0, 1, None)
    book.add("q2", 0.0, 1, None)
    book.keep_only({"q2"})
    assert book.get("q1") is None and book.get("q2") is not None


def test_every_column_has_a_definition() -> None:
    assert set(DEFINITIONS) == set(COLUMN_KEYS)
    assert "short abandons" in DEFINITIONS["sl_rolling"]


def test_queues_start_their_buckets_at_different_times() -> None:
    book = HistoryBook()
    for n in range(20):
        book.add(f"q{n}", 1000.0, 1, None)
    starts = {book.queues[f"q{n}"].samples[0].at for n in range(20)}
    assert len(starts) > 5  # staggered: not every sparkline changes with the same snapshot
    assert all(990.0 < start <= 1000.0 for start in starts)  # each bucket holds the observation
