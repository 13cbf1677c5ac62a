"""The event stream: replay after any id, live delivery, heartbeats, and the compatibility stream."""
from __future__ import annotations

import base64
import time

import httpx

from common.jobs import pages, store
from common.streaming import session as sessions
from tests.api import assert_well_formed, lease_s, parse_sse


def test_reconnecting_with_last_event_id_query_at_every_position_replays_exactly_what_is_missing(api, menu_photo):
    job_id, frames = api.scan(menu_photo)
    last = frames[-1].id
    for n in range(0, last + 1):
        got = api.events(job_id, after=n)
        assert [f.id for f in got if f.id is not None] == list(range(n + 1, last + 1)), n


def test_reconnecting_with_the_last_event_id_header_at_every_position_replays_exactly_what_is_missing(api, menu_photo):
    job_id, frames = api.scan(menu_photo)
    last = frames[-1].id
    for n in range(0, last + 1):
        got = api.events(job_id, header=n)
        assert [f.id for f in got if f.id is not None] == list(range(n + 1, last + 1)), n


def test_with_both_a_query_id_and_a_last_event_id_header_the_stream_follows_the_newer(api, menu_photo):
    job_id, frames = api.scan(menu_photo)
    assert api.events(job_id, after=5, header=2)[0].id == 6  # the app's query, a stale header
    # An EventSource keeps the URL it was opened with: its query goes stale, the header moves on.
    assert api.events(job_id, after=2, header=5)[0].id == 6


def test_a_client_reconnecting_at_every_point_of_a_live_job_sees_each_event_once_in_order(api, menu_photo):
    # Slow images so the reconnects happen while the job is still producing events.
    api.script("image", {"delay_s": 0.6}, {"delay_s": 0.9}, {"delay_s": 1.2})
    job_id = api.job(api.upload(menu_photo))
    seen, last = [], 0
    while not seen or seen[-1].event != "done":
        chunk = api.events(job_id, after=last, max_frames=1)
        stored = [f for f in chunk if f.id is not None]
        seen.extend(stored)
        if stored:
            last = stored[-1].id
    assert_well_formed(seen)
    assert [f.id for f in seen] == list(range(1, len(seen) + 1))


def test_an_idle_stream_sends_heartbeats_without_ids(api, stack, menu_photo):
    api.script("image", {"delay_s": 2.5})
    job_id = api.job(api.upload(menu_photo))
    with httpx.stream("GET", f"{api.base}/api/v1/scan/jobs/{job_id}/events", headers=api.auth(job_id),
                      timeout=30) as r:
        lines = []
        for line in r.iter_lines():
            lines.append(line)
            if line.startswith("event: done"):
                break
    frames = parse_sse(lines + [""])
    beats = [f for f in frames if f.event == "heartbeat"]
    assert beats and all(f.id is None for f in beats)
    assert_well_formed([f for f in frames if f.event != "heartbeat"])


def test_a_stream_reaching_its_maximum_duration_sends_timeout_and_the_client_resumes_from_its_last_id(api, stack,
                                                                                                   menu_photo):
    from common.streaming import sse
    from common.streaming.feed import EventFeed

    api.script("image", {"delay_s": 2}, {"delay_s": 2}, {"delay_s": 2})
    job_id = api.job(api.upload(menu_photo))
    frames = list(sse.stream(EventFeed(), job_id, 0, heartbeat_s=0.5, max_s=1.0, retry_ms=100))
    parsed = [f for f in parse_sse("".join(frames).split("\n")) if f.event != "heartbeat"]
    assert parsed[-1].event == "timeout" and parsed[-1].id is None
    last = max(f.id for f in parsed if f.id is not None)
    rest = api.events(job_id, after=last)
    assert_well_formed(parsed[:-1] + rest)


