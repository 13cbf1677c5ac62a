"""Observability: one trace per job across the functions, error spans with codes, log lines in their trace,
the waterfall, and the metrics deploy.sh creates from the log lines."""
from __future__ import annotations

import json
import logging
import os
import re
import signal
import subprocess
import sys
import time

import httpx
import pytest

from common.core import logs, trace_ids, tracing
from devstack import waterfall
from tests.api import assert_well_formed

EXPO_TOKEN = "ExponentPushToken[tracetracetracetrace12]"


def _spans(stack, job_id: str, until, timeout_s: float = 20) -> tuple[list[dict], list[dict]]:
    """The job's spans and the spans linking to it, once `until(own)` holds (spans are written as they end)."""
    deadline = time.monotonic() + timeout_s
    while True:
        own, linked = waterfall.of_job(waterfall.load(stack.trace_dir), job_id)
        if until(own):
            return own, linked
        assert time.monotonic() < deadline, f"spans never complete: {sorted({s['name'] for s in own})}"
        time.sleep(0.1)


def _named(spans: list[dict], name: str) -> list[dict]:
    return [s for s in spans if s["name"] == name]


def _ancestors(span: dict, spans: list[dict]) -> list[str]:
    by_id = {s["span_id"]: s for s in spans}
    names, parent = [], by_id.get(span["parent_id"])
    while parent is not None:
        names.append(parent["name"])
        parent = by_id.get(parent["parent_id"])
    return names


def _run_written(own: list[dict]) -> bool:
    """The run's span is written, and the request that ran it (it ends after the run)."""
    runs = _named(own, "scan.run")
    ids = {s["span_id"] for s in own}
    return bool(runs) and all(r["parent_id"] in ids or r["attributes"]["trigger"] != "task" for r in runs)


def _run_over(name: str = "notify_task"):
    """Every span of the job is written: the run's, and the function it ends with."""
    return lambda own: _run_written(own) and any(s["service"] == name and s["kind"] == "SERVER" for s in own)


def test_a_log_entry_stays_one_line_whatever_a_request_path_holds():
    record = logging.LogRecord("common.web", logging.INFO, __file__, 1, "request refused", None, None)
    record.fields = {"path": "/api/v2/scan/jobs/\xfc\x85\u2028\u2029\x0b\x1c/x"}
    line = logs.JsonFormatter().format(record)
    assert len(line.splitlines()) == 1
    assert json.loads(line)["path"] == "/api/v2/scan/jobs/\xfc\x85\u2028\u2029\x0b\x1c/x"


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
    own, _ = _spans(stack, job_id, _run_written)
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
    own, _ = _spans(stack, job_id, _run_written)
    create = next(s for s in own if s["service"] == "create_job" and s["kind"] == "SERVER")
    (run,) = [s for s in _named(own, "scan.run") if s["attributes"]["trigger"] == "finalize"]
    assert run["trace_id"] == create["trace_id"] and run["service"] == "run_scan_finalize"
    assert run["parent_id"] == create["span_id"]  # under the job's creation ...
    deadline = time.monotonic() + 10
    while not (finalize := [s for s in waterfall.load(stack.trace_dir) if s["name"] == "finalize"
                            and any(link["span_id"] == s["span_id"] for link in run["links"])]):
        assert time.monotonic() < deadline, "the finalize request's span was never written"
        time.sleep(0.1)
    assert finalize and finalize[0]["trace_id"] != run["trace_id"]  # ... linked to the event's own request


