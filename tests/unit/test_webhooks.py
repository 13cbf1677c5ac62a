"""What a webhook carries (common/notify/webhooks.py)."""
from __future__ import annotations

import base64
import json
import os

import pytest


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


def test_during_a_secret_rotation_every_secret_signs_and_a_receiver_holding_either_verifies(monkeypatch):
    from standardwebhooks.webhooks import Webhook, WebhookVerificationError

    from common.core.settings import reset_settings
    from common.notify import webhooks

    old, new, stranger = ("whsec_" + base64.b64encode(os.urandom(24)).decode() for _ in range(3))
    monkeypatch.setenv("WEBHOOK_SECRETS", f"{new} {old}")
    reset_settings()
    payload = webhooks.body("j1", "completed", {"job_id": "j1", "status": "completed"}, "https://x.example/j1")
    headers = {k.lower(): v for k, v in webhooks.headers(webhooks.message_id("j1"), payload).items()}
    assert headers["webhook-id"] == "msg_j1" and len(headers["webhook-signature"].split(" ")) == 2
    for secret in (new, old):
        assert Webhook(secret).verify(payload, headers)["data"] == {"job_id": "j1", "status": "completed"}
    with pytest.raises(WebhookVerificationError):
        Webhook(stranger).verify(payload, headers)
