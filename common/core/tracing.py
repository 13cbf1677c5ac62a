"""Traces: one per job, across the functions (OpenTelemetry), and the trace fields of every log line.

W3C trace context comes in on `traceparent` (or Cloud Run's X-Cloud-Trace-Context), goes out in the
headers of the Cloud Tasks a function creates, and is stored on the job (`traceparent`), so a
finalize event, the watchdog and the event streams find the trace of the job they touch.

TRACE_EXPORTER picks where spans go: "gcp" (Cloud Trace), "file" (JSON lines in TRACE_DIR, read by
`./run trace`), "none". With "none" the SDK is never imported and every span here is a no-op, but
log lines still carry the caller's trace, so Cloud Logging groups them all the same.
"""
from __future__ import annotations

import contextlib
import importlib
import sys
import threading
from pathlib import Path
from typing import Any, Iterator, Mapping

from common.core import logs, trace_export
from common.core.trace_ids import Ids, from_headers, parse_traceparent
from common.core.settings import get_settings

log = logs.get_logger(__name__)

_setup_lock = threading.RLock()  # setup() instruments httpx while holding it
_tracer = None  # an OpenTelemetry tracer once setup() found an exporter; None: spans are no-ops


def setup(service: str) -> None:
    """Install the tracer provider for this process (first call wins); nothing when TRACE_EXPORTER=none."""
    global _tracer
    settings = get_settings()
    if settings.cloud.trace_exporter == "none" or _tracer is not None:
        return
    with _setup_lock:
        if _tracer is not None:
            return
        # Imported here, and only with tracing on: the SDK and its instrumentations cost cold start.
        from opentelemetry import trace
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor
        from opentelemetry.sdk.trace.sampling import ParentBased, TraceIdRatioBased

        provider = TracerProvider(sampler=ParentBased(TraceIdRatioBased(settings.cloud.trace_sample_ratio)),
                                  resource=Resource.create({"service.name": service}))
        provider.add_span_processor(_job_on_spans())
        if settings.cloud.trace_exporter == "gcp":
            provider.add_span_processor(BatchSpanProcessor(trace_export.CloudTrace(settings.cloud.google_cloud_project)))
        else:
            # Written in the processor's thread, a fifth of a second after they end: never by the
            # request that ended them (a stream's first bytes wait for nothing).
            provider.add_span_processor(BatchSpanProcessor(trace_export.FileExporter(Path(settings.cloud.trace_dir)),
                                                           schedule_delay_millis=200))
        trace.set_tracer_provider(provider)
        # The libraries' instrumentations would put our trace on every outgoing request (Expo, a
        # webhook's receiver, Google's APIs): context goes only where we send it (tasks.py).
        from opentelemetry.propagate import set_global_textmap
        from opentelemetry.propagators.composite import CompositePropagator

        set_global_textmap(CompositePropagator([]))
        global _service
        _service = service
        _tracer = trace.get_tracer("omakase")
        if "httpx" in sys.modules:
            instrument("httpx")


# Each library's instrumentation (its module, its instrumentor): applied by `instrument` where the
# library's client is built, so a function that never builds one never imports either.
_INSTRUMENTATIONS = {
    "httpx": ("opentelemetry.instrumentation.httpx", "HTTPXClientInstrumentor"),  # Expo (webhooks stay plain)
    "botocore": ("opentelemetry.instrumentation.botocore", "BotocoreInstrumentor"),  # R2 uploads
    "grpc": ("opentelemetry.instrumentation.grpc", "GrpcInstrumentorClient"),  # Firestore, Cloud Tasks
}
_instrumented: set[str] = set()
_service = ""


# gRPC client spans only where a job runs: there each Firestore commit is worth seeing. Elsewhere its
# instrumentation's import (0.3 s, bench/cold_start.py) would land on a first request, and on the
# event streams a Firestore listener is one gRPC stream for the instance's life: a span never ending.
_GRPC_SPANS = ("run_scan", "scan_stream", "notify")


