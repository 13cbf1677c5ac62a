"""The scan pipeline end to end on the local stack: one run per job, whatever the deliveries."""
from __future__ import annotations
from common.core import clock
from common.jobs import fence, store

import itertools
import re
import threading
import uuid

import httpx
import pytest

from tests.api import assert_well_formed
from tests.support import age_job, consistently, eventually, expire_lease, job_without_deliveries, lease_s, log_entries, make_job


def test_a_photo_uploaded_by_signed_url_streams_status_menu_three_images_and_done(api, menu_photo):
    job_id, frames = api.scan(menu_photo)

    assert_well_formed(frames)
    assert [f.id for f in frames] == list(range(1, len(frames) + 1))
    kinds = [f.event for f in frames]
    # The streamed menu: a partial one with the first dish as soon as the model wrote it (with a
    # status that moves the progress bar on), then the whole menu; drawing starts ("generating")
    # with it, and no status follows a menu (the order).
    assert kinds == ["status"] * 3 + ["menu_data", "menu_data"] + ["image_update"] * 6 + ["done"]
    assert [f.data["step"] for f in frames[:3]] == ["uploading", "analyzing", "analyzing"]
    # The app's extras: a progress bar that only grows, and the session on every status.
    progress = [f.data["progress"] for f in frames[:3]]
    assert progress == sorted(set(progress)) and 0 < progress[0] and progress[-1] < 100
    assert all(f.data["session_id"] == job_id for f in frames[:3])
    partial = frames[3].data
    assert partial["is_partial"] is True and [i["original_name"] for i in partial["items"]] == ["唐揚げ"]
    assert partial["items"][0]["id"] == "item-1" and partial["items"][0]["image_status"] == "none"
    assert frames[4].data["is_partial"] is False
    assert [f.data["image_status"] for f in frames[5:8]] == ["generating"] * 3
    frames_menu = frames[4]
    menu = frames_menu.data
    assert menu["session_id"] == job_id
    top3 = [i for i in menu["items"] if i["is_top3"]]
    assert len(top3) == 3 and all(i["image_status"] == "pending" for i in top3)
    assert all(i["image_status"] == "none" for i in menu["items"] if not i["is_top3"])
    first = menu["items"][0]
    assert first["original_name"] == "唐揚げ" and first["translated_name"] == "日式炸雞"
    assert (first["reading"], first["romanji"]) == ("からあげ", "karaage")  # a Japanese dish, read aloud
    assert menu["language"] == "zh-TW" and "language_fallback" not in menu
    for key in ("id", "description", "tags", "image_prompt", "price"):
        assert key in first
    assert [(i["kind"], i["price_value"], i["currency"]) for i in menu["items"]][::5] == [
        ("dish", 680, "JPY"), ("drink", 600, "JPY")]
    done = frames[-1].data
    assert done["status"] == "completed" and done["summary"]["items_count"] == 6
    assert {"elapsed_ms", "used_cache", "used_fallback", "unknown_items_count"} <= set(done["summary"])
    # What the scan cost: the menu and the pictures apart, thinking apart, and the list price of each.
    summary = done["summary"]
    assert summary["incomplete"] is False
    menu_tokens, picture_tokens = summary["tokens"]["menu"], summary["tokens"]["images"]
    assert menu_tokens["prompt"] >= 1120 and menu_tokens["output"] > 0 and menu_tokens["thinking"] == 600
    assert picture_tokens["image"] == 3 * 1120
    assert 0 < summary["cost_usd"]["menu"] < summary["cost_usd"]["images"]
    assert summary["cost_usd"]["total"] == round(summary["cost_usd"]["menu"] + summary["cost_usd"]["images"], 6)

    updates = [f.data for f in frames if f.event == "image_update" and f.data["image_status"] != "generating"]
    assert len(updates) == 3 and {u["item_id"] for u in updates} == {i["id"] for i in top3}
    asset_ids = set()
    for u in updates:
        assert u["image_status"] == "ready" and u["image_kind"] == "illustration"  # drawn, and said so
        # An asset id of the images' own: a published image URL must not hand out the job's id.
        m = re.fullmatch(rf"{re.escape(api.base)}/assets/gen/([0-9a-f]{{32}})/{u['item_id']}\.jpg", u["image_url"])
        assert m and m.group(1) != job_id and job_id not in u["image_url"]
        asset_ids.add(m.group(1))
        img = httpx.get(u["image_url"])
        assert img.status_code == 200
        assert img.headers["content-type"] == "image/jpeg"
        assert img.headers["cache-control"] == "public, max-age=31536000, immutable"
        assert img.content[:3] == b"\xff\xd8\xff"

    assert len(asset_ids) == 1
    snap = api.snapshot(job_id)
    assert snap["status"] == "completed" and snap["job_id"] == job_id and snap["progress"] == 100
    assert [i["image_status"] for i in snap["items"] if i["is_top3"]] == ["ready"] * 3
    assert snap["created_at"].endswith("Z") and snap["updated_at"] >= snap["created_at"]


