"""W3C trace context ids: parsed from a request (traceparent, or Cloud Run's X-Cloud-Trace-Context),
minted at the edge (every request's trace is the edge's own; a client's comes along to be linked), and
carried on every log line; no OpenTelemetry import."""
from __future__ import annotations

import os
import random
import re
from dataclasses import dataclass
from typing import Mapping

_TRACEPARENT = re.compile(r"^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$")
_CLOUD_TRACE = re.compile(r"^([0-9a-fA-F]{32})(?:/([0-9]{1,20}))?(?:;o=([0-9]+))?$")


@dataclass(frozen=True)
class Ids:
    """A span's place in a trace, as W3C trace context carries it."""

    trace_id: str  # 32 hex digits
    span_id: str  # 16 hex digits
    sampled: bool

    @property
    def traceparent(self) -> str:
        return f"00-{self.trace_id}-{self.span_id}-{'01' if self.sampled else '00'}"


def mint(sample_ratio: float) -> Ids:
    """A new trace's root ids, sampled with the given probability."""
    return Ids(os.urandom(16).hex(), os.urandom(8).hex(), random.random() < sample_ratio)


def parse_traceparent(value: str | None) -> Ids | None:
    """Ids from a traceparent header value; None when it is absent or malformed (W3C: then ignore it)."""
    m = _TRACEPARENT.match((value or "").strip().lower())
    if not m or m.group(1) == "0" * 32 or m.group(2) == "0" * 16:
        return None
    return Ids(m.group(1), m.group(2), bool(int(m.group(3), 16) & 1))


def from_headers(headers: Mapping[str, str]) -> Ids | None:
    """The caller's trace: traceparent first, else Google's X-Cloud-Trace-Context (TRACE/SPAN;o=1)."""
    ids = parse_traceparent(headers.get("traceparent"))
    if ids is not None:
        return ids
    m = _CLOUD_TRACE.match((headers.get("x-cloud-trace-context") or "").strip())
    if not m or int(m.group(1), 16) == 0:
        return None
    span = int(m.group(2) or 0) & (2 ** 64 - 1)
    return Ids(m.group(1).lower(), f"{span or 1:016x}", m.group(3) == "1")


# -- the SDK, when an exporter is configured ---------------------------------------------------
