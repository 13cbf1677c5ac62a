"""deploy.sh --dry-run: every command it would run, each flag checked against gcloud's own help."""
from __future__ import annotations

import os
import re
import subprocess

import pytest

from tests.support import ROOT


@pytest.fixture(scope="module")
def dry_run() -> subprocess.CompletedProcess:
    from common.core.settings import variable_names

    # As on a deploying machine: none of the stack's settings (this process holds them) in the way.
    ours = set(variable_names()) | {"PROJECT"}
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
    # Upload names are tagged by signed-url and checked by create-job: both hold the keys, nobody else.
    assert out.stdout.count("UPLOAD_NAME_SECRETS=upload-name-secrets:latest") == 2
    assert "ORIGIN_SECRET_PREVIOUS" not in out.stdout  # only while a rotation is under way
    assert "--var MAX_UPLOAD_BYTES:10485760" in out.stdout and "MAX_UPLOAD_BYTES=10485760" in out.stdout


def test_deploy_dry_run_says_it_would_check_every_configured_gemini_model_before_deploying(dry_run):
    out = dry_run.stdout
    check = out.index("would check that every configured Gemini model exists (models.get")
    assert check < out.index("gcloud functions deploy ") and "-m common.engines.model_check" in out
    for role in ("GEMINI_MENU_MODEL=gemini-3.6-flash", "GEMINI_MENU_FALLBACK_MODEL=gemini-3.5-flash-lite",
                 "GEMINI_IMAGE_MODEL=gemini-3.1-flash-image", "GEMINI_IMAGE_FALLBACK_MODEL=gemini-3.1-flash-lite-image"):
        assert f"#   {role} " in out, role


def test_deploy_dry_run_creates_every_metric_alert_and_the_dashboard_and_turns_traces_on(dry_run):
    out = dry_run.stdout
    metrics = sorted(p.stem for p in (ROOT / "monitoring" / "metrics").glob("*.json"))
    assert len(metrics) == 8
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
