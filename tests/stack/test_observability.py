"""Observability: one trace per job across the functions, error spans with codes, log lines in their trace,
the waterfall, and the metrics deploy.sh creates from the log lines."""
from __future__ import annotations
from common.core import trace_ids

import json
import os
import signal
import subprocess
import sys

import httpx

from devstack import waterfall
from tests.api import assert_well_formed
from tests.support import consistently, eventually, extract_label, log_entries, log_filter_matches, log_metrics

EXPO_TOKEN = "ExponentPushToken[tracetracetracetrace12]"


def _spans(stack, job_id: str, until, timeout_s: float = 20) -> tuple[list[dict], list[dict]]:
    """The job's spans and the spans linking to it, once `until(own, linked)` holds (spans are written as they
    end, by each process a fifth of a second later)."""
    seen: list[dict] = []

    def written() -> tuple[list[dict], list[dict]] | None:
        own, linked = waterfall.of_job(waterfall.load(stack.trace_dir), job_id)
        seen[:] = own
        return (own, linked) if until(own, linked) else None

    return eventually(written, timeout_s=timeout_s, every_s=0.1,
                      what=lambda: f"the spans to complete: {sorted({s['name'] for s in seen})}")


def _named(spans: list[dict], name: str) -> list[dict]:
    return [s for s in spans if s["name"] == name]


def _ancestors(span: dict, spans: list[dict]) -> list[str]:
    by_id = {s["span_id"]: s for s in spans}
    names, parent = [], by_id.get(span["parent_id"])
    while parent is not None:
        names.append(parent["name"])
        parent = by_id.get(parent["parent_id"])
    return names


def _run_written(own: list[dict], linked: list[dict] = ()) -> bool:
    """The run's span is written, and the request that ran it (it ends after the run)."""
    runs = _named(own, "scan.run")
    ids = {s["span_id"] for s in own}
    return bool(runs) and all(r["parent_id"] in ids or r["attributes"]["trigger"] != "task" for r in runs)


def _created_and_run(own: list[dict], linked: list[dict] = ()) -> bool:
    """The run's spans are written, and create_job's request span (its process writes on its own schedule)."""
    return _run_written(own) and any(s["service"] == "create_job" and s["kind"] == "SERVER" for s in own)


def _run_over(name: str = "notify_task"):
    """Every span of the job is written: the run's, and the function it ends with."""
    return lambda own, linked: _run_written(own) and any(s["service"] == name and s["kind"] == "SERVER" for s in own)


def test_a_job_is_one_trace_across_every_function_it_touches_in_order_with_its_id_on_each_span(api, stack,
                                                                                               menu_photo):
    caller = trace_ids.mint(1.0)
    r = api.create_job(api.upload(menu_photo), "en", headers={"traceparent": caller.traceparent},
                       push_token=EXPO_TOKEN)
    assert r.status_code == 201, r.text
    job_id = r.json()["job_id"]
    assert api.events(job_id)[-1].data["status"] == "completed"
    own, _ = _spans(stack, job_id, _run_over())

    (trace_id,) = {s["trace_id"] for s in own}  # one trace end to end: the origin's, not the caller's
    assert trace_id != caller.trace_id
    assert all(s["attributes"].get("job_id") == job_id for s in own), \
        [s["name"] for s in own if s["attributes"].get("job_id") != job_id]
    assert {"create_job", "run_scan_task", "notify_task"} <= {s["service"] for s in own}
    create = next(s for s in own if s["service"] == "create_job" and s["kind"] == "SERVER")
    assert create["parent_id"] not in {s["span_id"] for s in own}  # under the origin's span
    assert [(link["trace_id"], link["span_id"]) for link in create["links"]] == [(caller.trace_id, caller.span_id)]
    assert create["start_ns"] == min(s["start_ns"] for s in own)
    # The task's request is a child of the enqueue that made it; the run and its stages under it.
    task = next(s for s in own if s["service"] == "run_scan_task" and s["kind"] == "SERVER")
    assert _ancestors(task, own)[:2] == ["tasks.enqueue", create["name"]]
    run = _named(own, "scan.run")[0]
    assert run["parent_id"] == task["span_id"] and run["attributes"]["trigger"] == "task"
    stages = {s["name"] for s in own if "scan.run" in _ancestors(s, own)}
    assert {"upload.read", "photo.normalise", "cache.lookup", "model.read_menu", "gemini.menu", "image",
            "model.draw_dish", "gemini.image", "assets.upload", "S3.PutObject", "firestore.commit"} <= stages
    assert len(_named(own, "image")) == 3 and not any(s["status"] == "ERROR" for s in own)
    # In order: the menu is read before any image is drawn; the run's last commit (done) ends it.
    menu = _named(own, "model.read_menu")[0]
    assert all(img["start_ns"] >= menu["end_ns"] for img in _named(own, "image"))
    commits = sorted((s for s in _named(own, "firestore.commit") if "scan.run" in _ancestors(s, own)),
                     key=lambda s: s["start_ns"])
    assert commits[-1]["start_ns"] >= max(s["end_ns"] for s in _named(own, "image"))
    assert commits[-1]["end_ns"] <= run["end_ns"] <= task["end_ns"]
    # The notification's delivery joins the trace too: its task was queued by the run.
    notify = next(s for s in own if s["service"] == "notify_task" and s["kind"] == "SERVER")
    assert "scan.run" in _ancestors(notify, own) and notify["start_ns"] >= commits[-1]["end_ns"]


