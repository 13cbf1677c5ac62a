"""Progressive results: the streamed menu call, partial menus, the job's time budget, fallback models.

The fake Gemini streams its answer as streamGenerateContent does (SSE over chunked transfer), at a
token rate the test sets, and can cut the connection, stall, or end early; the real google-genai
client reads it.
"""
from __future__ import annotations
from common.core import clock
from common.jobs import store

import threading

import httpx
import pytest

from tests.api import assert_well_formed
from tests.support import age_job, eventually, expire_lease, job_without_deliveries, lease_s

LONG_MENU = 40


def _control(stack, what: str, body: dict) -> None:
    httpx.post(f"{stack.gemini_url}/_control/{what}", json=body).raise_for_status()


def _menus(frames) -> tuple[list[dict], list[dict]]:
    menus = [f.data for f in frames if f.event == "menu_data"]
    return [m for m in menus if m["is_partial"]], [m for m in menus if not m["is_partial"]]


def _long_menu_streaming(stack, tokens_per_s: float = 1100) -> None:
    """40 dishes (about 4,400 output tokens): about 4 s of streaming at 1,100 tokens a second."""
    _control(stack, "menu", {"items": LONG_MENU})
    _control(stack, "stream", {"tokens_per_s": tokens_per_s, "chunk_tokens": 20})


def _assert_partials_lead_to(partials: list[dict], final: dict) -> None:
    """Each partial: the items so far (ids item-1..n, no top-3 yet), each one longer than the last."""
    counts = [len(p["items"]) for p in partials]
    assert counts == sorted(set(counts)), counts  # never the same items twice
    names = [i["original_name"] for i in final["items"]]
    for p in partials:
        assert [i["id"] for i in p["items"]] == [f"item-{k + 1}" for k in range(len(p["items"]))]
        assert [i["original_name"] for i in p["items"]] == names[:len(p["items"])]
        assert not any(i["is_top3"] for i in p["items"]) and {i["image_status"] for i in p["items"]} == {"none"}


# -- partial menus -------------------------------------------------------------------------------------
def test_a_long_menu_reaches_the_phone_in_three_growing_partials_then_whole_with_top3(api, stack, menu_photo):
    _long_menu_streaming(stack)
    job_id, frames = api.scan(menu_photo)
    assert_well_formed(frames)
    partials, finals = _menus(frames)
    assert len(finals) == 1 and len(finals[0]["items"]) == LONG_MENU
    # MENU_PARTIAL_MAX (3): the first dish at once, then one per 10 new dishes, at most once a second.
    assert len(partials) == 3 and len(partials[0]["items"]) < 10
    counts = [len(p["items"]) for p in partials]
    assert all(b - a >= 10 for a, b in zip(counts, counts[1:])), counts
    _assert_partials_lead_to(partials, finals[0])
    assert sum(i["is_top3"] for i in finals[0]["items"]) == 3
    # No status after a menu (the order): "generating" image updates say drawing started.
    kinds = [f.event for f in frames]
    assert "status" not in kinds[kinds.index("menu_data"):]
    assert [f.data["image_status"] for f in frames if f.event == "image_update"][:3] == ["generating"] * 3


def test_partials_cost_one_write_each_and_every_event_is_on_a_page_once_the_menu_is_in(api, stack, menu_photo):
    from common.gcp import db
    from common.jobs import pages, store

    _long_menu_streaming(stack)
    job_id, frames = api.scan(menu_photo)
    partial_ids = [f.id for f in frames if f.event == "menu_data" and f.data["is_partial"]]
    final_id = next(f.id for f in frames if f.event == "menu_data" and not f.data["is_partial"])
    docs = [p.to_dict() for p in pages.pages_after(job_id, 0).stream()]
    firsts = sorted(p["first_seq"] for p in docs)
    # The partials have no page of their own: they went on the page of the menu that followed them.
    assert len(partial_ids) == 3 and not set(partial_ids[1:]) & set(firsts)
    holder = next(p for p in docs if p["first_seq"] <= partial_ids[0] <= p["last_seq"])
    # It starts with the status posted with the first partial, and ends with the whole menu.
    assert holder["first_seq"] == partial_ids[0] - 1 and holder["last_seq"] >= final_id
    stored = pages.read_after(job_id, 0)
    assert [e.seq for e in stored] == [f.id for f in frames]
    job = db.client().collection(store.JOBS).document(job_id).get().to_dict()
    assert job.get("unpaged_from") is None and job["items_partial"] is False


