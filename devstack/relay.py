"""Eventarc's part, locally: GCS finalize notifications (Pub/Sub) become CloudEvents posted to run_scan.

Acks only after a 2xx, so a failed delivery is redelivered, as Eventarc does.
"""
from __future__ import annotations

import argparse
import base64
import json
import logging
import os
import time
from concurrent.futures import ThreadPoolExecutor

import httpx

log = logging.getLogger("relay")


def to_cloudevent(message: dict) -> tuple[dict, bytes] | None:
    attrs = message.get("attributes") or {}
    raw = base64.b64decode(message.get("data") or "")
    try:
        obj = json.loads(raw or b"{}")
    except ValueError:
        obj = {}
    bucket = obj.get("bucket") or attrs.get("bucketId")
    name = obj.get("name") or attrs.get("objectId")
    event_type = attrs.get("eventType", "OBJECT_FINALIZE")
    if not bucket or not name or event_type != "OBJECT_FINALIZE":
        return None
    obj.setdefault("bucket", bucket)
    obj.setdefault("name", name)
    headers = {
        "ce-id": message.get("messageId", ""),
        "ce-specversion": "1.0",
        "ce-type": "google.cloud.storage.object.v1.finalized",
        "ce-source": f"//storage.googleapis.com/projects/_/buckets/{bucket}",
        "ce-subject": f"objects/{name}",
        "ce-time": message.get("publishTime") or time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "content-type": "application/json",
    }
    # Eventarc sends a Google OIDC token; the local stand-in is the stack's shared secret.
    if os.environ.get("INTERNAL_SECRET"):
        headers["x-internal-secret"] = os.environ["INTERNAL_SECRET"]
    return headers, json.dumps(obj).encode()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--subscription", required=True)
    ap.add_argument("--target", required=True)
    args = ap.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s relay %(message)s")
    base = f"http://{os.environ['PUBSUB_EMULATOR_HOST']}/v1/{args.subscription}"
    client = httpx.Client(timeout=httpx.Timeout(30, read=None))
    pool = ThreadPoolExecutor(max_workers=16)

    def deliver(message: dict, ack_id: str) -> None:
        event = to_cloudevent(message["message"])
        ok = True
        if event is not None:
            headers, body = event
            try:
                ok = client.post(args.target, headers=headers, content=body).status_code < 300
            except httpx.HTTPError as exc:
                log.warning("delivery failed: %s", exc)
                ok = False
        if ok:
            client.post(f"{base}:acknowledge", json={"ackIds": [ack_id]})
            # Tests wait on this line: a finalize event's whole run is over once it is written.
            log.info("delivered %s", json.loads(body)["name"] if event is not None else "(not an object event)")
        else:  # make it due again now; the emulator redelivers
            client.post(f"{base}:modifyAckDeadline", json={"ackIds": [ack_id], "ackDeadlineSeconds": 1})

    log.info("relay ready")
    while True:
        try:
            resp = client.post(f"{base}:pull", json={"maxMessages": 50})
            messages = resp.json().get("receivedMessages") or []
        except (httpx.HTTPError, ValueError) as exc:
            log.warning("pull failed: %s", exc)
            time.sleep(0.5)
            continue
        for m in messages:
            pool.submit(deliver, m, m["ackId"])
        if not messages:
            time.sleep(0.05)


if __name__ == "__main__":
    main()