def test_log_lines_carry_the_trace_and_span_of_the_code_that_wrote_them(api, stack, menu_photo):
    job_id = api.job(api.upload(menu_photo), "en")
    assert api.events(job_id)[-1].data["status"] == "completed"
    own, _ = _spans(stack, job_id, _created_and_run)
    (trace_id,) = {s["trace_id"] for s in own}
    span_ids = {s["span_id"]: s["name"] for s in own}
    # The client sent no trace: the origin (the Worker) started it, so the create span has a remote parent.
    create = next(s for s in own if s["service"] == "create_job" and s["kind"] == "SERVER")
    assert create["parent_id"] and create["parent_id"] not in span_ids
    lines = [json.loads(line) for name in ("create-job", "run-scan-task")
             for line in stack.log_path(name).read_text(errors="replace").splitlines()
             if line.startswith("{") and job_id in line]
    assert {"job completed", "menu read", "claim"} <= {e["message"] for e in lines}
    for entry in lines:
        assert entry["logging.googleapis.com/trace"] == f"projects/{stack.env()['GOOGLE_CLOUD_PROJECT']}/traces/{trace_id}"
        assert entry["logging.googleapis.com/spanId"] in span_ids, entry
        assert entry["logging.googleapis.com/trace_sampled"] is True
    done_line = next(e for e in lines if e["message"] == "job completed")
    assert span_ids[done_line["logging.googleapis.com/spanId"]] == "scan.run"


def test_a_failed_model_call_shows_as_error_spans_with_its_code_and_the_run_fails_with_the_jobs_code(api, stack,
                                                                                                      menu_photo):
    api.script("menu", *[{"status": 500}] * 8)
    job_id = api.job(api.upload(menu_photo), "en")
    frames = api.events(job_id)
    err = next(f.data for f in frames if f.event == "error")
    assert frames[-1].data["status"] == "failed"
    own, _ = _spans(stack, job_id, _run_written)
    attempts = _named(own, "gemini.menu")
    assert len(attempts) >= 2 and all(s["status"] == "ERROR" for s in attempts)
    assert {s["attributes"]["error.code"] for s in attempts} == {"VLM_FAILED"}
    assert [s["attributes"]["attempt"] for s in sorted(attempts, key=lambda s: s["start_ns"])] == \
        list(range(1, len(attempts) + 1))
    for name in ("model.read_menu", "scan.run"):
        (span,) = _named(own, name)
        assert span["status"] == "ERROR" and span["status_message"] == err["code"], span
    assert not _named(own, "image")


def test_a_run_started_by_the_finalize_event_joins_the_trace_its_job_was_created_in(api, stack, menu_photo):
    group = os.getpgid(stack.procs["run-scan-task"].pid)
    signed = api.signed_url()
    # The task target is frozen, so the upload's finalize event is what runs the job.
    os.killpg(group, signal.SIGSTOP)
    try:
        job_id = api.job(signed["gcs_uri"], "en")
        api.put(signed, menu_photo)
        frames = api.events(job_id)
    finally:
        os.killpg(group, signal.SIGCONT)
    assert_well_formed(frames)
    assert frames[-1].data["status"] == "completed"
    own, _ = _spans(stack, job_id, _created_and_run)
    create = next(s for s in own if s["service"] == "create_job" and s["kind"] == "SERVER")
    (run,) = [s for s in _named(own, "scan.run") if s["attributes"]["trigger"] == "finalize"]
    assert run["trace_id"] == create["trace_id"] and run["service"] == "run_scan_finalize"
    assert run["parent_id"] == create["span_id"]  # under the job's creation ...
    finalize = eventually(lambda: [s for s in waterfall.load(stack.trace_dir) if s["name"] == "finalize"
                                   and any(link["span_id"] == s["span_id"] for link in run["links"])],
                          timeout_s=10, every_s=0.1, what="the finalize request's span")
    assert finalize and finalize[0]["trace_id"] != run["trace_id"]  # ... linked to the event's own request