def test_the_model_receives_the_photo_as_a_jpeg_and_is_called_once_per_menu_and_per_top3_dish(api, menu_photo):
    api.scan(menu_photo)
    calls = api.gemini_calls()
    assert calls["calls"] == {"menu": 1, "image": 3}
    menu_req = next(r for r in calls["requests"] if r["kind"] == "menu")
    assert menu_req["images"] and menu_req["images"][0]["jpeg"]


def _finalize_delivered(stack, gcs_uri: str, timeout_s: float = 30) -> None:
    """Wait until the upload's finalize event has been delivered and answered (its run is over)."""
    name = gcs_uri[5:].partition("/")[2]
    eventually(lambda: f"delivered {name}" in stack.log_path("relay").read_text(errors="replace"),
               timeout_s=timeout_s, what="the finalize event's delivery")


def _task_settled(stack, job_id: str, timeout_s: float = 30) -> None:
    """Wait until the job's own Cloud Task has been answered with its final outcome (2xx)."""
    eventually(lambda: any(e.get("message") in ("job completed", "job failed") or
                           (e.get("message") == "claim" and e.get("outcome") == "finished")
                           for e in log_entries(stack, "run-scan-task", job_id)),
               timeout_s=timeout_s, what="the job's task to settle")


def _task_delivered(stack, job_id: str, times: int = 1) -> None:
    """Wait until the job's own Cloud Task has been delivered `times` times (each one logs its claim)."""
    eventually(lambda: stack.log_path("run-scan-task").read_text(errors="replace").count(f'"job_id": "{job_id}"')
               >= times, what=f"{times} deliveries of the job's task")


def test_an_upload_finalized_before_its_job_exists_runs_exactly_once(api, stack, menu_photo):
    gcs_uri = api.upload(menu_photo)
    _finalize_delivered(stack, gcs_uri)  # it found no job: it must not run or fail anything
    job_id = api.job(gcs_uri)
    frames = api.events(job_id)
    assert_well_formed(frames)
    assert frames[-1].data["status"] == "completed"
    _task_settled(stack, job_id)  # every delivery of the job is over: no second run can still start
    assert api.gemini_calls()["calls"]["menu"] == 1
    assert api.events(job_id, after=0)[-1].id == frames[-1].id


