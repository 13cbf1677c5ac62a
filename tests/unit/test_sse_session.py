"""The SSE Session: one client's stream as a state machine with no I/O (common/streaming/sse.py)."""
from __future__ import annotations
from common.streaming import session as sessions

from tests.support import Clock


def test_a_viewer_missing_events_older_than_the_latest_tail_asks_for_them_once():
    from common.jobs import pages
    from common.streaming.feed import JobState

    session = sessions.Session("0" * 32, 0, heartbeat_s=1, max_s=10, retry_ms=100)
    tail = (pages.Event(5, "image_update", {}), pages.Event(6, "done", {"status": "completed"}))
    assert session.on_message(JobState(exists=True, status="completed", last_seq=6, tail=tail)) == []
    assert session.needs_catch_up() is True
    assert session.needs_catch_up() is False  # one read in flight at a time
    frames = session.on_message([pages.Event(s, "status", {"step": "analyzing"}) for s in (1, 2, 3, 4)])
    assert [f.split("\n")[0] for f in frames] == [f"id: {s}" for s in range(1, 7)]
    assert session.finished


def test_a_viewer_joining_late_gets_the_first_event_from_the_job_and_asks_only_for_the_middle():
    from common.jobs import pages
    from common.streaming.feed import JobState

    session = sessions.Session("0" * 32, 0, heartbeat_s=1, max_s=10, retry_ms=100)
    head = (pages.Event(1, "status", {"step": "uploading"}),)
    tail = (pages.Event(4, "done", {"status": "completed"}),)
    frames = session.on_message(JobState(exists=True, status="completed", last_seq=4, tail=tail, head=head))
    assert [f.split("\n")[0] for f in frames] == ["id: 1"]
    assert session.needs_catch_up() is True and session.last == 1  # the read asks for seq > 1 only
    frames = session.on_message([pages.Event(s, "status", {"step": "analyzing"}) for s in (2, 3)])
    assert [f.split("\n")[0] for f in frames] == ["id: 2", "id: 3", "id: 4"]
    assert session.finished


def test_a_failing_catch_up_read_is_retried_with_backoff_then_the_stream_ends_with_a_timeout_frame(monkeypatch):
    from common.jobs import pages
    from common.streaming.feed import FeedNotice, JobState

    clock = Clock()
    # The session's backoff runs on this clock: no sleeping for it.
    session = sessions.Session("0" * 32, 0, heartbeat_s=30, max_s=60, retry_ms=100, monotonic=clock.monotonic)
    tail = (pages.Event(5, "image_update", {}),)
    session.on_message(JobState(exists=True, status="running", last_seq=5, tail=tail))
    asked = []
    t0 = clock.monotonic()
    while not session.finished and clock.monotonic() - t0 < 20:
        if session.needs_catch_up():
            asked.append(clock.monotonic() - t0)
            out = session.on_message(FeedNotice("catch_up_failed"))
        else:
            # As the stream's loop waits for the next message (a real loop's turn takes a moment too).
            clock.advance(max(min(session.wait_s(), 0.05), 0.001))
            out = []
    assert len(asked) == sessions.CATCH_UP_ATTEMPTS  # not thousands of reads in a tight loop
    gaps = [b - a for a, b in zip(asked, asked[1:])]
    assert gaps == sorted(gaps) and gaps[0] >= sessions.CATCH_UP_BACKOFF_S * 0.9
    assert out and out[0].startswith("event: timeout")
    assert '"last_event_id":0' in out[0] and "events_unavailable" in out[0]