def test_snapshot_and_event_stream_reads_link_to_the_jobs_trace(api_v2, stack, menu_photo):
    job_id = api_v2.job(api_v2.upload(menu_photo), "en")
    assert api_v2.events(job_id)[-1].data["status"] == "completed"
    api_v2.snapshot(job_id)
    own, linked = _spans(stack, job_id, _run_written)
    deadline = time.monotonic() + 10
    while not any(not s["name"].endswith("/events") for s in linked):  # the snapshot's span, written last
        assert time.monotonic() < deadline, "the snapshot read's span was never written"
        time.sleep(0.1)
        own, linked = waterfall.of_job(waterfall.load(stack.trace_dir), job_id)
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
    own, _ = _spans(stack, job_id, _run_written)
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
    lines = _wait_lines(stack, "events", lambda e: e.get("logging.googleapis.com/trace", "").endswith(caller.trace_id))
    assert {e["logging.googleapis.com/trace_sampled"] for e in lines} == {False}
    # Not through the origin: the caller's trace is not followed (and the request is refused).
    stranger = trace_ids.Ids(os.urandom(16).hex(), os.urandom(8).hex(), sampled=True)
    assert httpx.get(url, headers={**api_v2.auth(job_id), "traceparent": stranger.traceparent}).status_code == 403
    time.sleep(1)  # spans are written a fifth of a second after they end
    spans = waterfall.load(stack.trace_dir)
    assert not any(s["trace_id"] in (caller.trace_id, stranger.trace_id) for s in spans)


def _wait_lines(stack, function: str, match, timeout_s: float = 10) -> list[dict]:
    deadline = time.monotonic() + timeout_s
    while True:
        lines = [json.loads(line) for line in stack.log_path(function).read_text(errors="replace").splitlines()
                 if line.startswith("{")]
        found = [e for e in lines if match(e)]
        if found:
            return found
        assert time.monotonic() < deadline, f"no such line in {function}'s log"
        time.sleep(0.1)


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


# -- without a stack ------------------------------------------------------------------------------
@pytest.mark.parametrize("headers, expected", [
    ({"traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"},
     ("4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7", True)),
    ({"traceparent": "00-4BF92F3577B34DA6A3CE929D0E0E4736-00F067AA0BA902B7-00"},
     ("4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7", False)),
    # Cloud Run's header: the span id is decimal, o=1 is sampled.
    ({"x-cloud-trace-context": "105445aa7843bc8bf206b12000100000/1;o=1"},
     ("105445aa7843bc8bf206b12000100000", "0000000000000001", True)),
    ({"x-cloud-trace-context": "105445aa7843bc8bf206b12000100000/18446744073709551615;o=0"},
     ("105445aa7843bc8bf206b12000100000", "ffffffffffffffff", False)),
    # A malformed traceparent is ignored (W3C), and Google's header is used instead.
    ({"traceparent": "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
      "x-cloud-trace-context": "105445aa7843bc8bf206b12000100000"},
     ("105445aa7843bc8bf206b12000100000", "0000000000000001", False)),
])
def test_the_callers_trace_is_read_from_traceparent_or_the_cloud_trace_header(headers, expected):
    ids = trace_ids.from_headers(headers)
    assert (ids.trace_id, ids.span_id, ids.sampled) == expected


@pytest.mark.parametrize("value", ["", "00-" + "0" * 32 + "-00f067aa0ba902b7-01",
                                   "00-4bf92f3577b34da6a3ce929d0e0e4736-" + "0" * 16 + "-01",
                                   "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7", "garbage"])
def test_a_malformed_or_all_zero_traceparent_is_no_trace(value):
    assert trace_ids.from_headers({"traceparent": value}) is None


def test_the_edge_samples_new_traces_at_the_configured_ratio():
    assert all(trace_ids.mint(1.0).sampled for _ in range(50))
    assert not any(trace_ids.mint(0.0).sampled for _ in range(50))
    ids = trace_ids.mint(1.0)
    assert trace_ids.parse_traceparent(ids.traceparent) == ids