def test_a_job_created_before_its_upload_arrives_waits_and_runs_exactly_once_saying_analyzing_once(api, stack,
                                                                                                     menu_photo):
    signed = api.signed_url()
    job_id = api.job(signed["gcs_uri"])
    _task_delivered(stack, job_id, 4)  # task deliveries find no object and back off without failing the job
    assert api.snapshot(job_id)["status"] == "pending"
    api.put(signed, menu_photo)
    frames = api.events(job_id)
    assert_well_formed(frames)
    assert frames[-1].data["status"] == "completed"
    # Each delivery that found no photo claimed and released the job; only the first stored a status.
    # `analyzing` from the claim once, whatever the deliveries; then the dishes being read (progress).
    assert [(f.data["step"], f.data["progress"]) for f in frames if f.event == "status"] == \
        [("uploading", 5), ("analyzing", 20), ("analyzing", 40)]
    _finalize_delivered(stack, signed["gcs_uri"])
    _task_settled(stack, job_id)
    assert api.gemini_calls()["calls"]["menu"] == 1


def test_a_job_whose_upload_never_arrives_fails_with_upload_not_found_instead_of_hanging(api):
    job_id = api.job(api.signed_url()["gcs_uri"])
    frames = api.events(job_id, timeout=30)
    assert_well_formed(frames)
    assert frames[-2].event == "error" and frames[-2].data["code"] == "UPLOAD_NOT_FOUND"
    assert frames[-1].data["status"] == "failed"


