"""The event stream: replay after any id, live delivery, heartbeats, and the compatibility stream."""
from __future__ import annotations
from common.jobs import pages, store

import base64

import httpx

from tests.api import assert_well_formed, parse_sse
from tests.support import drain, eventually, job_without_deliveries, lease_s, listen_target_change, log_entries


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
    from tests.support import render_photo

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

    from common.jobs import lease, payloads
    from common.streaming.feed import EventFeed, JobState

    job_id = job_without_deliveries()
    run = lease.claim(job_id, "test-run", lease_s())
    assert run.outcome == "claimed"
    feed, got = EventFeed(reconnect_backoff_s=0.05), queue.SimpleQueue()
    with feed.subscribe(job_id, got.put):
        first = got.get(timeout=10)
        assert isinstance(first, JobState) and first.exists and first.last_seq == 1
        run.log.append("status", payloads.status("analyzing", "before the break", job_id))
        feed._rpc.close()  # the Listen stream dies, as on a network fault or server restart
        run.log.append("status", payloads.status("generating_images", "during the break", job_id))
        seen = {}

        def third_seen() -> bool:
            for msg in drain(got):
                for ev in (msg.tail if isinstance(msg, JobState) else msg):
                    seen[ev.seq] = ev.type
            return 3 in seen

        eventually(third_seen, timeout_s=10, what="event 3, appended while the Listen stream was down")
        assert feed.reconnects >= 1
        assert seen.get(3) == "status"


def test_a_jobs_first_event_is_stored_on_the_job_itself_and_read_back_with_the_pages(api, stack, menu_photo):
    from common.jobs import pages

    job_id, frames = api.scan(menu_photo)
    docs = list(pages.pages_after(job_id, 0).stream())
    assert min(p.get("first_seq") for p in docs) == 2  # create_job wrote one document: the job
    assert [e.seq for e in pages.read_after(job_id, 0)] == [f.id for f in frames if f.id is not None]
    assert [e.seq for e in pages.read_after(job_id, 1)][0] == 2


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
def test_catch_up_reads_past_the_feeds_queue_are_refused_at_once_not_queued(stack, monkeypatch):
    import queue
    import threading

    from common.streaming import feed as watch, notices

    monkeypatch.setattr(watch, "CATCH_UP_QUEUE", 1)
    release = threading.Event()
    monkeypatch.setattr(pages, "read_after", lambda job_id, after: (release.wait(10), [])[1])
    feed = watch.EventFeed()
    got = queue.SimpleQueue()
    with feed.subscribe("1" * 32, got.put) as a, feed.subscribe("2" * 32, got.put) as b:
        a.catch_up(0)
        b.catch_up(0)  # the queue is full: told at once
        told = eventually(lambda: [m for m in drain(got) if isinstance(m, notices.FeedNotice)], timeout_s=10,
                          what="a notice from the feed")
        assert told[:1] == [notices.FeedNotice("catch_up_failed")]
        release.set()


def test_a_target_the_server_removes_is_added_again_and_keeps_delivering(stack):
    import queue

    from common.jobs import lease, payloads
    from common.streaming import feed as watch
    from common.streaming.feed import JobState

    job_id = job_without_deliveries()
    run = lease.claim(job_id, "test-run", lease_s())
    feed, got = watch.EventFeed(), queue.SimpleQueue()
    with feed.subscribe(job_id, got.put):
        assert got.get(timeout=10).exists
        old_id = feed._targets[job_id].target_id
        feed._handle(listen_target_change("removed", [old_id], code=9))
        assert feed._targets[job_id].target_id != old_id  # watched again, under a new id
        run.log.append("status", payloads.status("analyzing", "after the removal", job_id))
        eventually(lambda: any(isinstance(m, JobState) and m.last_seq == 2 for m in drain(got)), timeout_s=10,
                   what="a change delivered after the target was removed")

def test_a_target_the_server_keeps_removing_ends_its_streams_with_a_timeout_frame(stack):
    from common.streaming import feed as watch, sse

    job_id = job_without_deliveries()
    feed = watch.EventFeed()
    frames = sse.stream(feed, job_id, 0, heartbeat_s=30, max_s=60, retry_ms=100)
    assert next(frames).startswith("retry:")
    assert next(frames).startswith("id: 1")
    for _ in range(watch.TARGET_READDS + 1):
        feed._handle(listen_target_change("removed", [], code=9))  # no ids: every target of the stream
    last = next(frames)
    assert last.startswith("event: timeout") and "feed_lost" in last
    assert list(frames) == []


def test_the_compatibility_streams_background_run_logs_under_its_requests_id(api, stack, menu_photo):
    body = {"image_base64": base64.b64encode(menu_photo).decode(), "language": "en"}
    rid = "compat-" + "ab12" * 4
    with httpx.stream("POST", f"{api.base}/api/v1/scan/stream", json=body, headers={"X-Request-Id": rid},
                      timeout=60) as r:
        assert r.status_code == 200
        job_id = r.headers["x-job-id"]
        for line in r.iter_lines():
            if line.startswith("event: done"):
                break
    def run_lines() -> list[dict]:  # the run logs "job completed" just after storing done: wait for the line
        lines = [e for e in log_entries(stack, "scan-stream", job_id)
                 if e.get("message") in ("claim", "menu read", "job completed")]
        return lines if "job completed" in {e["message"] for e in lines} else []

    run_lines = eventually(run_lines, timeout_s=10, what="the run's 'job completed' line")
    assert {e["message"] for e in run_lines} >= {"claim", "job completed"}
    # The run's lines join the request's: the id the origin gave it, and the client's own beside it.
    assert {(e.get("request_id"), e.get("client_request_id")) for e in run_lines} == {(r.headers["x-request-id"], rid)}
