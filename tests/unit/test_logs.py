"""Log lines: one JSON line each, in the trace and span that wrote them (common/core/logs.py)."""
from __future__ import annotations

import json
import logging

from common.core import logs, tracing


def test_a_log_entry_stays_one_line_whatever_a_request_path_holds():
    record = logging.LogRecord("common.web", logging.INFO, __file__, 1, "request refused", None, None)
    record.fields = {"path": "/api/v2/scan/jobs/\xfc\x85\u2028\u2029\x0b\x1c/x"}
    line = logs.JsonFormatter().format(record)
    assert len(line.splitlines()) == 1
    assert json.loads(line)["path"] == "/api/v2/scan/jobs/\xfc\x85\u2028\u2029\x0b\x1c/x"


def test_a_log_line_names_the_trace_and_span_it_was_written_in():
    logs.configure("INFO", "demo-project")
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "hello", (), None)
    ids = tracing.Ids("4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7", True)
    token = logs.trace_var.set(ids)
    try:
        entry = json.loads(logs.JsonFormatter().format(record))
    finally:
        logs.trace_var.reset(token)
    assert entry["logging.googleapis.com/trace"] == "projects/demo-project/traces/4bf92f3577b34da6a3ce929d0e0e4736"
    assert entry["logging.googleapis.com/spanId"] == "00f067aa0ba902b7"
    assert entry["logging.googleapis.com/trace_sampled"] is True
    assert "logging.googleapis.com/trace" not in json.loads(logs.JsonFormatter().format(record))