@pytest.mark.parametrize("deliveries", [2, 3, 5, 10])
def test_concurrent_duplicate_deliveries_through_both_triggers_cause_one_model_call_and_one_sequence(
        api, stack, menu_photo, deliveries, campaign):
    api.script("menu", {"delay_s": 0.5})
    gcs_uri = api.upload(menu_photo)
    job_id = api.job(gcs_uri)
    results = []
    tasks = [threading.Thread(target=lambda: results.append(api.deliver_task(job_id).status_code))
             for _ in range(deliveries - deliveries // 2)]
    finals = [threading.Thread(target=lambda n=n: results.append(api.deliver_finalize(gcs_uri, f"dup-{n}").status_code))
              for n in range(deliveries // 2)]
    for t in tasks + finals:
        t.start()
    for t in tasks + finals:
        t.join()
    frames = api.events(job_id)
    assert_well_formed(frames)
    assert frames[-1].data["status"] == "completed"
    _task_settled(stack, job_id)  # the queue's own delivery too: the whole run, not a moment of it
    assert api.gemini_calls()["calls"] == {"menu": 1, "image": 3}
    assert set(results) <= {200, 503}
    campaign.count("duplicate deliveries", deliveries)


def test_a_run_that_dies_mid_job_is_taken_over_after_its_lease_and_the_sequence_continues(api, stack, menu_photo):
    from common.core.errors import LeaseLost
    from common.jobs import lease, payloads

    signed = api.signed_url()
    job_id = api.job(signed["gcs_uri"])
    ghost = lease.claim(job_id, "ghost-run", lease_s())  # a run that starts, writes one event, then dies
    if ghost.outcome != "claimed":  # a task delivery may have claimed first while the upload was missing
        expire_lease(job_id)
        ghost = lease.claim(job_id, "ghost-run", lease_s())
    assert ghost.outcome == "claimed"
    ghost.log.append("status", payloads.status("analyzing", "Reading the menu", job_id))
    expire_lease(job_id)  # the ghost is dead: its lease runs out
    api.put(signed, menu_photo)

    frames = api.events(job_id, timeout=60)
    assert_well_formed(frames)
    assert [f.id for f in frames] == list(range(1, len(frames) + 1))
    assert frames[1].data["step"] == "analyzing" and frames[-1].data["status"] == "completed"
    assert api.gemini_calls()["calls"]["menu"] == 1
    # The dead run wakes up: its writes are refused, the sequence is not forked.
    try:
        ghost.log.append("status", payloads.status("analyzing", "late", job_id))
        raise AssertionError("a run that lost its lease could still append")
    except LeaseLost:
        pass
    assert api.events(job_id, after=0)[-1].id == frames[-1].id


def test_a_second_scan_of_the_same_photo_and_language_is_served_from_the_cache(api, menu_photo):
    _, first = api.scan(menu_photo)
    _, second = api.scan(menu_photo)
    assert first[-1].data["summary"]["used_cache"] is False
    assert second[-1].data["summary"]["used_cache"] is True
    assert api.gemini_calls()["calls"] == {"menu": 1, "image": 3}
    urls = [f.data["image_url"] for f in second if f.event == "image_update"]
    assert len(urls) == 3 and all(httpx.get(u).status_code == 200 for u in urls)  # cached: nothing to generate


def test_concurrent_claims_of_one_job_give_exactly_one_owner_and_the_rest_are_told_busy(stack):
    from common.jobs import lease

    for _ in range(5):
        job = make_job("gs://menu-uploads/uploads/0123456789abcdef0123456789abcdef.jpg")
        outcomes, errors = [], []

        def claim(n):
            try:
                outcomes.append(lease.claim(job.job_id, f"owner-{n}", lease_s()).outcome)
            except Exception as exc:  # noqa: BLE001 - any exception here is the failure under test
                errors.append(repr(exc))

        threads = [threading.Thread(target=claim, args=(n,)) for n in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == []
        assert sorted(outcomes) == ["busy"] * 7 + ["claimed"]


def _finalize_delivery(api, gcs_uri: str, job_id: str, time_created: str):
    """Each call delivers the upload's finalize event once more, and answers the job's finalize claims so far.

    The job's own task claims and releases it every half second while the upload is missing; a
    finalize landing inside such a claim finds no pending job, so the event is delivered repeatedly.
    """
    sent = itertools.count()

    def deliver() -> list[dict]:
        assert api.deliver_finalize(gcs_uri, f"fin-{next(sent)}", time_created).status_code == 200
        return [e for e in log_entries(api.stack, "run-scan-finalize", job_id)
                if e.get("job_id") == job_id and e.get("message") == "claim"]

    return deliver


def test_a_finalize_event_runs_a_job_created_before_its_upload_and_leaves_a_later_job_to_its_task(api, stack):
    import datetime as dt

    gcs_uri = api.signed_url()["gcs_uri"]  # never uploaded: the job stays pending, released by its task
    job_id = api.job(gcs_uri)
    _task_delivered(stack, job_id)
    older = (dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=5)).isoformat()
    deliver = _finalize_delivery(api, gcs_uri, job_id, older)  # upload older than the job: the task's
    consistently(lambda: deliver() == [], for_s=1.0, every_s=0.2, what="no finalize delivery claims the job")
    newer = (dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=1)).isoformat().replace("+00:00", "Z")
    claims = eventually(_finalize_delivery(api, gcs_uri, job_id, newer), every_s=0.2, what="a finalize claim")
    assert claims and {c["trigger"] for c in claims} == {"finalize"}


def test_a_finalize_event_without_a_readable_time_still_looks_for_waiting_jobs(api, stack):
    gcs_uri = api.signed_url()["gcs_uri"]
    job_id = api.job(gcs_uri)
    _task_delivered(stack, job_id)
    assert eventually(_finalize_delivery(api, gcs_uri, job_id, "not a time"), every_s=0.2, what="a finalize claim")


def test_a_renewed_lease_keeps_other_deliveries_out_and_a_stale_renewal_does_not(stack):
    import datetime as dt

    from common.gcp import db
    from common.jobs import lease

    job_id = job_without_deliveries()
    owner = lease.claim(job_id, "slow-run", lease_s())
    assert owner.outcome == "claimed"
    owner.lease.renew()
    expire_lease(job_id, renewals=False)  # past the term the claim wrote on the job: only the renewal is left
    assert lease.claim(job_id, "intruder", lease_s()).outcome == "busy"
    expire_lease(job_id)  # renewals stop, as when the run dies: the job can be taken over
    assert lease.claim(job_id, "taker", lease_s()).outcome == "claimed"
    # The old run wakes up and renews for a long time: that must not lock anyone out once the
    # new owner's own lease has ended.
    db.client().collection(lease.LEASES).document(job_id).set(
        {"owner": "slow-run", "expires_at": clock.now() + dt.timedelta(minutes=5)})
    expire_lease(job_id)  # the new owner's lease ends; the stale renewal names another run and stays
    assert lease.claim(job_id, "third", lease_s()).outcome == "claimed"


def test_a_run_that_lost_its_job_can_no_longer_renew_nor_hide_the_new_owners_lease(stack):
    from common.core.errors import LeaseLost
    from common.gcp import db
    from common.jobs import lease

    job_id = job_without_deliveries()
    old = lease.claim(job_id, "old-run", lease_s())
    old.lease.renew()
    leases = db.client().collection(lease.LEASES).document(job_id)
    assert leases.get().get("owner") == "old-run"
    expire_lease(job_id)  # the old run stalls past its lease; another delivery takes the job over
    new = lease.claim(job_id, "new-run", lease_s())
    assert new.outcome == "claimed"
    new.lease.renew()
    assert leases.get().get("owner") == "new-run"
    with pytest.raises(LeaseLost):
        old.lease.renew()  # it wakes up: refused, and the new owner's renewal stands
    assert leases.get().get("owner") == "new-run"
    assert lease.claim(job_id, "third", lease_s()).outcome == "busy"


# -- never stuck, never failed for an outage ---------------------------------------------------------
def _uploaded_job(api, photo: bytes) -> str:
    """A job whose photo is uploaded and that no delivery will touch: created after its upload (the
    finalize event leaves such a job to its task) and with no task queued."""

    signed = api.signed_url()
    api.put(signed, photo)
    bucket, _, name = signed["gcs_uri"][5:].partition("/")
    job = make_job(signed["gcs_uri"])
    return job.job_id


def _stored_events(job_id: str) -> list:
    from common.jobs import pages

    return pages.read_after(job_id, 0)


def test_a_storage_outage_gives_the_job_back_and_never_fails_it_as_not_uploaded(stack, monkeypatch):
    import datetime as dt

    from common.core.errors import Unavailable
    from common.gcp import db, storage
    from common.scan import run as pipeline

    job_id = job_without_deliveries()
    # Older than UPLOAD_WAIT_S: a missing upload would end it as UPLOAD_NOT_FOUND now.
    db.client().collection(store.JOBS).document(job_id).update(
        {"created_at": clock.now() - dt.timedelta(hours=1)})

    def outage(bucket, name):
        raise Unavailable("storage unavailable: 503", code="STORAGE_UNAVAILABLE")

    monkeypatch.setattr(storage, "read_upload", outage)
    assert pipeline.run_job(job_id, "test") == "waiting"
    job = db.client().collection(store.JOBS).document(job_id).get().to_dict()
    assert job["status"] == "pending" and job.get("error") is None
    assert [e.type for e in _stored_events(job_id)] == ["status", "status"]


def test_an_upload_landing_while_a_delivery_holds_the_job_is_run_at_once(api, stack, menu_photo, monkeypatch):
    from common.core.errors import Unavailable
    from common.gcp import storage
    from common.scan import run as pipeline
    from devstack.stack import UPLOAD_BUCKET

    # Outside the uploads prefix: no finalize event runs the job, so only this delivery can.
    name = f"stale/{uuid.uuid4().hex}.jpg"
    job = make_job(f"gs://{UPLOAD_BUCKET}/{name}")
    real = storage.read_upload
    looks = []

    def late(bucket_, name_):
        looks.append(name_)
        if len(looks) == 1:  # the first look misses; the photo lands while the job is still held
            httpx.post(f"http://127.0.0.1:{stack.ports.gcs}/upload/storage/v1/b/{UPLOAD_BUCKET}/o",
                       params={"uploadType": "media", "name": name}, content=menu_photo,
                       headers={"Content-Type": "image/jpeg"}).raise_for_status()
            raise Unavailable("not yet", code="UPLOAD_PENDING")
        return real(bucket_, name_)

    monkeypatch.setattr(storage, "read_upload", late)
    assert pipeline.run_job(job.job_id, "task") == "completed"
    assert len(looks) == 2
    stored = _stored_events(job.job_id)
    assert [e.seq for e in stored] == list(range(1, len(stored) + 1)) and stored[-1].type == "done"
    # The claim's `analyzing` once (a second one, at 40, comes with the first partial menu).
    assert [(e.data.get("step"), e.data.get("progress")) for e in stored if e.type == "status"].count(
        ("analyzing", 20)) == 1


def _flaky_done(monkeypatch, plan: list[str]):
    """Firestore failing the commit that holds done as `plan` says: 'lost' (not applied), 'applied'
    (applied, then reported failed: the answer was lost in transit), 'ok'."""
    from google.api_core import exceptions as gexc
    from google.cloud.firestore_v1 import batch as fbatch


    real = fbatch.WriteBatch.commit
    monkeypatch.setattr(fence, "COMMIT_RETRY_DELAYS_S", (0.01, 0.01, 0.01))

    def holds_done(batch) -> bool:
        tails = [w._pb.update.fields["tail"].string_value for w in batch._write_pbs
                 if "tail" in w._pb.update.fields]
        return any('"done"' in t for t in tails)

    def commit(self, *args, **kwargs):
        if not plan or not holds_done(self):
            return real(self, *args, **kwargs)
        step = plan.pop(0)
        if step == "applied":
            real(self, *args, **kwargs)
        if step in ("lost", "applied"):
            raise gexc.ServiceUnavailable("connection reset")
        return real(self, *args, **kwargs)

    monkeypatch.setattr(fbatch.WriteBatch, "commit", commit)


@pytest.mark.parametrize("plan", [["lost", "lost", "ok"], ["applied"], ["lost", "applied"]])
def test_a_failure_whose_recording_hits_store_faults_is_recorded_exactly_once(api, stack, menu_photo, monkeypatch,
                                                                                plan):
    from common.scan import run as pipeline

    job_id = _uploaded_job(api, menu_photo)
    api.script("menu", {"not_menu": True})
    _flaky_done(monkeypatch, plan)
    assert pipeline.run_job(job_id, "task") == "failed"
    stored = _stored_events(job_id)
    assert [e.seq for e in stored] == list(range(1, len(stored) + 1))
    assert [e.type for e in stored][-2:] == ["error", "done"] and [e.type for e in stored].count("done") == 1
    assert api.gemini_calls()["calls"]["menu"] == 1


def test_a_failure_that_cannot_be_recorded_is_recorded_by_the_next_delivery_without_a_second_scan(
        api, stack, menu_photo, monkeypatch):
    from common.gcp import db
    from common.scan import run as pipeline

    job_id = _uploaded_job(api, menu_photo)
    api.script("menu", {"not_menu": True})
    _flaky_done(monkeypatch, ["lost"] * 4)
    assert pipeline.run_job(job_id, "task") == "busy"
    job = db.client().collection(store.JOBS).document(job_id).get().to_dict()
    assert job["status"] == "pending" and job["fail_with"]["code"] == "IMAGE_NOT_MENU"
    monkeypatch.undo()
    assert pipeline.run_job(job_id, "task") == "failed"
    stored = _stored_events(job_id)
    assert [e.type for e in stored][-2:] == ["error", "done"] and stored[-2].data["code"] == "IMAGE_NOT_MENU"
    assert api.gemini_calls()["calls"]["menu"] == 1  # the verdict was kept, not scanned for again


# -- the watchdog -----------------------------------------------------------------------------------
def test_a_job_nothing_runs_is_ended_by_the_scheduled_watchdog_and_its_viewer_sees_error_and_done(api, stack):
    job_id = job_without_deliveries()  # no task queued and no upload: nothing would ever run it
    age_job(job_id, 600)  # past JOB_OVERDUE_S (300 s here)
    frames = api.events(job_id, timeout=30)  # the local scheduler sweeps every 5 s here
    assert_well_formed(frames)
    assert (frames[-2].event, frames[-2].data["code"], frames[-2].data["recoverable"]) == \
        ("error", "UPLOAD_NOT_FOUND", False)  # as when the upload wait runs out: take another photo
    assert frames[-1].data["status"] == "failed"
    assert api.snapshot(job_id)["status"] == "failed"


def test_the_watchdog_ends_an_overdue_job_with_its_photo_as_expired_and_leaves_a_live_run_alone(api, stack,
                                                                                                 menu_photo):
    from common.gcp import db
    from common.jobs import lease, store
    from devstack.stack import UPLOAD_BUCKET

    # Its photo is there, outside the uploads prefix, so no finalize event runs the job before the watchdog.
    name = f"stale/{uuid.uuid4().hex}.jpg"
    httpx.post(f"http://127.0.0.1:{stack.ports.gcs}/upload/storage/v1/b/{UPLOAD_BUCKET}/o",
               params={"uploadType": "media", "name": name}, content=menu_photo,
               headers={"Content-Type": "image/jpeg"}).raise_for_status()
    job = make_job(f"gs://{UPLOAD_BUCKET}/{name}")
    expired = job.job_id

    live = job_without_deliveries()
    run = lease.claim(live, "live-run", lease_s())
    assert run.outcome == "claimed"
    with run.lease.kept(0.5):  # a long run, its lease kept alive by renewals (LEASE_S is 3 here)
        for job_id in (expired, live):
            age_job(job_id, 600)
        eventually(lambda: (db.client().collection(lease.LEASES).document(live).get().to_dict() or {}).get("owner")
                   == "live-run", what="the keeper's first renewal")
        expire_lease(live, renewals=False)  # past the term the claim wrote: only the renewals keep it alive now
        r = httpx.post(stack.function_url("run-scan-watchdog") + "/", json={}, headers=api.internal())
        assert r.status_code == 200, r.text
        assert db.client().collection(store.JOBS).document(live).get().get("status") == "running"
    stored = _stored_events(expired)  # ended by our sweep, or by a scheduled one a moment before
    assert [e.type for e in stored][-2:] == ["error", "done"] and stored[-2].data["code"] == "JOB_EXPIRED"
    r = httpx.post(stack.function_url("run-scan-watchdog") + "/", json={})
    assert r.status_code == 401  # private: Cloud Scheduler's token (locally the shared secret) only


def test_a_commit_applied_but_unreported_is_not_taken_for_ours_once_another_run_took_the_job(stack, monkeypatch):
    from google.api_core import exceptions as gexc
    from google.cloud.firestore_v1 import batch as fbatch

    from common.core.errors import LeaseLost
    from common.gcp import db
    from common.jobs import lease, payloads, store

    job_id = job_without_deliveries()
    old = lease.claim(job_id, "old-run", lease_s())
    real = fbatch.WriteBatch.commit
    monkeypatch.setattr(fence, "COMMIT_RETRY_DELAYS_S", (0.01, 0.01))
    taken = []

    def commit(self, *args, **kwargs):
        result = real(self, *args, **kwargs)
        if not taken:  # our append landed; its answer is lost, and the lease runs out meanwhile
            taken.append(True)
            expire_lease(job_id)
            assert lease.claim(job_id, "new-run", lease_s()).outcome == "claimed"
            raise gexc.ServiceUnavailable("connection reset")
        return result

    monkeypatch.setattr(fbatch.WriteBatch, "commit", commit)
    with pytest.raises(LeaseLost):
        old.log.append("status", payloads.status("analyzing", "old run", job_id))
    monkeypatch.undo()
    job = db.client().collection(store.JOBS).document(job_id).get().to_dict()
    assert job["lease_owner"] == "new-run"
