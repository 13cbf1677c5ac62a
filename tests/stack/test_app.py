"""The shipped app against a stack with a deployment's default settings: /api/v1 as the app uses it,
/api/v2 as new clients must use it, and reads that a flood cannot make expensive.

The stack here sets no test-friendly value (leases, timeouts, rate limits, USER_AUTH are the
defaults a deploy gets); only the engine is the fake Gemini server, since nothing else can run here.
"""
from __future__ import annotations

import itertools
import os
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from devstack.stack import HOST, PROJECT, Stack
from tests.api import Api, assert_well_formed
from tests.app_client import EXPO_TOKEN, AppClient, phone_jpeg


@pytest.fixture(scope="module")
def deployed():
    base = int(os.environ.get("STACK_PORT_BASE", "8800")) + 200
    s = Stack(base_port=base, gemini_api_key="test-key", settings_from_environ=False)
    s.gemini_base_url = s.gemini_url
    s.start()
    yield s
    s.stop()


@pytest.fixture
def app(deployed) -> AppClient:
    deployed.reset()
    return AppClient(deployed.gateway_url, client_ip=_ip())


_PHONES = itertools.count(1)


def _ip() -> str:
    """A documentation address (RFC 3849) no other test of the session uses: one phone per test."""
    return f"2001:db8:{next(_PHONES):x}::1"


def _ids(frames) -> list[int]:
    return [f.id for f in frames if f.id is not None]


def test_the_app_scans_a_menu_end_to_end_leaving_and_resuming_as_it_really_does(app, deployed, menu_photo):
    signed = app.signed_url()
    put = app.upload(signed["upload_url"], phone_jpeg(menu_photo))
    assert put.status_code == 200, put.text  # GCS's signature check passes with Content-Type alone
    job_id = app.create_job(signed["gcs_uri"], "繁體中文", EXPO_TOKEN)

    # The app shows the menu, then goes to the background: it drops the connection after menu_data.
    first = app.events(job_id, leave_after="menu_data")
    assert first.ended == "left" and first.frames[-1].event == "menu_data"
    statuses = [f.data for f in first.frames if f.event == "status"]
    assert [s["step"] for s in statuses][:2] == ["uploading", "analyzing"]
    assert all(s["session_id"] == job_id for s in statuses)
    progress = [s["progress"] for s in statuses]
    assert progress == sorted(progress) and all(0 <= p <= 100 for p in progress)
    menu = first.frames[-1].data  # the first dish, streamed while the model still writes the rest
    assert menu["session_id"] == job_id and menu["is_partial"] is True and len(menu["items"]) >= 1
    first_item = menu["items"][0]
    assert first_item["translated_name"] == "日式炸雞"  # 繁體中文 reached the model as zh-TW
    assert first_item["reading"] == "からあげ" and first_item["romanji"] == "karaage"

    # Back from the background it reads the snapshot first, with no credentials.
    snap = app.snapshot(job_id)
    assert snap["status"] in ("running", "completed")  # the menu is in: no longer pending, not failed
    assert snap["items"] and snap["progress"] >= statuses[-1]["progress"]
    assert snap["is_partial"] is (len(snap["items"]) < 6)

    # Then resumes by query only, with the last id it saw.
    rest = app.events(job_id, last_event_id=first.last_id)
    assert rest.frames[-1].event == "done" and rest.frames[-1].data["status"] == "completed"
    ids = _ids(first.frames) + _ids(rest.frames)
    assert ids == list(range(1, len(ids) + 1))  # every event once, in order, across the two requests

    updates = [f.data for f in rest.frames if f.event == "image_update" and f.data["image_status"] != "generating"]
    assert len(updates) == 3 and all(u["image_status"] == "ready" for u in updates)
    for u in updates:
        assert job_id not in u["image_url"]
        img = httpx.get(u["image_url"], timeout=10)
        assert img.status_code == 200 and img.headers["content-type"] == "image/jpeg"
        assert img.content[:3] == b"\xff\xd8\xff"
    final = app.snapshot(job_id)
    assert final["status"] == "completed" and final["progress"] == 100
    assert [i["image_status"] for i in final["items"] if i["is_top3"]] == ["ready"] * 3

    # The job kept what the app sent: its language as written, and the push token for issue 14.
    doc = httpx.get(f"http://{HOST}:{deployed.ports.firestore}/v1/projects/{PROJECT}/databases/(default)/documents/"
                    f"scan_jobs/{job_id}", headers={"Authorization": "Bearer owner"}).json()["fields"]
    stored = tuple(doc[k]["stringValue"] for k in ("language", "language_requested", "push_token"))
    assert stored == ("zh-TW", "繁體中文", EXPO_TOKEN)