def test_the_compatibility_stream_yields_the_same_event_sequence_as_the_job_api(api, menu_photo):
    from tests.conftest import render_photo

    _, via_jobs = api.scan(menu_photo, language="en")
    httpx.post(f"{api.stack.gemini_url}/_control/reset")
    other = render_photo(size=(900, 1201))  # the same menu in other bytes: not a cache hit, so the same run
    body = {"image_base64": base64.b64encode(other).decode(), "user_preferences": {"language": "en"}}
    with httpx.stream("POST", f"{api.base}/api/v1/scan/stream", json=body, timeout=60) as r:
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("text/event-stream")
        lines, seen_done = [], False
        for line in r.iter_lines():
            lines.append(line)
            seen_done = seen_done or line.startswith("event: done")
            if seen_done and line.startswith("data: "):
                break
    via_stream = [f for f in parse_sse(lines + [""]) if f.event != "heartbeat"]
    assert_well_formed(via_stream)
    assert [f.event for f in via_stream] == [f.event for f in via_jobs]
    assert [f.id for f in via_stream] == [f.id for f in via_jobs]
    def names(frames):
        return [i["translated_name"] for i in next(f for f in frames if f.event == "menu_data").data["items"]]

    assert names(via_stream) == names(via_jobs)


def test_the_event_feed_recovers_from_a_broken_listen_stream_without_losing_an_event(stack):
    import queue
    import time as _time

    from common.jobs import lease, payloads
    from common.streaming.feed import EventFeed
    from common.streaming.notices import JobState
    from tests.test_pipeline import _job_without_deliveries

    job_id = _job_without_deliveries()
    run = lease.claim(job_id, "test-run", lease_s())
    assert run.outcome == "claimed"
    feed, got = EventFeed(reconnect_backoff_s=0.05), queue.SimpleQueue()
    with feed.subscribe(job_id, got.put):
        first = got.get(timeout=10)
        assert isinstance(first, JobState) and first.exists and first.last_seq == 1
        run.log.append("status", payloads.status("analyzing", "before the break", job_id))
        feed._rpc.close()  # the Listen stream dies, as on a network fault or server restart
        run.log.append("status", payloads.status("generating_images", "during the break", job_id))
        seen, deadline = {}, _time.time() + 10
        while 3 not in seen and _time.time() < deadline:
            try:
                msg = got.get(timeout=0.5)
            except queue.Empty:
                continue
            for ev in (msg.tail if isinstance(msg, JobState) else msg):
                seen[ev.seq] = ev.type
        assert feed.reconnects >= 1
        assert seen.get(3) == "status"


def test_a_viewer_missing_events_older_than_the_latest_tail_asks_for_them_once():
    from common.jobs import pages
    from common.streaming.notices import JobState

    session = sessions.Session("0" * 32, 0, heartbeat_s=1, max_s=10, retry_ms=100)
    tail = (pages.Event(5, "image_update", {}), pages.Event(6, "done", {"status": "completed"}))
    assert session.on_message(JobState(exists=True, status="completed", last_seq=6, tail=tail)) == []
    assert session.needs_catch_up() is True
    assert session.needs_catch_up() is False  # one read in flight at a time
    frames = session.on_message([pages.Event(s, "status", {"step": "analyzing"}) for s in (1, 2, 3, 4)])
    assert [f.split("\n")[0] for f in frames] == [f"id: {s}" for s in range(1, 7)]
    assert session.finished


def test_a_jobs_first_event_is_stored_on_the_job_itself_and_read_back_with_the_pages(api, stack, menu_photo):
    from common.jobs import pages

    job_id, frames = api.scan(menu_photo)
    docs = list(pages.pages_after(job_id, 0).stream())
    assert min(p.get("first_seq") for p in docs) == 2  # create_job wrote one document: the job
    assert [e.seq for e in pages.read_after(job_id, 0)] == [f.id for f in frames if f.id is not None]
    assert [e.seq for e in pages.read_after(job_id, 1)][0] == 2