def instrument(library: str) -> None:
    """Client spans for a library, from its own instrumentation; called before its first client is
    built. Nothing with tracing off, nothing twice."""
    if _tracer is None or library in _instrumented:
        return
    if library == "grpc" and not _service.replace("-", "_").startswith(_GRPC_SPANS):
        return
    with _setup_lock:
        if library in _instrumented:
            return
        _instrumented.add(library)
        module, instrumentor = _INSTRUMENTATIONS[library]
        try:
            getattr(importlib.import_module(module), instrumentor)().instrument()
        except ImportError:
            pass  # the deployed function does not ship it: no client spans for that library


def plain(client) -> None:
    """An httpx client whose requests make no client spans (their URLs are not ours to record)."""
    if "httpx" not in _instrumented:
        return

    def detach() -> None:
        from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor

        HTTPXClientInstrumentor.uninstrument_client(client)

    _safely("plain", detach)


def enabled() -> bool:
    return _tracer is not None


def _job_on_spans():
    """A span processor: every span started while a job is in context carries its id, the
    libraries' spans too."""
    from opentelemetry.sdk.trace import SpanProcessor

    class JobOnSpans(SpanProcessor):
        def on_start(self, span, parent_context=None) -> None:
            job_id = logs.job_id_var.get()
            if job_id:
                span.set_attribute("job_id", job_id)

    return JobOnSpans()


# -- spans --------------------------------------------------------------------------------------
def _ids(span) -> Ids:
    ctx = span.get_span_context()
    return Ids(f"{ctx.trace_id:032x}", f"{ctx.span_id:016x}", bool(ctx.trace_flags & 1))


def _context(ids: Ids):
    """An OpenTelemetry context whose parent is `ids` (a remote span)."""
    from opentelemetry import trace
    from opentelemetry.trace import NonRecordingSpan

    return trace.set_span_in_context(NonRecordingSpan(_span_context(ids)))


def _span_context(ids: Ids):
    from opentelemetry.trace import SpanContext, TraceFlags

    return SpanContext(int(ids.trace_id, 16), int(ids.span_id, 16), is_remote=True,
                       trace_flags=TraceFlags(1 if ids.sampled else 0))


def current() -> Ids | None:
    """The trace this code runs in: the current span's, else the caller's (tracing off)."""
    if _tracer is not None:
        from opentelemetry import trace

        ctx = trace.get_current_span().get_span_context()
        if ctx.is_valid:
            return Ids(f"{ctx.trace_id:032x}", f"{ctx.span_id:016x}", bool(ctx.trace_flags & 1))
    return logs.trace_var.get()


def headers() -> dict:
    """Headers that carry this trace to the next hop (a Cloud Task's request)."""
    ids = current()
    return {"traceparent": ids.traceparent} if ids else {}


def _safely(what: str, fn, *args, **kwargs):
    """Tracing must never fail the work it watches: an error in it is logged once and ignored."""
    try:
        return fn(*args, **kwargs)
    except Exception as exc:  # noqa: BLE001
        if what not in _failed:
            _failed.add(what)
            log.warning("tracing failed; the work goes on", where=what, error=f"{type(exc).__name__}: {exc}"[:200])
        return None


_failed: set[str] = set()


@contextlib.contextmanager
def span(name: str, *, parent: Ids | None = None, links: tuple[Ids, ...] = (), kind: str = "INTERNAL",
         **attributes: Any) -> Iterator[Any]:
    """A span around a stage; an exception marks it an error with the exception's code.

    `parent` starts it under another span than the current one (a remote one: the caller's, or
    the job's creation). Yields the SDK span, or None with tracing off (or broken).
    """
    started = _safely("start", _start, name, parent, links, kind, attributes) if _tracer is not None else None
    if started is None:
        token = logs.trace_var.set(parent) if parent is not None else None
        try:
            yield None
        finally:
            if token is not None:
                logs.trace_var.reset(token)
        return
    manager, sp = started
    token = logs.trace_var.set(_ids(sp))
    try:
        yield sp
    except BaseException as exc:
        fail(sp, exc)
        logs.trace_var.reset(token)
        _safely("end", manager.__exit__, type(exc), exc, exc.__traceback__)
        raise
    logs.trace_var.reset(token)
    _safely("end", manager.__exit__, None, None, None)