def test_a_log_line_names_the_trace_and_span_it_was_written_in():
    logs.configure("INFO", "demo-project")
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "hello", (), None)
    ids = trace_ids.Ids("4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7", True)
    token = logs.trace_var.set(ids)
    try:
        entry = json.loads(logs.JsonFormatter().format(record))
    finally:
        logs.trace_var.reset(token)
    assert entry["logging.googleapis.com/trace"] == "projects/demo-project/traces/4bf92f3577b34da6a3ce929d0e0e4736"
    assert entry["logging.googleapis.com/spanId"] == "00f067aa0ba902b7"
    assert entry["logging.googleapis.com/trace_sampled"] is True
    assert "logging.googleapis.com/trace" not in json.loads(logs.JsonFormatter().format(record))


def test_the_file_exporter_needs_its_folder_named():
    from common.core.errors import ConfigError
    from common.core.settings import Settings

    with pytest.raises(ConfigError, match="TRACE_DIR"):
        Settings.from_env({"TRACE_EXPORTER": "file"})
    with pytest.raises(ConfigError, match="TRACE_SAMPLE_RATIO"):
        Settings.from_env({"TRACE_SAMPLE_RATIO": "1.5"})


def _span(span_id, parent, start, end, name=None, status="UNSET"):
    return {"trace_id": "t" * 32, "span_id": span_id, "parent_id": parent, "name": name or span_id,
            "service": "svc", "kind": "INTERNAL", "start_ns": start * 10**6, "end_ns": end * 10**6,
            "status": status, "status_message": "VLM_FAILED" if status == "ERROR" else None,
            "attributes": {}, "links": []}


def test_the_slowest_path_follows_the_child_that_ends_last_at_each_level():
    spans = [_span("root", "remote", 0, 100), _span("a", "root", 0, 30), _span("b", "root", 10, 95),
             _span("b1", "b", 10, 40), _span("b2", "b", 40, 90), _span("a1", "a", 0, 29)]
    assert waterfall.slowest_path(spans) == {"root", "b", "b2"}
    text = waterfall.render(spans + [_span("c", "root", 50, 60, status="ERROR")], job_id="j")
    rows = text.splitlines()[2:]
    assert [r.split()[-1] for r in rows] == ["root", "a", "a1", "b", "b1", "b2", "c"]  # depth first, by start
    assert [" * " in r for r in rows] == [True, False, False, True, False, True, False]
    assert "ERROR VLM_FAILED" in rows[-1] and "1 failed" in text.splitlines()[0]


# -- metrics, alerts and the dashboard (deploy.sh creates them from monitoring/) ---------------------
MONITORING = waterfall.ROOT / "monitoring"
METRICS = {p.stem: json.loads(p.read_text()) for p in sorted((MONITORING / "metrics").glob("*.json"))}


def _matches(log_filter: str, entry: dict) -> bool:
    """Cloud Logging's filter language, the part monitoring/metrics/ uses: field=value clauses joined by
    AND, a value quoted, bare (true, false, a number) or a parenthesised OR of quoted strings."""
    for clause in re.split(r"\s+AND\s+", log_filter):
        field, _, value = clause.partition("=")
        if field == "resource.type":
            continue  # the platform's, not on a local line
        assert field.startswith("jsonPayload."), clause
        wanted = re.findall(r'"([^"]*)"', value) if value.startswith("(") else [json.loads(value)]
        if entry.get(field.removeprefix("jsonPayload.")) not in wanted:
            return False
    return True


def _extract(expression: str, entry: dict):
    field = re.fullmatch(r"EXTRACT\(jsonPayload\.([a-z_]+)\)", expression).group(1)
    return entry.get(field)


def _counted(stack, job_ids: set[str]) -> dict[str, list[dict]]:
    """Each metric's data points (labels, and value for a distribution) from the jobs' log lines."""
    lines = [json.loads(line) for name in ("create-job", "run-scan-task", "run-scan-finalize", "notify")
             for line in stack.log_path(name).read_text(errors="replace").splitlines()
             if line.startswith("{") and json.loads(line).get("job_id") in job_ids]
    points: dict[str, list[dict]] = {}
    for name, metric in METRICS.items():
        for entry in (e for e in lines if _matches(metric["filter"], e)):
            point = {k: _extract(x, entry) for k, x in metric["labelExtractors"].items()}
            if "valueExtractor" in metric:
                point["value"] = _extract(metric["valueExtractor"], entry)
            points.setdefault(name, []).append({**point, "job_id": entry["job_id"]})
    return points


