"""What a webhook carries (common/notify/webhooks.py)."""
from __future__ import annotations

import json


def test_a_snapshot_too_large_for_one_message_goes_as_a_summary_with_its_url(monkeypatch):
    from common.notify import webhooks
    from common.core.settings import reset_settings

    monkeypatch.setenv("WEBHOOK_MAX_BYTES", "2048")
    reset_settings()
    try:
        snapshot = {"job_id": "j1", "status": "completed", "language": "en", "error": None,
                    "summary": {"items_count": 60}, "items": [{"original_name": "炒飯" * 20}] * 60}
        small = {**snapshot, "items": snapshot["items"][:2]}
        url = "https://menu.example.com/api/v2/scan/jobs/j1"
        assert json.loads(webhooks.body("j1", "completed", small, url))["data"] == small
        sent = json.loads(webhooks.body("j1", "completed", snapshot, url))
        assert sent["type"] == "job.completed" and sent["data"]["truncated"] is True
        assert sent["data"]["snapshot_url"] == url and sent["data"]["items_count"] == 60
        assert "items" not in sent["data"]
    finally:
        monkeypatch.undo()
        reset_settings()