def _start(name: str, parent: Ids | None, links: tuple[Ids, ...], kind: str, attributes: dict):
    from opentelemetry.trace import SpanKind

    ctx = _context(parent) if parent is not None else None
    manager = _tracer.start_as_current_span(name, context=ctx, kind=SpanKind[kind],
                                            links=[_link_of(i) for i in links], attributes=_clean(attributes),
                                            record_exception=False, set_status_on_exception=False)
    return manager, manager.__enter__()


def _link_of(ids: Ids):
    from opentelemetry.trace import Link

    return Link(_span_context(ids))


def _clean(attributes: dict) -> dict:
    return {k: v for k, v in attributes.items() if v is not None}


def fail(sp, exc: BaseException | None = None, code: str | None = None, message: str = "") -> None:
    """Mark a span failed, with the error's code (an AppError's or ScanError's, else its type)."""
    if sp is not None:
        _safely("fail", _mark_failed, sp, exc, code, message)


def _mark_failed(sp, exc: BaseException | None, code: str | None, message: str) -> None:
    from opentelemetry.trace import Status, StatusCode

    code = code or getattr(exc, "code", None) or type(exc).__name__
    message = message or str(getattr(exc, "message", "") or "")
    sp.set_attribute("error.code", code)
    if message:
        sp.set_attribute("error.message", message[:300])
    sp.set_status(Status(StatusCode.ERROR, code))


def fail_current(exc: BaseException) -> None:
    """Mark the current span failed with the error's code (a job's run that ends failed)."""
    if _tracer is None:
        return
    from opentelemetry import trace

    fail(trace.get_current_span(), exc)


def annotate(**attributes: Any) -> None:
    """Attributes on the current span (a job id learnt mid-request); nothing with tracing off."""
    if _tracer is None:
        return
    from opentelemetry import trace

    _safely("annotate", lambda: trace.get_current_span().set_attributes(_clean(attributes)))


def link_job(job_id: str, traceparent: str | None) -> None:
    """Link the current span (a snapshot or event-stream request) to the trace of the job it reads."""
    if _tracer is None:
        return
    from opentelemetry import trace

    def link() -> None:
        sp = trace.get_current_span()
        # Not job_id: that marks the spans of the job's own trace; a read belongs to its reader's.
        sp.set_attribute("linked_job_id", job_id)
        ids = parse_traceparent(traceparent)
        if ids is not None and sp.is_recording():
            sp.add_link(_span_context(ids))

    _safely("link", link)


@contextlib.contextmanager
def request(name: str, incoming: Mapping[str, str], trusted: bool = True, links: tuple[Ids, ...] = (),
            **attributes: Any) -> Iterator[Any]:
    """The server span of one request: under the caller's trace when it sent one and is `trusted`
    (its sampled flag is then followed), else the root of a new trace; linked to `links` (the
    trace a client of the Worker sent, which the Worker replaced with its own)."""
    with span(name, parent=from_headers(incoming) if trusted else None, links=links, kind="SERVER",
              **attributes) as sp:
        yield sp


def answered(sp, status: int | None) -> None:
    """The response on the request's span: its status code; a 5xx also an error."""
    if sp is None or status is None:
        return

    def record() -> None:
        sp.set_attribute("http.response.status_code", status)
        if status >= 500:
            _mark_failed(sp, None, f"HTTP_{status}", "")

    _safely("answered", record)


def flush(timeout_s: float = 2.0) -> None:
    """Export what has ended now: at the end of a run, before the platform may take the CPU away."""
    if _tracer is None:
        return
    from opentelemetry import trace

    _safely("flush", lambda: trace.get_tracer_provider().force_flush(int(timeout_s * 1000)))


@contextlib.contextmanager
def job_run(traceparent: str | None, trigger: str) -> Iterator[Any]:
    """A run's span in its job's trace (`traceparent`, stored at its creation): under the delivery when
    that carries the job's trace (a task), else under the creation, linked to the delivery (a
    finalize event, the watchdog)."""
    stored = parse_traceparent(traceparent)
    here = current()
    if stored is None or (here is not None and here.trace_id == stored.trace_id):
        with span("scan.run", trigger=trigger) as sp:
            yield sp
    else:
        with span("scan.run", parent=stored, links=(here,) if here else (), trigger=trigger) as sp:
            yield sp


