"""The payload of each event type: its shape lives here and nowhere else (docs/events.md)."""
from __future__ import annotations

from typing import Any

STEPS = ("uploading", "analyzing", "generating_images", "finalizing")
# status.progress (0-100) at each step, which the app shows as a bar: it only ever grows.
PROGRESS = {"uploading": 5, "analyzing": 20, "reading": 40, "generating_images": 60, "finalizing": 95}
TYPES = ("status", "menu_data", "image_update", "result", "error", "done")  # result: a profile's (docs/profiles.md)


def status(step: str, message: str, session_id: str, progress: int | None = None) -> dict:
    assert step in STEPS, step
    return {"step": step, "message": message, "progress": PROGRESS[step] if progress is None else progress,
            "session_id": session_id}


def menu_data(session_id: str, items: list[dict], **extra: Any) -> dict:
    return {"session_id": session_id, "items": items, **extra}


def image_update(session_id: str, item_id: str, image_status: str, image_url: str | None,
                 error: dict | None = None, kind: str | None = None, reused: bool = False) -> dict:
    """image_status: generating, then ready or failed (a failure says why in image_error {code, message});
    a ready one says what it is in image_kind ("illustration": drawn, not a photo of the dish); reused: the
    picture was drawn for an earlier job, and no image model was called for it."""
    data = {"session_id": session_id, "item_id": item_id, "image_status": image_status, "image_url": image_url}
    if error:
        data["image_error"] = error
    if kind:
        data["image_kind"] = kind
    if reused:
        data["reused"] = True
    return data


def error(code: str, message: str, recoverable: bool) -> dict:
    return {"code": code, "message": message, "recoverable": recoverable}


def done(status_: str, session_id: str, summary: dict, **extra: Any) -> dict:
    return {"status": status_, "session_id": session_id, "summary": summary, **extra}