def test_the_log_based_metrics_count_outcomes_codes_times_retries_fallbacks_and_failed_images(api, stack,
                                                                                              menu_photo):
    from tests.conftest import render_photo

    # Three photos: a photo scanned before would be a cache hit, with no model call to count.
    ok = api.job(api.upload(menu_photo), "en")
    assert api.events(ok)[-1].data["status"] == "completed"
    api.script("image", {"status": 400})  # one image refused outright
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


def test_every_metric_counts_log_lines_the_code_writes_and_every_alert_and_chart_names_a_metric_and_label():
    source = "\n".join(p.read_text() for p in (waterfall.ROOT / "common").rglob("*.py"))
    for name, metric in METRICS.items():
        messages = re.findall(r'"([^"]*)"', re.search(r"jsonPayload\.message=(\([^)]*\)|\"[^\"]*\")",
                                                       metric["filter"]).group(1))
        for message in messages:
            assert re.search(r'log\.(info|warning|error|exception)\(\s*"' + re.escape(message) + '"', source), \
                (name, message)
        assert {label["key"] for label in metric["metricDescriptor"]["labels"]} == set(metric["labelExtractors"])
    documents = [json.loads(p.read_text()) for p in sorted((MONITORING / "policies").glob("*.json"))]
    documents.append(json.loads((MONITORING / "dashboard.json").read_text()))
    filters = re.findall(r'metric\.type=\\"logging\.googleapis\.com/user/([a-z_]+)\\"((?:[^"\\]|\\.)*)',
                         json.dumps(documents))
    assert {m for m, _ in filters} == set(METRICS)  # every metric charted or alerted on, none unknown
    for metric, rest in filters:
        labels = {label["key"] for label in METRICS[metric]["metricDescriptor"]["labels"]}
        assert set(re.findall(r"metric\.label\.([a-z_]+)", rest)) <= labels, (metric, rest)
    for group in re.findall(r'"metric\.label\.([a-z_]+)"', json.dumps(documents)):
        assert any(group in METRICS[m]["labelExtractors"] for m in METRICS), group


def test_with_cloud_trace_the_exporter_is_imported_at_the_first_export_not_at_start():
    code = ("import sys\nfrom common.core import tracing\ntracing.setup('signed-url')\n"
            "with tracing.span('x'):\n    pass\n"
            "assert tracing.enabled()\n"
            "print('opentelemetry.exporter.cloud_trace' in sys.modules, 'opentelemetry.instrumentation.grpc' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=waterfall.ROOT,
                         env={**os.environ, "TRACE_EXPORTER": "gcp", "PYTHONPATH": str(waterfall.ROOT)})
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["False", "False"]


def test_a_tracing_failure_never_fails_the_work_it_watches(monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("the SDK broke")

    monkeypatch.setattr(tracing, "_tracer", object())  # "on", but every start fails
    monkeypatch.setattr(tracing, "_start", broken)
    with tracing.span("stage") as sp:
        ran = sp is None
    assert ran
    with pytest.raises(ValueError):  # the work's own error still comes out
        with tracing.request("GET /x", {}):
            raise ValueError("the handler's")


def test_tracing_starts_in_a_process_that_already_imported_httpx(tmp_path):
    code = ("import httpx\nfrom common.core import tracing\ntracing.setup('notify')\n"
            "print(tracing.enabled(), sorted(tracing._instrumented))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=waterfall.ROOT,
                         env={**os.environ, "TRACE_EXPORTER": "file", "TRACE_DIR": str(tmp_path),
                              "PYTHONPATH": str(waterfall.ROOT)})
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["True", "['httpx']"]
