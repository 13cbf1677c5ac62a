"""Traces without a stack: the caller's trace read from its headers, sampling at the edge, the SDK
imported only when used, and tracing that never fails the work it watches (common/core/tracing.py)."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from common.core import trace_ids, tracing
from tests.support import ROOT


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


def test_with_cloud_trace_the_exporter_is_imported_at_the_first_export_not_at_start():
    code = ("import sys\nfrom common.core import tracing\ntracing.setup('signed-url')\n"
            "with tracing.span('x'):\n    pass\n"
            "assert tracing.enabled()\n"
            "print('opentelemetry.exporter.cloud_trace' in sys.modules, 'opentelemetry.instrumentation.grpc' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=ROOT,
                         env={**os.environ, "TRACE_EXPORTER": "gcp", "PYTHONPATH": str(ROOT)})
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
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=ROOT,
                         env={**os.environ, "TRACE_EXPORTER": "file", "TRACE_DIR": str(tmp_path),
                              "PYTHONPATH": str(ROOT)})
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["True", "['httpx']"]
