"""Structured JSON logs carrying request_id and job_id from context."""
from __future__ import annotations

import contextvars
import json
import logging
import sys
import time

request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="")
# The id the client gave its request, passed on by the Worker: logged beside ours, never in its place.
client_request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("client_request_id", default="")
job_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("job_id", default="")
# The current span's place in its trace (core/trace_ids.Ids), kept by core/tracing.py.
trace_var: contextvars.ContextVar = contextvars.ContextVar("trace", default=None)
_project = ""

_SEVERITY = {"WARNING": "WARNING", "ERROR": "ERROR", "CRITICAL": "CRITICAL", "DEBUG": "DEBUG"}


class JsonFormatter(logging.Formatter):
    """One JSON object a line, in the shape Cloud Logging parses (severity, message)."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "severity": _SEVERITY.get(record.levelname, "INFO"),
            "message": record.getMessage(),
            "logger": record.name,
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
        }
        rid = getattr(record, "request_id", None) or request_id_var.get()
        jid = getattr(record, "job_id", None) or job_id_var.get()
        if rid:
            entry["request_id"] = rid
        client_rid = client_request_id_var.get()
        if client_rid:
            entry["client_request_id"] = client_rid
        if jid:
            entry["job_id"] = jid
        ids = trace_var.get()
        if ids is not None:
            # The fields Cloud Logging groups a trace's lines by, and links to Cloud Trace with.
            entry["logging.googleapis.com/trace"] = f"projects/{_project}/traces/{ids.trace_id}"
            entry["logging.googleapis.com/spanId"] = ids.span_id
            entry["logging.googleapis.com/trace_sampled"] = ids.sampled
        fields = getattr(record, "fields", None)
        if fields:
            entry.update(fields)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        # One entry, one line, for every reader: JSON leaves U+0085, U+2028 and U+2029 raw, and many
        # line readers (Python's splitlines among them) break a line there; a request path can hold them.
        return json.dumps(entry, ensure_ascii=False, default=str).translate(_LINE_BREAKS)


_LINE_BREAKS = {0x85: "\\u0085", 0x2028: "\\u2028", 0x2029: "\\u2029"}


_configured = False


def configure(level: str = "INFO", project: str = "") -> None:
    """Route the root logger to stdout as JSON; idempotent. `project` names the traces' project."""
    global _configured, _project
    _project = project or _project
    if _configured:
        return
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for noisy in ("urllib3", "botocore", "google.auth", "httpx", "httpx2", "httpcore",
                  "httpcore2", "grpc", "google_genai"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    _configured = True


def get_logger(name: str) -> logging.LoggerAdapter:
    return _FieldsAdapter(logging.getLogger(name), {})


class _FieldsAdapter(logging.LoggerAdapter):
    """log.info("msg", vlm_ms=12) puts vlm_ms into the JSON entry."""

    def log(self, level, msg, *args, exc_info=None, **fields):  # type: ignore[override]
        if self.isEnabledFor(level):
            self.logger.log(level, msg, *args, exc_info=exc_info, extra={"fields": fields})

    def debug(self, msg, *args, **kw):  # type: ignore[override]
        self.log(logging.DEBUG, msg, *args, **kw)

    def info(self, msg, *args, **kw):  # type: ignore[override]
        self.log(logging.INFO, msg, *args, **kw)

    def warning(self, msg, *args, **kw):  # type: ignore[override]
        self.log(logging.WARNING, msg, *args, **kw)

    def error(self, msg, *args, **kw):  # type: ignore[override]
        self.log(logging.ERROR, msg, *args, **kw)

    def exception(self, msg, *args, **kw):  # type: ignore[override]
        self.log(logging.ERROR, msg, *args, exc_info=True, **kw)