def test_snapshot_and_event_stream_reads_link_to_the_jobs_trace(api_v2, stack, menu_photo):
    job_id = api_v2.job(api_v2.upload(menu_photo), "en")
    assert api_v2.events(job_id)[-1].data["status"] == "completed"
    api_v2.snapshot(job_id)
    own, linked = _spans(stack, job_id, _run_written)
    # The snapshot read's span, written last.
    own, linked = _spans(stack, job_id, lambda own, linked: any(not s["name"].endswith("/events") for s in linked),
                         timeout_s=10)
    (trace_id,) = {s["trace_id"] for s in own}
    reads = [s for s in linked if s["service"] == "events"]
    assert {s["name"].endswith("/events") for s in reads} == {True, False}  # a stream and a snapshot
    for s in reads:
        assert s["attributes"]["linked_job_id"] == job_id and s["trace_id"] != trace_id
        assert [link["trace_id"] for link in s["links"]] == [trace_id]


def test_the_origin_starts_its_own_trace_links_the_clients_and_decides_sampling_itself(api, stack, menu_photo):
    caller = trace_ids.Ids(os.urandom(16).hex(), os.urandom(8).hex(), sampled=False)
    r = api.create_job(api.upload(menu_photo), "en", headers={"traceparent": caller.traceparent})
    job_id = r.json()["job_id"]
    assert api.events(job_id)[-1].data["status"] == "completed"
    # The stack samples every trace (TRACE_SAMPLE_RATIO 1): the client's "not sampled" does not stop it,
    # and its trace id is not the one our spans and log lines carry: a link leads to it.
    own, _ = _spans(stack, job_id, _created_and_run)
    (trace_id,) = {s["trace_id"] for s in own}
    assert trace_id != caller.trace_id
    create = next(s for s in own if s["service"] == "create_job" and s["kind"] == "SERVER")
    assert [link["trace_id"] for link in create["links"]] == [caller.trace_id]
    assert trace_ids.mint(0.0).sampled is False and trace_ids.mint(1.0).sampled is True


def test_a_trace_its_trusted_caller_sampled_out_records_no_span_but_its_log_lines_keep_it(api_v2, stack,
                                                                                          menu_photo):
    job_id = api_v2.job(api_v2.upload(menu_photo), "en")
    caller = trace_ids.Ids(os.urandom(16).hex(), os.urandom(8).hex(), sampled=False)
    # Straight to the events function, as the Worker would pass it on (its origin secret): trusted.
    url = f"{stack.function_url('events')}/api/v2/scan/jobs/{job_id}"
    r = httpx.get(url, headers={**api_v2.auth(job_id), "X-Origin-Secret": stack.origin_secret,
                                "traceparent": caller.traceparent})
    assert r.status_code == 200
    lines = eventually(lambda: [e for e in log_entries(stack, "events", caller.trace_id)
                                if e.get("logging.googleapis.com/trace", "").endswith(caller.trace_id)],
                       timeout_s=10, every_s=0.1, what="the request's log lines")
    assert {e["logging.googleapis.com/trace_sampled"] for e in lines} == {False}
    # Not through the origin: the caller's trace is not followed (and the request is refused).
    stranger = trace_ids.Ids(os.urandom(16).hex(), os.urandom(8).hex(), sampled=True)
    assert httpx.get(url, headers={**api_v2.auth(job_id), "traceparent": stranger.traceparent}).status_code == 403
    # Spans are written a fifth of a second after they end: none of either trace may appear in a second.
    consistently(lambda: not any(s["trace_id"] in (caller.trace_id, stranger.trace_id)
                                 for s in waterfall.load(stack.trace_dir)),
                 for_s=1.0, every_s=0.2, what="no span of either trace")