def test_a_viewer_joining_while_partials_exist_only_on_the_job_gets_every_event_once(api, stack, menu_photo):
    from common.gcp import db

    _long_menu_streaming(stack)
    api.script("menu", {"stall_s": 4, "stall_at": 0.7})  # the model pauses after most of the menu
    job_id = api.job(api.upload(menu_photo))
    ref = db.client().collection(store.JOBS).document(job_id)
    eventually(lambda: (ref.get().to_dict() or {}).get("unpaged_from"), timeout_s=20, what="a partial menu posted")
    # Joins with the partials held only by the job document, and leaves after the first one...
    first = api.events(job_id, after=0, max_frames=4)
    assert [f.event for f in first] == ["status"] * 3 + ["menu_data"] and first[-1].data["is_partial"]
    assert (ref.get().to_dict() or {}).get("unpaged_from"), "the model was meant to be still writing"
    # ...then resumes from it while they are still there alone: every later event once, in order.
    rest = api.events(job_id, after=first[-1].id)
    frames = first + rest
    assert_well_formed(frames)
    assert [f.id for f in frames] == list(range(1, len(frames) + 1))
    partials, finals = _menus(frames)
    assert len(partials) >= 2 and len(finals) == 1


def test_a_stream_cut_off_mid_answer_is_retried_and_repeats_no_dish_the_phone_already_has(api, stack, menu_photo):
    _long_menu_streaming(stack)
    api.script("menu", {"cut_at": 0.6})
    job_id, frames = api.scan(menu_photo)
    assert_well_formed(frames)
    assert frames[-1].data["status"] == "completed"
    partials, finals = _menus(frames)
    _assert_partials_lead_to(partials, finals[0])
    reqs = [r for r in api.gemini_calls()["requests"] if r["kind"] == "menu"]
    assert len(reqs) == 2 and all(r["stream"] for r in reqs)
    assert reqs[1]["continued"] > 0  # continued from what was read, not read again


def test_a_stream_that_ends_without_a_finish_reason_is_a_retry_not_a_short_menu(api, stack, menu_photo):
    _long_menu_streaming(stack, tokens_per_s=0)
    api.script("menu", {"end_at": 0.5})
    _, frames = api.scan(menu_photo)
    partials, finals = _menus(frames)
    assert frames[-1].data["status"] == "completed" and len(finals[0]["items"]) == LONG_MENU
    assert api.gemini_calls()["calls"]["menu"] == 2


def test_a_run_killed_after_partials_is_taken_over_without_repeating_them(api, stack, menu_photo, campaign):
    _long_menu_streaming(stack)
    api.script("menu", {"stall_s": 30, "stall_at": 0.6})  # the first run hangs with partials sent
    job_id = api.job(api.upload(menu_photo))
    seen = []
    while not seen or not (seen[-1].event == "menu_data" and len(seen[-1].data["items"]) >= 11):
        seen += api.events(job_id, after=seen[-1].id if seen else None, max_frames=1, timeout=20)
    stack.restart("run-scan-task")  # SIGKILL mid-stream; the takeover comes after the lease
    rest = api.events(job_id, after=seen[-1].id, timeout=90)
    frames = seen + rest
    assert_well_formed(frames)
    assert [f.id for f in frames] == list(range(1, len(frames) + 1))
    assert frames[-1].data["status"] == "completed"
    partials, finals = _menus(frames)
    assert len(partials) <= 3  # the cap is per job, not per run
    _assert_partials_lead_to(partials, finals[0])
    assert len(finals[0]["items"]) == LONG_MENU
    reqs = [r for r in api.gemini_calls()["requests"] if r["kind"] == "menu"]
    # The takeover continued after the dishes the dead run had sent, instead of reading them again.
    assert len(reqs) == 2 and reqs[1]["continued"] >= 11
    campaign.count("runs killed mid-job")


def test_the_snapshot_shows_the_partial_menu_while_the_model_writes(api, stack, menu_photo):
    _long_menu_streaming(stack)
    api.script("menu", {"stall_s": 3, "stall_at": 0.5})
    job_id = api.job(api.upload(menu_photo))
    snap = eventually(lambda: (s := api.snapshot(job_id))["items"] and s, timeout_s=20, every_s=0.1,
                      what="the partial menu in the snapshot")
    assert snap["status"] == "running" and snap["is_partial"] is True and len(snap["items"]) < LONG_MENU
    api.events(job_id)
    final = api.snapshot(job_id)
    assert final["is_partial"] is False and len(final["items"]) == LONG_MENU