def test_the_legacy_start_scan_with_a_top_level_language_streams_the_whole_scan(app, menu_photo):
    reading = app.start_scan(phone_jpeg(menu_photo), language="日本語")
    kinds = [f.event for f in reading.frames]
    assert kinds[-1] == "done" and reading.frames[-1].data["status"] == "completed"
    assert kinds.count("image_update") == 6  # generating, then ready, for each of the three
    menu = next(f.data for f in reading.frames if f.event == "menu_data" and not f.data["is_partial"])
    assert menu["language"] == "ja"


@pytest.mark.parametrize("language", ["简体中文", "English", "한국어", "Klingon (tlhIngan Hol)", "", "ZH_tw"])
def test_any_language_the_app_sends_starts_a_job(app, deployed, menu_photo, language):
    signed = app.signed_url()
    assert app.upload(signed["upload_url"], phone_jpeg(menu_photo)).status_code == 200
    job_id = app.create_job(signed["gcs_uri"], language, push_token=None)
    done = app.events(job_id).frames[-1]
    assert done.event == "done" and done.data["status"] == "completed"
    asked = [r["language"] for r in httpx.get(f"{deployed.gemini_url}/_control/calls").json()["requests"]
             if r["kind"] == "menu"]
    expected = {"简体中文": "zh-CN", "English": "en", "한국어": "ko", "": "zh-TW", "ZH_tw": "zh-TW"}
    assert asked == [expected.get(language, language)]  # unknown text reaches Gemini as written


def test_an_upload_the_server_would_refuse_is_refused_by_the_signature_check_too(app, menu_photo):
    signed = app.signed_url()
    r = httpx.put(signed["upload_url"], content=phone_jpeg(menu_photo), headers={"Content-Type": "image/png"})
    assert r.status_code == 403 and b"<Code>SignatureDoesNotMatch</Code>" in r.content


# -- v2 --------------------------------------------------------------------------------------------
def test_v2_runs_the_same_scan_with_its_token_and_a_signed_size_range(deployed, menu_photo):
    api = Api(deployed, "v2")
    signed = api.signed_url()
    assert set(signed["headers"]) == {"Content-Type", "x-goog-content-length-range"}
    api.put(signed, phone_jpeg(menu_photo))
    r = api.create_job(signed["gcs_uri"], "ja-jp")
    assert r.status_code == 201 and r.json()["language"] == "ja-JP"
    assert r.json()["events_url"] == f"/api/v2/scan/jobs/{r.json()['job_id']}/events"
    frames = api.events(r.json()["job_id"])
    assert_well_formed(frames)
    assert frames[-1].data["status"] == "completed"
    assert api.snapshot(r.json()["job_id"])["status"] == "completed"


