"""The event feed's handling of the Listen stream's messages, played by hand (common/streaming/feed.py)."""
from __future__ import annotations

from tests.support import listen_target_change


def test_current_with_no_target_ids_marks_every_acknowledged_unseen_job_missing_and_no_other():
    import queue

    from common.streaming import feed as watch

    feed, got, pending = watch.EventFeed(), queue.SimpleQueue(), queue.SimpleQueue()
    feed._start = lambda: None  # no Listen stream: the server's messages are played by hand
    with feed.subscribe("3" * 32, got.put), feed.subscribe("4" * 32, got.put), feed.subscribe("5" * 32, pending.put):
        acked = [feed._targets[j].target_id for j in ("3" * 32, "4" * 32)]
        feed._handle(listen_target_change("added", acked))
        feed._handle(listen_target_change("current", []))
        assert [got.get(timeout=1).exists, got.get(timeout=1).exists] == [False, False]
        assert pending.empty()  # its ADD is still in flight: a global CURRENT says nothing of it yet
