"""The Gemini engine's reading of the API's answers, without a server (common/engines/gemini.py)."""
from __future__ import annotations


def test_retry_after_is_read_from_the_header_or_from_retry_info():
    from types import SimpleNamespace

    from common.engines.gemini_calls import retry_after as _retry_after

    assert _retry_after(SimpleNamespace(response=SimpleNamespace(headers={"retry-after": "3"}), details={})) == 3.0
    info = {"error": {"details": [{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "17s"}]}}
    assert _retry_after(SimpleNamespace(response=None, details=info)) == 17.0
    assert _retry_after(SimpleNamespace(response=None, details={"error": {}})) is None