# -- the time budget, fallback models and streaming off: run_scan restarted with other settings ---------
@pytest.fixture
def run_scan_with(stack):
    """Restart the task's run_scan with these settings for one test (the finalize trigger is not used)."""
    started = []

    def restart(**env):
        stack.restart("run-scan-task", env={k.upper(): str(v) for k, v in env.items()})
        started.append(True)

    yield restart
    if started:
        stack.restart("run-scan-task")


BUDGET = {"job_deadline_s": 12, "deadline_reserve_s": 2, "image_min_remaining_s": 4, "gemini_timeout_ms": 60000,
          "model_retry_budget_s": 60}


def _ended_in_time(api, job_id: str, frames, budget_s: float) -> None:
    snap = api.snapshot(job_id)
    from datetime import datetime

    took = (datetime.fromisoformat(snap["updated_at"].replace("Z", "+00:00"))
            - datetime.fromisoformat(snap["created_at"].replace("Z", "+00:00"))).total_seconds()
    assert frames[-1].event == "done" and took < budget_s, took


def test_a_model_that_stalls_past_the_budget_ends_the_job_with_upstream_timeout_before_the_deadline(
        api, stack, menu_photo, run_scan_with):
    run_scan_with(**BUDGET)
    api.script("menu", *[{"delay_s": 40}] * 4)
    job_id, frames = api.scan(menu_photo)
    assert_well_formed(frames)
    err = next(f.data for f in frames if f.event == "error")
    assert err["code"] == "UPSTREAM_TIMEOUT" and err["recoverable"] is True
    assert frames[-1].data["status"] == "failed"
    _ended_in_time(api, job_id, frames, BUDGET["job_deadline_s"])


def test_a_stream_stalling_after_partials_still_ends_with_done_before_the_deadline(
        api, stack, menu_photo, run_scan_with):
    run_scan_with(**BUDGET)
    _long_menu_streaming(stack)
    api.script("menu", {"stall_s": 40, "stall_at": 0.5})
    job_id, frames = api.scan(menu_photo)
    assert_well_formed(frames)
    partials, finals = _menus(frames)
    # The dishes the phone has are kept: the job completes with them, and says the menu is incomplete.
    assert partials and len(finals) == 1 and 0 < len(finals[0]["items"]) < LONG_MENU
    assert finals[0]["incomplete"] is True and "error" not in [f.event for f in frames]
    done = frames[-1].data
    assert done["status"] == "completed" and done["summary"]["incomplete"] is True
    assert done["summary"]["items_count"] == len(finals[0]["items"]) >= len(partials[-1]["items"])
    _assert_partials_lead_to(partials, finals[0])
    _ended_in_time(api, job_id, frames, BUDGET["job_deadline_s"])


def test_images_still_drawing_at_the_deadline_are_failed_with_a_reason_and_the_job_completes(
        api, stack, menu_photo, run_scan_with):
    run_scan_with(**BUDGET)
    api.script("image", {}, {"delay_s": 40}, {"delay_s": 40})
    job_id, frames = api.scan(menu_photo)
    assert_well_formed(frames)
    final = [f.data for f in frames if f.event == "image_update" and f.data["image_status"] != "generating"]
    assert sorted(u["image_status"] for u in final) == ["failed", "failed", "ready"]
    assert {u["image_error"]["code"] for u in final if u["image_status"] == "failed"} == {"DEADLINE"}
    assert frames[-1].data["status"] == "completed"
    snap = api.snapshot(job_id)
    assert sorted((i.get("image_error") or {}).get("code", "") for i in snap["items"] if i["is_top3"]) == \
        ["", "DEADLINE", "DEADLINE"]
    _ended_in_time(api, job_id, frames, BUDGET["job_deadline_s"])


def test_images_are_not_started_without_enough_time_left_and_say_they_were_skipped(
        api, stack, menu_photo, run_scan_with):
    run_scan_with(**{**BUDGET, "image_min_remaining_s": 8})
    api.script("menu", {"delay_s": 5})  # leaves about 7 s: under the 8 s an image needs
    job_id, frames = api.scan(menu_photo)
    assert_well_formed(frames)
    updates = [f.data for f in frames if f.event == "image_update"]
    assert len(updates) == 3 and all(u["image_status"] == "failed" for u in updates)
    assert {u["image_error"]["code"] for u in updates} == {"DEADLINE"}
    assert api.gemini_calls()["calls"].get("image", 0) == 0
    assert frames[-1].data["status"] == "completed"


