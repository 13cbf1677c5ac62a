"""Server-Sent Events: replay every stored event after the client's last id, then follow live, on a
thread (the compatibility stream, Flask) or a coroutine (the events function, ASGI)."""
from __future__ import annotations

import asyncio
import queue
import weakref
from typing import AsyncIterator, Callable, Iterator

from common.api.auth import JobAccess
from common.core import logs, tracing
from common.core.errors import Unavailable
from common.jobs.ids import job_not_found, validate_job_id
from common.streaming.feed import EventFeed
from common.streaming.session import Session

log = logs.get_logger(__name__)
HEADERS = {
    "Cache-Control": "no-cache, no-transform",
    "X-Accel-Buffering": "no",  # tells proxies (and our gateway) not to buffer the stream
    "Connection": "keep-alive",
}


def _known(session: Session, sub, access: JobAccess | None) -> None:
    """404 before any frame for a missing job, and alike for a job the credential does not open."""
    state = session.state
    if session.exists is False or (access is not None and not (
            state and access.permits(state.access_token_hash, state.owner or None, state.id_only_reads))):
        sub.close()
        raise job_not_found(session.job_id)
    if state:
        tracing.link_job(session.job_id, state.traceparent)


def stream(feed: EventFeed, job_id: str, after: int, *, heartbeat_s: float, max_s: float, retry_ms: int,
           access: JobAccess | None = None, first_state_s: float = 10.0) -> Iterator[str]:
    """Frames until `done`, or `timeout` before max_s so the client resumes; NotFound before any frame.

    `access` is the reader's credential; None only where the server itself opened the job (the
    compatibility stream answers the request that created it).
    """
    session = Session(validate_job_id(job_id), after, heartbeat_s=heartbeat_s, max_s=max_s, retry_ms=retry_ms)
    arrivals: queue.SimpleQueue = queue.SimpleQueue()
    sub = feed.subscribe(job_id, arrivals.put)
    try:
        first = session.on_message(arrivals.get(timeout=first_state_s))
    except queue.Empty:
        sub.close()
        raise Unavailable("the job store did not answer in time; retry") from None
    _known(session, sub, access)
    frames = _frames(session, sub, arrivals, first)
    weakref.finalize(frames, sub.close)
    return frames


def _frames(session: Session, sub, arrivals: queue.SimpleQueue, first: list[str]) -> Iterator[str]:
    with sub:
        yield session.opening()
        yield from first
        while not session.finished:
            if session.needs_catch_up():
                sub.catch_up(session.last)
            try:
                msg = arrivals.get(timeout=session.wait_s())
            except queue.Empty:
                idle = session.on_idle()
                if idle:
                    yield idle
                continue
            yield from session.on_message(msg)


async def astream(feed: EventFeed, job_id: str, after: int, *, heartbeat_s: float, max_s: float, retry_ms: int,
                  access: JobAccess | None = None, first_state_s: float = 10.0,
                  on_close: Callable[[], None] | None = None) -> AsyncIterator[str]:
    """stream() for an asyncio server: no thread per client; NotFound is raised before any frame.

    `on_close` runs once when the stream ends, whichever way (done, the client leaving, a drop)."""
    session = Session(validate_job_id(job_id), after, heartbeat_s=heartbeat_s, max_s=max_s, retry_ms=retry_ms)
    loop = asyncio.get_running_loop()
    arrivals: asyncio.Queue = asyncio.Queue()
    sub = feed.subscribe(job_id, lambda msg: loop.call_soon_threadsafe(arrivals.put_nowait, msg))
    try:
        first = session.on_message(await asyncio.wait_for(arrivals.get(), first_state_s))
    except asyncio.TimeoutError:
        sub.close()
        raise Unavailable("the job store did not answer in time; retry") from None
    _known(session, sub, access)
    frames = _aframes(session, sub, arrivals, first, on_close)
    weakref.finalize(frames, sub.close)  # a response dropped before its first chunk never runs finally
    if on_close is not None:
        weakref.finalize(frames, on_close)
    return frames


async def _aframes(session: Session, sub, arrivals: asyncio.Queue, first: list[str],
                   on_close: Callable[[], None] | None = None) -> AsyncIterator[str]:
    try:
        yield session.opening()
        for f in first:
            yield f
        while not session.finished:
            if session.needs_catch_up():
                sub.catch_up(session.last)
            try:
                msg = await asyncio.wait_for(arrivals.get(), timeout=session.wait_s())
            except asyncio.TimeoutError:
                idle = session.on_idle()
                if idle:
                    yield idle
                continue
            for f in session.on_message(msg):
                yield f
    finally:
        sub.close()
        if on_close is not None:
            on_close()
