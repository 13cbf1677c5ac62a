"""The project keeps its promises about itself: docs match routes, deploys are complete, imports are lean."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent


def test_the_openapi_file_documents_every_route_of_the_route_table_and_nothing_else():
    spec = yaml.safe_load((ROOT / "docs" / "openapi.yaml").read_text())
    routes = json.loads((ROOT / "worker" / "routes.json").read_text())["routes"]
    documented = {(m.upper(), p) for p, ops in spec["paths"].items() for m in ops}
    assert documented == {(r["method"], r["path"]) for r in routes}


@pytest.fixture(scope="module")
def dry_run() -> subprocess.CompletedProcess:
    import dataclasses

    from common.core.settings import Settings

    # As on a deploying machine: none of the stack's settings (this process holds them) in the way.
    ours = {f.name.upper() for f in dataclasses.fields(Settings)} | {"PROJECT"}
    out = subprocess.run(["bash", str(ROOT / "deploy.sh"), "--dry-run"], capture_output=True, text=True,
                         timeout=300, env={k: v for k, v in os.environ.items() if k not in ours})
    assert out.returncode == 0, out.stderr
    return out


def test_deploy_dry_run_prints_every_entry_point_queue_trigger_and_ttl_policy(dry_run):
    out = dry_run
    for name in ("signed-url", "create-job", "events", "scan-stream", "run-scan-task", "run-scan-finalize",
                 "run-scan-watchdog", "notify", "profiles"):
        assert f"gcloud functions deploy {name} " in out.stdout
    assert "gcloud scheduler jobs create http scan-watchdog" in out.stdout
    assert "-m common.gcp.assets expire-after 15" in out.stdout  # 2 x TTL_DAYS + 1: cache hits reuse images
    assert "--trigger-event-filters=type=google.cloud.storage.object.v1.finalized" in out.stdout
    assert "gcloud tasks queues create scan-jobs" in out.stdout
    assert "gcloud tasks queues create scan-notify" in out.stdout and "add-invoker-policy-binding notify" in out.stdout
    assert "WEBHOOK_SECRETS=webhook-secrets:latest" in out.stdout
    assert out.stdout.count("ttls update expire_at") == 10
    assert "indexes composite create --collection-group=scan_events" in out.stdout
    assert "--no-allow-unauthenticated" in out.stdout and "add-invoker-policy-binding run-scan-task" in out.stdout
    assert "INTERNAL_AUDIENCES=https://" in out.stdout and "ORIGIN_SECRET=origin-secret:latest" in out.stdout


def test_deploy_dry_run_creates_every_metric_alert_and_the_dashboard_and_turns_traces_on(dry_run):
    out = dry_run.stdout
    metrics = sorted(p.stem for p in (ROOT / "monitoring" / "metrics").glob("*.json"))
    assert len(metrics) == 7
    for metric in metrics:
        assert (f"gcloud logging metrics create {metric} --project=example-project "
                f"--config-from-file=monitoring/metrics/{metric}.json") in out
    for policy in sorted((ROOT / "monitoring" / "policies").glob("*.json")):
        assert f"gcloud alpha monitoring policies create --project=example-project " \
               f"--policy-from-file=monitoring/policies/{policy.name}" in out
    assert "gcloud monitoring dashboards create --project=example-project " \
           "--config-from-file=monitoring/dashboard.json" in out
    assert "--role=roles/cloudtrace.agent" in out
    for name in ("signed-url", "create-job", "events", "run-scan-task", "notify"):
        line = next(ln for ln in out.splitlines() if f"gcloud functions deploy {name} " in ln)
        assert "TRACE_EXPORTER=gcp" in line and "TRACE_SAMPLE_RATIO=0.1" in line, name


def test_every_streaming_function_says_timeout_before_the_platform_cuts_its_requests(dry_run):
    out = dry_run
    for name in ("events", "scan-stream"):
        line = next(ln for ln in out.stdout.splitlines() if f"gcloud functions deploy {name} " in ln)
        timeout_s = int(re.search(r"--timeout=(\d+)s", line).group(1))
        max_stream_s = float(re.search(r"SSE_MAX_STREAM_S=(\d+)", line).group(1))
        assert max_stream_s <= timeout_s - 60, (name, max_stream_s, timeout_s)


def test_generated_images_get_the_jobs_lifetime_through_the_s3_lifecycle_rule_deploy_sets(stack):
    import boto3

    env = {**os.environ, **stack.env()}
    out = subprocess.run([sys.executable, "-m", "common.gcp.assets", "expire-after", "7"], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    s3 = boto3.client("s3", endpoint_url=env["R2_ENDPOINT"], region_name="auto",
                      aws_access_key_id=env["R2_ACCESS_KEY_ID"], aws_secret_access_key=env["R2_SECRET_ACCESS_KEY"])
    rules = s3.get_bucket_lifecycle_configuration(Bucket=env["R2_BUCKET"])["Rules"]
    assert [(r["Filter"]["Prefix"], r["Expiration"]["Days"], r["Status"]) for r in rules] == [("gen/", 7, "Enabled")]


def _imports_after_loading(function: str, env: dict) -> subprocess.CompletedProcess:
    code = (f"import sys, runpy; runpy.run_path('functions/{function}/main.py'); "
            "print(' '.join(sorted(m for m in sys.modules if m.split('.')[0] in "
            "('boto3', 'PIL', 'google') and (m.startswith('google.genai') or '.' not in m))))")
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60,
                          env={**os.environ, "PYTHONPATH": str(ROOT), **env})


def test_signed_url_and_events_never_import_genai_boto3_or_pillow():
    env = {"UPLOAD_BUCKET": "b"}
    for function in ("signed_url", "events"):
        out = _imports_after_loading(function, env)
        assert out.returncode == 0, out.stderr
        loaded = out.stdout.split()
        assert "boto3" not in loaded and "PIL" not in loaded and "google.genai" not in loaded, (function, loaded)


def test_a_function_missing_a_required_variable_refuses_to_start_and_names_it():
    env = {k: v for k, v in os.environ.items() if k not in ("UPLOAD_BUCKET", "R2_ENDPOINT")}
    out = subprocess.run([sys.executable, "-c", "import runpy; runpy.run_path('functions/run_scan/main.py')"],
                         cwd=ROOT, capture_output=True, text=True, timeout=60, env={**env, "PYTHONPATH": str(ROOT)})
    assert out.returncode != 0
    assert "UPLOAD_BUCKET" in out.stderr and "R2_ENDPOINT" in out.stderr


def test_every_finished_job_logs_its_timings_with_its_job_id(api, stack, menu_photo):
    job_id, _ = api.scan(menu_photo)
    # Either trigger may win the claim, so read both run_scan processes' logs. The phone can have
    # `done` before the run has written its log line, so give the line a moment.
    deadline = time.time() + 5
    while True:
        entries = [json.loads(line) for name in ("run-scan-task", "run-scan-finalize")
                   for line in stack.log_path(name).read_text().splitlines() if line.startswith("{")]
        done = [e for e in entries if e.get("job_id") == job_id and e["message"] == "job completed"]
        if done or time.time() > deadline:
            break
        time.sleep(0.1)
    assert len(done) == 1
    assert done[0]["vlm_ms"] >= 0 and done[0]["image_gen_ms"] >= 0 and done[0]["request_id"]


def test_signed_url_answers_its_first_request_without_pydantic_or_any_google_cloud_client(stack):
    # Its cold-start budget is 0.5 s: pydantic, or the Firestore or Storage client, would each take
    # a quarter to most of it, at start-up or on the first request.
    code = ("import sys, runpy, flask; ns = runpy.run_path('functions/signed_url/main.py'); "
            "app = flask.Flask('t')\n"
            "import os\n"
            "with app.test_request_context('/api/v1/uploads/signed-url', method='POST', json={},\n"
            "                              headers={'X-Origin-Secret': os.environ['ORIGIN_SECRET']}):\n"
            "    assert ns['signed_url'](flask.request).status_code == 200\n"
            "print(' '.join(m for m in ('pydantic', 'google.cloud.firestore', 'google.cloud.storage', 'grpc') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60,
                         env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == []


def test_a_client_slow_to_close_its_connection_holds_up_no_other_request(stack):
    # gunicorn 26 and 27 linger up to 2 s for the client's FIN on the worker's main loop, which
    # accepts every connection: one caller slow to close stalled the whole instance (found by the cold-start
    # bench). functions pin a gunicorn without that linger.
    import socket

    import httpx

    from devstack.stack import HOST

    for name in ("signed-url", "create-job", "run-scan-task"):  # the Flask (gthread) entry points
        port = stack.ports.function(name)
        for _ in range(2):
            slow = socket.create_connection((HOST, port))
            slow.sendall(b"GET /health HTTP/1.1\r\nHost: fn\r\nConnection: close\r\n\r\n")
            assert slow.recv(65536).startswith(b"HTTP/1.1 200"), name
            t0 = time.monotonic()  # the slow client still holds its socket open
            r = httpx.get(f"http://{HOST}:{port}/health", timeout=10)
            elapsed = time.monotonic() - t0
            slow.close()
            # A stalled loop answers after the 2 s linger; a healthy one in milliseconds.
            assert r.status_code == 200 and elapsed < 1.5, (name, round(elapsed, 3))