def test_a_retry_after_longer_than_the_time_left_goes_to_the_fallback_at_once(
        api, stack, menu_photo, run_scan_with):
    run_scan_with(**BUDGET)
    api.script("menu", {"status": 429, "retry_delay": 60})
    job_id, frames = api.scan(menu_photo)
    assert frames[-1].data["status"] == "completed" and frames[-1].data["summary"]["used_fallback"] is True
    reqs = [r for r in api.gemini_calls()["requests"] if r["kind"] == "menu"]
    assert [r["model"] for r in reqs] == ["gemini-3.6-flash", "gemini-3.5-flash-lite"]
    assert reqs[1]["t"] - reqs[0]["t"] < 3


def test_an_image_model_out_of_budget_falls_back_once_and_the_summary_says_so(api, menu_photo):
    api.script("image@gemini-3.1-flash-image", *[{"status": 503}] * 9)  # every try of the image model
    _, frames = api.scan(menu_photo)
    final = [f.data for f in frames if f.event == "image_update" and f.data["image_status"] != "generating"]
    assert [u["image_status"] for u in final] == ["ready"] * 3
    assert frames[-1].data["summary"]["used_fallback"] is True
    models = [r["model"] for r in api.gemini_calls()["requests"] if r["kind"] == "image"]
    assert models.count("gemini-3.1-flash-lite-image") == 3 and len(models) == 12


def test_with_streaming_off_the_menu_arrives_whole_after_the_generating_images_status(
        api, stack, menu_photo, run_scan_with):
    run_scan_with(gemini_stream="false", gemini_timeout_ms=20000)  # the whole answer takes ~4 s to arrive
    _long_menu_streaming(stack)
    _, frames = api.scan(menu_photo)
    assert_well_formed(frames)
    partials, finals = _menus(frames)
    assert not partials and len(finals) == 1
    assert [f.data["step"] for f in frames if f.event == "status"] == ["uploading", "analyzing", "generating_images"]
    assert not any(r["stream"] for r in api.gemini_calls()["requests"])


def test_partial_menus_can_be_turned_off_while_the_call_still_streams(api, stack, menu_photo, run_scan_with):
    run_scan_with(menu_partial_max=0)
    _long_menu_streaming(stack, tokens_per_s=0)
    _, frames = api.scan(menu_photo)
    assert not _menus(frames)[0] and frames[-1].data["status"] == "completed"
    assert all(r["stream"] for r in api.gemini_calls()["requests"] if r["kind"] == "menu")


