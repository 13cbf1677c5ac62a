"""A job's trace as a waterfall on the terminal, from the span files the local stack writes.

    ./run trace JOB_ID [--dir .traces]

Each line is one span: its start from the trace's first span, its duration, its status (an error's
code), the function that made it, its name, and a bar. `*` marks the slowest path: from the span that
ends last, down through the child that ends last at each level, the chain that decided how long the
job took. Requests that only link to the trace (snapshot and event-stream reads) follow it.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from devstack.stack import ROOT

DEFAULT_DIR = ROOT / ".traces"
BAR = 32


def load(folder: Path) -> list[dict]:
    """Every span record in the folder's span files; a line cut short by a killed process is skipped."""
    spans = []
    for path in sorted(folder.glob("spans-*.jsonl")):
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            try:
                spans.append(json.loads(line))
            except ValueError:
                continue
    return spans


def of_job(spans: list[dict], job_id: str) -> tuple[list[dict], list[dict]]:
    """(the spans of the job's trace, the spans elsewhere that link to it)."""
    traces = {s["trace_id"] for s in spans if (s.get("attributes") or {}).get("job_id") == job_id}
    own = [s for s in spans if s["trace_id"] in traces]
    linked = [s for s in spans if s["trace_id"] not in traces
              and ((s.get("attributes") or {}).get("linked_job_id") == job_id
                   or any(link["trace_id"] in traces for link in s.get("links") or ()))]
    return own, linked


def slowest_path(spans: list[dict]) -> set[str]:
    """Span ids on the chain that ends last: the root ending last, then its child ending last, and so on."""
    ids = {s["span_id"] for s in spans}
    children: dict[str | None, list[dict]] = {}
    for s in spans:
        children.setdefault(s["parent_id"] if s["parent_id"] in ids else None, []).append(s)
    path, level = set(), children.get(None, [])
    while level:
        last = max(level, key=lambda s: s["end_ns"])
        path.add(last["span_id"])
        level = children.get(last["span_id"], [])
    return path


def _ordered(spans: list[dict]) -> list[tuple[int, dict]]:
    """Depth-first, children by start time: (depth, span)."""
    ids = {s["span_id"] for s in spans}
    children: dict[str | None, list[dict]] = {}
    for s in spans:
        children.setdefault(s["parent_id"] if s["parent_id"] in ids else None, []).append(s)
    out: list[tuple[int, dict]] = []

    def walk(parent: str | None, depth: int) -> None:
        for s in sorted(children.get(parent, []), key=lambda s: s["start_ns"]):
            out.append((depth, s))
            walk(s["span_id"], depth + 1)

    walk(None, 0)
    return out


def render(spans: list[dict], linked: list[dict] = (), job_id: str = "") -> str:
    """The waterfall as text."""
    if not spans:
        return f"no spans for job {job_id} (is the stack's TRACE_EXPORTER file, and TRACE_DIR this folder?)"
    t0 = min(s["start_ns"] for s in spans)
    t1 = max(s["end_ns"] for s in spans)
    total = max(t1 - t0, 1)
    hot = slowest_path(spans)
    traces = sorted({s["trace_id"] for s in spans})
    errors = sum(s["status"] == "ERROR" for s in spans)
    lines = [f"job {job_id}  trace {', '.join(traces)}  {len(spans)} spans, {total / 1e9:.2f} s"
             f"{f', {errors} failed' if errors else ''}  (* the slowest path)",
             f"{'start':>9} {'duration':>9}  {'status':<16} {'':1} {'function':<18} {'':{BAR + 2}} span"]
    for depth, s in _ordered(spans):
        lines.append(_line(s, depth, t0, total, s["span_id"] in hot))
    if linked:
        lines.append("requests linked to this trace:")
        for s in sorted(linked, key=lambda s: s["start_ns"]):
            lines.append(_line(s, 0, t0, total, False))
    return "\n".join(lines)


def _line(s: dict, depth: int, t0: int, total: int, hot: bool) -> str:
    start, dur = (s["start_ns"] - t0) / 1e6, (s["end_ns"] - s["start_ns"]) / 1e6
    status = "ok" if s["status"] != "ERROR" else f"ERROR {s.get('status_message') or ''}".strip()
    a = max(0, min(BAR - 1, int((s["start_ns"] - t0) / total * BAR)))
    b = max(a + 1, min(BAR, int(round((s["end_ns"] - t0) / total * BAR))))
    bar = " " * a + "█" * (b - a) + " " * (BAR - b)
    return (f"{start:>7.0f}ms {dur:>7.0f}ms  {status[:16]:<16} {'*' if hot else ' '} {s['service'][:18]:<18} "
            f"|{bar}| {'  ' * depth}{s['name']}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="./run trace", description=__doc__.split("\n\n")[0])
    ap.add_argument("job_id")
    ap.add_argument("--dir", type=Path, default=DEFAULT_DIR, help=f"the span files' folder (default {DEFAULT_DIR})")
    args = ap.parse_args(argv)
    own, linked = of_job(load(args.dir), args.job_id)
    print(render(own, linked, args.job_id))
    return 0 if own else 1


if __name__ == "__main__":
    sys.exit(main())
