"""A job's timeline as ./run trace prints it (devstack/waterfall.py)."""
from __future__ import annotations

from devstack import waterfall


def _span(span_id, parent, start, end, name=None, status="UNSET"):
    return {"trace_id": "t" * 32, "span_id": span_id, "parent_id": parent, "name": name or span_id,
            "service": "svc", "kind": "INTERNAL", "start_ns": start * 10**6, "end_ns": end * 10**6,
            "status": status, "status_message": "VLM_FAILED" if status == "ERROR" else None,
            "attributes": {}, "links": []}


def test_the_slowest_path_follows_the_child_that_ends_last_at_each_level():
    spans = [_span("root", "remote", 0, 100), _span("a", "root", 0, 30), _span("b", "root", 10, 95),
             _span("b1", "b", 10, 40), _span("b2", "b", 40, 90), _span("a1", "a", 0, 29)]
    assert waterfall.slowest_path(spans) == {"root", "b", "b2"}
    text = waterfall.render(spans + [_span("c", "root", 50, 60, status="ERROR")], job_id="j")
    rows = text.splitlines()[2:]
    assert [r.split()[-1] for r in rows] == ["root", "a", "a1", "b", "b1", "b2", "c"]  # depth first, by start
    assert [" * " in r for r in rows] == [True, False, False, True, False, True, False]
    assert "ERROR VLM_FAILED" in rows[-1] and "1 failed" in text.splitlines()[0]