def test_a_viewer_joining_late_gets_the_first_event_from_the_job_and_asks_only_for_the_middle():
    from common.jobs import pages
    from common.streaming.notices import JobState

    session = sessions.Session("0" * 32, 0, heartbeat_s=1, max_s=10, retry_ms=100)
    head = (pages.Event(1, "status", {"step": "uploading"}),)
    tail = (pages.Event(4, "done", {"status": "completed"}),)
    frames = session.on_message(JobState(exists=True, status="completed", last_seq=4, tail=tail, head=head))
    assert [f.split("\n")[0] for f in frames] == ["id: 1"]
    assert session.needs_catch_up() is True and session.last == 1  # the read asks for seq > 1 only
    frames = session.on_message([pages.Event(s, "status", {"step": "analyzing"}) for s in (2, 3)])
    assert [f.split("\n")[0] for f in frames] == ["id: 2", "id: 3", "id: 4"]
    assert session.finished


def test_a_job_stored_before_heads_existed_still_replays_from_its_first_page(api, stack, menu_photo):
    from google.cloud import firestore

    from common.gcp import db
    from common.jobs import pages

    job_id, frames = api.scan(menu_photo)
    client, ref = db.client(), db.client().collection(store.JOBS).document(job_id)
    head = pages.decode_page(ref.get().get("head"))
    # The layout of an earlier deploy: seq 1 on a page of its own, no head on the job.
    client.collection(pages.EVENTS).document(pages.page_doc_id(job_id, 1)).create(pages.page_record(job_id, head))
    ref.update({"head": firestore.DELETE_FIELD})
    assert [e.seq for e in pages.read_after(job_id, 0)] == [f.id for f in frames]
    assert [f.id for f in api.events(job_id, after=0)] == [f.id for f in frames]


# -- a feed that cannot do what a viewer needs says so, and never spins ---------------------------------
def test_a_failing_catch_up_read_is_retried_with_backoff_then_the_stream_ends_with_a_timeout_frame():
    import time as _time

    from common.jobs import pages
    from common.streaming.notices import FeedNotice, JobState

    session = sessions.Session("0" * 32, 0, heartbeat_s=30, max_s=60, retry_ms=100)
    tail = (pages.Event(5, "image_update", {}),)
    session.on_message(JobState(exists=True, status="running", last_seq=5, tail=tail))
    asked = []
    t0 = _time.monotonic()
    while not session.finished and _time.monotonic() - t0 < 20:
        if session.needs_catch_up():
            asked.append(_time.monotonic() - t0)
            out = session.on_message(FeedNotice("catch_up_failed"))
        else:
            _time.sleep(min(session.wait_s(), 0.05))
            out = []
    assert len(asked) == sessions.CATCH_UP_ATTEMPTS  # not thousands of reads in a tight loop
    gaps = [b - a for a, b in zip(asked, asked[1:])]
    assert gaps == sorted(gaps) and gaps[0] >= sessions.CATCH_UP_BACKOFF_S * 0.9
    assert out and out[0].startswith("event: timeout")
    assert '"last_event_id":0' in out[0] and "events_unavailable" in out[0]


def test_catch_up_reads_past_the_feeds_queue_are_refused_at_once_not_queued(stack, monkeypatch):
    import queue
    import threading

    from common.streaming import feed as watch
    from common.streaming import notices

    monkeypatch.setattr(watch, "CATCH_UP_QUEUE", 1)
    release = threading.Event()
    monkeypatch.setattr(pages, "read_after", lambda job_id, after: (release.wait(10), [])[1])
    feed = watch.EventFeed()
    got = queue.SimpleQueue()
    with feed.subscribe("1" * 32, got.put) as a, feed.subscribe("2" * 32, got.put) as b:
        a.catch_up(0)
        b.catch_up(0)  # the queue is full: told at once
        told = []
        deadline = time.time() + 10
        while not told and time.time() < deadline:
            msg = got.get(timeout=10)
            if isinstance(msg, notices.FeedNotice):
                told.append(msg)
        assert told == [notices.FeedNotice("catch_up_failed")]
        release.set()


def _target_change(kind: str, target_ids, code: int = 0):
    from common.streaming.listen import Change

    return Change(kind, tuple(target_ids), cause="removed" if code else "")


