"""One Gemini request as the engine sees it: its chunks read against the deadline, its finish reason,
its errors sorted into retryable, final, and "this model is gone" (NOT_FOUND: fall back at once)."""
from __future__ import annotations

import queue
import threading
import time
from typing import Callable, Iterator, TypeVar

from common.core.errors import ScanError
from common.core.retry import Retryable, Spent

T = TypeVar("T")

# The SDK raises its HTTP library's errors, not genai ones; it may use httpx or httpx2. CUT: a
# connection that broke mid-answer (a stream cut off), retried like a 5xx.
TIMEOUTS: tuple[type[BaseException], ...] = ()
CUT: tuple[type[BaseException], ...] = ()
for _name in ("httpx", "httpx2"):
    try:
        _lib = __import__(_name)
    except ImportError:
        continue
    TIMEOUTS += (_lib.TimeoutException, _lib.ConnectError)
    CUT += (_lib.TransportError,)

BLOCKS = ("SAFETY", "PROHIBITED_CONTENT", "BLOCKLIST", "SPII", "IMAGE_SAFETY", "IMAGE_PROHIBITED_CONTENT")
# What the API says of a model name it no longer (or never) serves: 404 NOT_FOUND, "is not found for
# API version"; a shut-down model may also be refused as retired or deprecated.
_GONE_WORDS = ("not found", "retired", "no longer available", "has been deprecated", "shut down")


class ModelUnavailable(Exception):
    """The model name is unknown or retired: no retry can help; the fallback model is tried at once."""

    def __init__(self, model: str, message: str):
        super().__init__(message)
        self.model, self.message = model, message


def api_error(exc, code: str = "VLM_FAILED", model: str = "") -> Exception:
    """The SDK's APIError as Retryable (429, 5xx, 408), ModelUnavailable (404, retired) or ScanError."""
    status = int(getattr(exc, "code", 0) or 0)
    text = f"{exc.message or exc.status}"
    if status == 429 or status >= 500 or status == 408:
        return Retryable(code, f"Gemini answered {status}: {text}", retry_after_s=retry_after(exc))
    if status == 404 or (status in (400, 403, 410) and any(w in text.lower() for w in _GONE_WORDS)):
        return ModelUnavailable(model, f"Gemini does not serve {model!r} ({status}): {text}")
    return ScanError(code, f"Gemini refused the request ({status}): {text}")


def retry_after(exc) -> float | None:
    """How long Gemini asked us to wait: the Retry-After header, or the error's RetryInfo ("17s")."""
    headers = getattr(getattr(exc, "response", None), "headers", None) or {}
    raw = headers.get("retry-after") if hasattr(headers, "get") else None
    if raw:
        try:
            return max(0.0, float(raw))
        except ValueError:
            pass  # an HTTP date: not sent by Gemini; fall back to the body
    details = exc.details if isinstance(exc.details, dict) else {}
    for detail in (details.get("error") or {}).get("details") or []:
        delay = str(detail.get("retryDelay") or "") if isinstance(detail, dict) else ""
        if delay.endswith("s"):
            try:
                return max(0.0, float(delay[:-1]))
            except ValueError:
                continue
    return None


def until(open_stream: Callable[[], Iterator[T]], deadline: float) -> Iterator[T]:
    """The stream's chunks, read in a thread of its own, until the deadline.

    The HTTP timeout is per read: a stream that stalls after each chunk would never trip it. At the
    deadline (or when the reader stops early: a loop, a lost lease) the reader is left behind, stops
    at its next chunk, and closes the stream: nothing more is paid for.
    """
    arrivals: queue.SimpleQueue = queue.SimpleQueue()
    abandoned = threading.Event()

    def pump() -> None:
        stream = None
        try:
            stream = open_stream()
            for chunk in stream:
                if abandoned.is_set():
                    break
                arrivals.put(("chunk", chunk))
            arrivals.put(("end", None))
        except BaseException as exc:  # noqa: BLE001 - handed to the reading thread as it is
            arrivals.put(("error", exc))
        finally:
            if stream is not None:
                stream.close()

    threading.Thread(target=pump, name="menu-stream", daemon=True).start()
    try:
        while True:
            try:
                kind, value = arrivals.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise Retryable("UPSTREAM_TIMEOUT", "the menu was still being written at the job's deadline") from None
            if kind == "error":
                raise value
            if kind == "end":
                return
            yield value
    finally:
        abandoned.set()


def chunk_text(chunk) -> str:
    """The text parts of a response or stream chunk (chunk.text warns on every chunk without text)."""
    out = []
    for cand in (chunk.candidates or [])[:1]:
        for part in (cand.content.parts if cand.content else None) or []:
            if part.text and not part.thought:
                out.append(part.text)
    return "".join(out)


def finish_reason(resp) -> str | None:
    for cand in resp.candidates or []:
        if cand.finish_reason:
            return getattr(cand.finish_reason, "value", str(cand.finish_reason))
    return None


def blocked(resp) -> str | None:
    """Why the prompt was blocked, or None."""
    feedback = resp.prompt_feedback
    return str(getattr(feedback.block_reason, "value", feedback.block_reason)) if feedback and feedback.block_reason \
        else None


def exhausted(spent: Spent, default_code: str, earlier: int = 0) -> ScanError:
    """The job's error once the budget (and any fallback) is spent, naming the last failure."""
    exc = spent.last
    code = exc.code if exc.code in ("UPSTREAM_TIMEOUT", "RESULT_INVALID") else default_code
    fallback = ", the last on the fallback model" if earlier else ""
    return ScanError(code, f"{exc.message} (gave up after {spent.attempts + earlier} attempt(s){fallback})",
                     recoverable=True)
