"""Where finished spans go: Cloud Trace, or JSON lines in a folder for `./run trace` (the local stack)."""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

class CloudTrace:
    """Cloud Trace's exporter, imported at its first export, in the batch processor's thread: its
    import (0.6 s) is then off every cold start."""

    def __init__(self, project: str):
        self.project, self._inner = project, None

    def export(self, spans) -> Any:
        if self._inner is None:
            from opentelemetry.exporter.cloud_trace import CloudTraceSpanExporter

            self._inner = CloudTraceSpanExporter(project_id=self.project)
        return self._inner.export(spans)

    def shutdown(self) -> None:
        if self._inner is not None:
            self._inner.shutdown()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return True


class FileExporter:
    """Spans as JSON lines, one file per process (no two writers share a file)."""

    def __init__(self, folder: Path):
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)

    def export(self, spans) -> Any:
        from opentelemetry.sdk.trace.export import SpanExportResult

        lines = "".join(json.dumps(span_record(s), ensure_ascii=False, default=str) + "\n" for s in spans)
        with open(self.folder / f"spans-{os.getpid()}.jsonl", "a", encoding="utf-8") as f:
            f.write(lines)
        return SpanExportResult.SUCCESS

    def shutdown(self) -> None:
        pass

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return True


def span_record(span) -> dict:
    """One finished SDK span as the plain record `./run trace` reads."""
    ctx, parent = span.get_span_context(), span.parent
    return {
        "trace_id": f"{ctx.trace_id:032x}", "span_id": f"{ctx.span_id:016x}",
        "parent_id": f"{parent.span_id:016x}" if parent else None,
        "name": span.name, "service": span.resource.attributes.get("service.name", ""),
        "kind": span.kind.name, "start_ns": span.start_time, "end_ns": span.end_time,
        "status": span.status.status_code.name, "status_message": span.status.description,
        "attributes": dict(span.attributes or {}),
        "links": [{"trace_id": f"{link.context.trace_id:032x}", "span_id": f"{link.context.span_id:016x}"}
                  for link in span.links],
    }