def test_concurrent_partials_and_viewers_agree_on_one_sequence(api, stack, menu_photo):
    _long_menu_streaming(stack, tokens_per_s=2000)
    job_ids = [api.job(api.upload(menu_photo)) for _ in range(3)]
    results: dict[str, list] = {}

    def watch(job_id, k):
        results[f"{job_id}:{k}"] = api.events(job_id, timeout=60)

    threads = [threading.Thread(target=watch, args=(j, k)) for j in job_ids for k in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(90)
    for job_id in job_ids:
        a, b = results[f"{job_id}:0"], results[f"{job_id}:1"]
        assert_well_formed(a)
        assert [(f.id, f.event) for f in a] == [(f.id, f.event) for f in b]


# -- a run that dies past the deadline: the watchdog ends the job ----------------------------------------
def _dead_run_past_its_deadline(with_menu: bool, partial_items: int = 0, hint: bool = False) -> str:
    import datetime as dt

    from common.jobs import lease, payloads
    from common.menu.items import MenuItem

    job_id = job_without_deliveries()
    run = lease.claim(job_id, "dying-run", lease_s(), opening=[("status", payloads.status("analyzing", "Reading", job_id))])
    assert run.outcome == "claimed"
    past = clock.now() - dt.timedelta(seconds=30)
    fields = {"deadline_at": past, "lease_expires_at": past}
    if with_menu:  # the run sent the menu, drew nothing, and died
        items = [MenuItem(id=f"item-{k}", original_name=f"dish {k}", translated_name=f"dish {k}",
                          is_top3=k <= 3, image_status="pending" if k <= 3 else "none").model_dump()
                 for k in range(1, 6)]
        run.log.append("menu_data", payloads.menu_data(job_id, items, is_partial=False),
                       job_fields={"items": items, "items_partial": False, **fields})
    else:  # the run sent a partial menu (of `partial_items` dishes, maybe none) and died
        shown = [MenuItem(id=f"item-{k}", original_name=f"dish {k}", translated_name=f"dish {k}",
                          kind="drink" if k == 1 else "dish").model_dump() for k in range(1, partial_items + 1)]
        extra = {"is_hint": True} if hint else {}  # a near-duplicate's menu: another scan's reading
        run.log.post_many([("menu_data", payloads.menu_data(job_id, shown, is_partial=True, **extra))],
                          job_fields={"items": shown, "items_partial": True, "items_hint": hint,
                                      "partial_items": partial_items, "partial_events": 1, **fields})
    expire_lease(job_id)  # the run is dead: its appends moved the lease on, and it runs out
    return job_id


def test_a_job_whose_run_died_after_its_menu_is_completed_by_the_watchdog_past_its_deadline(api, stack):
    job_id = _dead_run_past_its_deadline(with_menu=True)
    frames = api.events(job_id, after=0, timeout=30)  # the test stack's watchdog runs every 5 s
    assert_well_formed(frames)
    assert frames[-1].data["status"] == "completed"
    updates = [f.data for f in frames if f.event == "image_update"]
    assert len(updates) == 3 and {u["image_error"]["code"] for u in updates} == {"DEADLINE"}


def test_a_job_whose_run_died_before_its_menu_fails_at_the_watchdog_with_its_partials_kept(api, stack):
    job_id = _dead_run_past_its_deadline(with_menu=False)
    frames = api.events(job_id, after=0, timeout=30)
    assert_well_formed(frames)
    assert [f.event for f in frames][-3:] == ["menu_data", "error", "done"] and frames[-1].data["status"] == "failed"
    assert [f.id for f in frames] == list(range(1, len(frames) + 1))


def test_a_job_whose_run_died_after_partial_dishes_is_completed_by_the_watchdog_with_them(api, stack):
    job_id = _dead_run_past_its_deadline(with_menu=False, partial_items=5)
    frames = api.events(job_id, after=0, timeout=30)
    assert_well_formed(frames)
    assert [f.id for f in frames] == list(range(1, len(frames) + 1))
    menus = [f.data for f in frames if f.event == "menu_data"]
    assert [m["is_partial"] for m in menus] == [True, False] and menus[-1]["incomplete"] is True
    assert [i["original_name"] for i in menus[-1]["items"]] == [f"dish {k}" for k in range(1, 6)]
    assert [i["id"] for i in menus[-1]["items"] if i["is_top3"]] == ["item-2", "item-3", "item-4"]  # not the drink
    done = frames[-1].data
    assert done["status"] == "completed" and done["summary"]["incomplete"] is True and "error" not in [
        f.event for f in frames]
    updates = [f.data for f in frames if f.event == "image_update"]
    assert len(updates) == 3 and {u["image_error"]["code"] for u in updates} == {"DEADLINE"}


def test_a_job_whose_run_died_showing_only_a_hint_fails_at_the_watchdog_rather_than_keep_another_scans_menu(
        api, stack):
    job_id = _dead_run_past_its_deadline(with_menu=False, partial_items=5, hint=True)
    frames = api.events(job_id, after=0, timeout=30)
    assert_well_formed(frames)
    assert [f.event for f in frames][-3:] == ["menu_data", "error", "done"] and frames[-1].data["status"] == "failed"
    assert [m["is_partial"] for m in (f.data for f in frames if f.event == "menu_data")] == [True]


def test_a_job_whose_run_died_during_its_first_model_call_is_ended_by_the_watchdog_soon_after_its_deadline(
        api, stack):
    from common.jobs import lease

    stack.restart("run-scan-watchdog", env={"JOB_DEADLINE_S": "20"})  # JOB_OVERDUE_S stays 300
    try:
        job_id = job_without_deliveries()
        assert lease.claim(job_id, "dies-in-the-model-call", lease_s()).outcome == "claimed"  # no deadline_at stored yet
        expire_lease(job_id)
        age_job(job_id, 40)  # past 20 s and a lease, far from the 300 s overdue sweep
        frames = api.events(job_id, after=0, timeout=30)
        assert frames[-1].event == "done" and frames[-1].data["status"] == "failed"
    finally:
        stack.restart("run-scan-watchdog")