def test_v2_refuses_what_v1_accepts(app, deployed, menu_photo):
    v2 = Api(deployed, "v2")
    # The app's upload: v2's URL signs the size range, which a PUT with Content-Type alone lacks.
    signed = v2.signed_url()
    r = app.upload(signed["upload_url"], phone_jpeg(menu_photo))
    assert r.status_code == 403 and b"SignatureDoesNotMatch" in r.content
    # A display name for a language: a 400 naming the accepted forms.
    gcs_uri = v2.upload(phone_jpeg(menu_photo))
    r = v2.create_job(gcs_uri, "繁體中文")
    assert r.status_code == 400 and r.json()["error"]["code"] == "INVALID_LANGUAGE"
    assert "BCP-47" in r.json()["error"]["message"] and "zh-TW" in r.json()["error"]["message"]
    # Reads without a credential: 401, for a v1 job too.
    v1_job = app.create_job(gcs_uri, "繁體中文")
    for path in (f"/api/v2/scan/jobs/{v1_job}", f"/api/v2/scan/jobs/{v1_job}/events"):
        r = v2.http.get(path)
        assert r.status_code == 401 and r.json()["error"]["code"] == "ACCESS_TOKEN_REQUIRED"


# -- reads are rate-limited ------------------------------------------------------------------------
def test_a_caller_probing_for_job_ids_is_stopped_after_a_few_misses_yet_still_reads_its_own_job(app, deployed,
                                                                                                  menu_photo):
    prober = AppClient(deployed.gateway_url, client_ip=_ip())
    signed = prober.signed_url()
    prober.upload(signed["upload_url"], phone_jpeg(menu_photo))
    own = prober.create_job(signed["gcs_uri"])
    answers = [prober.http.get(f"{deployed.gateway_url}/api/v1/scan/jobs/{uuid.uuid4().hex}",
                               headers=prober._edge).status_code for _ in range(15)]
    assert answers[:10] == [404] * 10 and set(answers[10:]) == {429}
    r = prober.http.get(f"{deployed.gateway_url}/api/v1/scan/jobs/{uuid.uuid4().hex}/events", headers=prober._edge)
    assert r.status_code == 429 and int(r.headers["retry-after"]) >= 1
    assert r.json()["error"]["code"] == "RATE_LIMITED"
    # A phone behind the same carrier address still reads the job it holds; another address guesses on.
    assert prober.snapshot(own)["job_id"] == own
    other = app.http.get(f"{deployed.gateway_url}/api/v1/scan/jobs/{uuid.uuid4().hex}", headers=app._edge)
    assert other.status_code == 404


def test_a_flood_of_reads_of_one_job_is_refused_past_the_burst_with_retry_after(app, menu_photo):
    signed = app.signed_url()
    app.upload(signed["upload_url"], phone_jpeg(menu_photo))
    job_id = app.create_job(signed["gcs_uri"])
    from common.core.sections import LimitSettings

    limits = LimitSettings()  # the deployed defaults
    burst, per_s = limits.rate_read_burst, limits.rate_read_per_min / 60
    reads = 2 * burst
    t0 = time.monotonic()
    with ThreadPoolExecutor(16) as pool:
        answers = list(pool.map(lambda _: app.http.get(f"{app.base}/api/v1/scan/jobs/{job_id}", headers=app._edge),
                                range(reads)))
    elapsed = time.monotonic() - t0
    codes = [r.status_code for r in answers]
    # A burst, refilled at its rate while the flood lasts: each read takes its token before it reads, so
    # the 16 reads in flight at once cannot pass the limit together.
    assert burst <= codes.count(200) <= burst + per_s * elapsed + 1
    assert codes.count(429) == reads - codes.count(200)
    refused = next(r for r in answers if r.status_code == 429)
    assert int(refused.headers["retry-after"]) >= 1 and refused.json()["error"]["code"] == "RATE_LIMITED"


def test_an_idle_stream_speaks_before_the_app_would_give_up_on_it_and_start_polling(app):
    signed = app.signed_url()  # never uploaded: the job waits, and its stream has nothing to say
    job_id = app.create_job(signed["gcs_uri"])
    url = f"{app.base}/api/v1/scan/jobs/{job_id}/events"
    with app.http.stream("GET", url, headers={"Accept": "text/event-stream", **app._edge}) as r:
        last, gaps = time.monotonic(), []
        for line in r.iter_lines():
            now = time.monotonic()
            if line:
                gaps.append(now - last)
                last = now
            if line.startswith("event: heartbeat"):
                break
    assert max(gaps) < 15, gaps  # the app polls the snapshot after 15 s without a byte