def test_run_trace_prints_the_jobs_waterfall_with_every_function_and_the_slowest_path(api, stack, menu_photo):
    job_id = api.job(api.upload(menu_photo), "en", push_token=EXPO_TOKEN)
    assert api.events(job_id)[-1].data["status"] == "completed"
    _spans(stack, job_id, _run_over())
    out = subprocess.run([sys.executable, "-m", "devstack", "trace", job_id, "--dir", str(stack.trace_dir)],
                         capture_output=True, text=True, timeout=60, cwd=waterfall.ROOT)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0].startswith(f"job {job_id}  trace ")
    for name in ("create_job", "run_scan_task", "notify_task", "scan.run", "gemini.menu", "S3.PutObject"):
        assert any(name in line for line in lines), name
    hot = [line for line in lines[2:] if " * " in line]
    assert any("scan.run" in line for line in hot) and any("create_job" in line for line in hot)
    missing = subprocess.run([sys.executable, "-m", "devstack", "trace", "0" * 32, "--dir", str(stack.trace_dir)],
                             capture_output=True, text=True, timeout=60, cwd=waterfall.ROOT)
    assert missing.returncode == 1 and "no spans" in missing.stdout


# -- metrics, alerts and the dashboard (deploy.sh creates them from monitoring/) ---------------------
def _counted(stack, job_ids: set[str]) -> dict[str, list[dict]]:
    """Each metric's data points (labels, and value for a distribution) from the jobs' log lines."""
    lines = [json.loads(line) for name in ("create-job", "run-scan-task", "run-scan-finalize", "notify")
             for line in stack.log_path(name).read_text(errors="replace").splitlines()
             if line.startswith("{") and json.loads(line).get("job_id") in job_ids]
    points: dict[str, list[dict]] = {}
    for name, metric in log_metrics().items():
        for entry in (e for e in lines if log_filter_matches(metric["filter"], e)):
            point = {k: extract_label(x, entry) for k, x in metric["labelExtractors"].items()}
            if "valueExtractor" in metric:
                point["value"] = extract_label(metric["valueExtractor"], entry)
            points.setdefault(name, []).append({**point, "job_id": entry["job_id"]})
    return points


def test_the_log_based_metrics_count_outcomes_codes_times_retries_fallbacks_and_failed_images(api, stack,
                                                                                              menu_photo):
    from tests.support import render_photo

    # Three photos: a photo scanned before would be a cache hit, with no model call to count.
    ok = api.job(api.upload(menu_photo), "en")
    assert api.events(ok)[-1].data["status"] == "completed"
    api.script("image", {"status": 400})  # one image refused outright
    # Other dishes than the first job's: a dish drawn before is copied, with no image call to refuse.
    httpx.post(f"{stack.gemini_url}/_control/menu", json={"items": 6}).raise_for_status()
    drawn = api.job(api.upload(render_photo(("Ramen 900", "Gyoza 450"))), "en")
    assert api.events(drawn)[-1].data["status"] == "completed"
    api.script("menu", *[{"status": 503}] * 8)  # retried, then the fallback, then failed
    failed = api.job(api.upload(render_photo(("Udon 800",))), "en")
    assert api.events(failed)[-1].data["status"] == "failed"
    _spans(stack, failed, _run_written)  # its run is over
    points = _counted(stack, {ok, drawn, failed})

    finished = sorted((p["job_id"], p["outcome"], p["code"]) for p in points["scan_jobs_finished"])
    assert finished == sorted([(ok, "completed", None), (drawn, "completed", None), (failed, "failed", "VLM_FAILED")])
    assert {p["engine"] for p in points["scan_jobs_finished"]} == {"gemini"}
    done_ms = {p["job_id"]: p["value"] for p in points["scan_time_to_done"]}
    assert set(done_ms) == {ok, drawn, failed} and all(isinstance(v, int) and v > 0 for v in done_ms.values())
    menu_ms = {p["job_id"]: p["value"] for p in points["scan_time_to_menu"]}
    assert set(menu_ms) == {ok, drawn} and all(0 < menu_ms[j] <= done_ms[j] for j in menu_ms)
    retries = [p for p in points["scan_model_retries"] if p["job_id"] == failed]
    assert len(retries) == int(stack.env()["MODEL_MAX_ATTEMPTS"]) - 1 and {p["code"] for p in retries} == {"VLM_FAILED"}
    assert [(p["job_id"], p["call"]) for p in points["scan_model_fallbacks"]] == [(failed, "menu")]
    assert [(p["job_id"], p["code"]) for p in points["scan_images_failed"]] == [(drawn, "IMAGE_GEN_FAILED")]
    assert "scan_jobs_past_deadline" not in points