def test_a_target_the_server_removes_is_added_again_and_keeps_delivering(stack):
    import queue

    from common.jobs import lease, payloads
    from common.streaming import feed as watch
    from common.streaming.notices import JobState
    from tests.test_pipeline import _job_without_deliveries

    job_id = _job_without_deliveries()
    run = lease.claim(job_id, "test-run", lease_s())
    feed, got = watch.EventFeed(), queue.SimpleQueue()
    with feed.subscribe(job_id, got.put):
        assert got.get(timeout=10).exists
        old_id = feed._targets[job_id].target_id
        feed._handle(_target_change("removed", [old_id], code=9))
        assert feed._targets[job_id].target_id != old_id  # watched again, under a new id
        run.log.append("status", payloads.status("analyzing", "after the removal", job_id))
        deadline = time.time() + 10
        while time.time() < deadline:
            msg = got.get(timeout=10)
            if isinstance(msg, JobState) and msg.last_seq == 2:
                break
        else:
            raise AssertionError("no change delivered after the target was removed")


def test_a_target_the_server_keeps_removing_ends_its_streams_with_a_timeout_frame(stack):
    from common.streaming import feed as watch
    from common.streaming import sse
    from tests.test_pipeline import _job_without_deliveries

    job_id = _job_without_deliveries()
    feed = watch.EventFeed()
    frames = sse.stream(feed, job_id, 0, heartbeat_s=30, max_s=60, retry_ms=100)
    assert next(frames).startswith("retry:")
    assert next(frames).startswith("id: 1")
    for _ in range(watch.TARGET_READDS + 1):
        feed._handle(_target_change("removed", [], code=9))  # no ids: every target of the stream
    last = next(frames)
    assert last.startswith("event: timeout") and "feed_lost" in last
    assert list(frames) == []


def test_current_with_no_target_ids_marks_every_acknowledged_unseen_job_missing_and_no_other(stack):
    import queue

    from common.streaming import feed as watch

    feed, got, pending = watch.EventFeed(), queue.SimpleQueue(), queue.SimpleQueue()
    feed._start = lambda: None  # no Listen stream: the server's messages are played by hand
    with feed.subscribe("3" * 32, got.put), feed.subscribe("4" * 32, got.put), feed.subscribe("5" * 32, pending.put):
        acked = [feed._targets[j].target_id for j in ("3" * 32, "4" * 32)]
        feed._handle(_target_change("added", acked))
        feed._handle(_target_change("current", []))
        assert [got.get(timeout=1).exists, got.get(timeout=1).exists] == [False, False]
        assert pending.empty()  # its ADD is still in flight: a global CURRENT says nothing of it yet


def test_the_compatibility_streams_background_run_logs_under_its_requests_id(api, stack, menu_photo):
    import json

    body = {"image_base64": base64.b64encode(menu_photo).decode(), "language": "en"}
    rid = "compat-" + "ab12" * 4
    with httpx.stream("POST", f"{api.base}/api/v1/scan/stream", json=body, headers={"X-Request-Id": rid},
                      timeout=60) as r:
        assert r.status_code == 200
        job_id = r.headers["x-job-id"]
        for line in r.iter_lines():
            if line.startswith("event: done"):
                break
    deadline = time.monotonic() + 10
    while True:  # the run logs "job completed" just after storing done: wait for the line, not a guess
        lines = [json.loads(line) for line in stack.log_path("scan-stream").read_text(errors="replace").splitlines()
                 if line.startswith("{") and job_id in line]
        run_lines = [e for e in lines if e.get("message") in ("claim", "menu read", "job completed")]
        if "job completed" in {e["message"] for e in run_lines} or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert {e["message"] for e in run_lines} >= {"claim", "job completed"}
    # The run's lines join the request's: the id the origin gave it, and the client's own beside it.
    assert {(e.get("request_id"), e.get("client_request_id")) for e in run_lines} == {(r.headers["x-request-id"], rid)}
