"""Request bodies at the local front, as worker/bodies.js bounds them at the Worker: per route before they
are read, held in memory only when the request may be sent again (routes.json `body`, `replay`)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import AsyncIterator, Callable


class BodyTooLarge(Exception):
    def __init__(self, limit: int):
        super().__init__(f"the request body is over {limit} bytes")
        self.limit = limit


def body_limit(table: dict, kind: str | None, max_upload_bytes: int) -> int:
    """The bound of a route's body: `photo`, the inline photo as base64 plus its JSON; else `json`."""
    limits = table["body_limits"]
    if kind == "photo":
        return (max_upload_bytes * 4) // 3 + limits["framing"]
    return limits["json"]


@dataclass
class Sending:
    """What goes upstream: bytes held whole (may be sent again), or a counting stream (may not)."""

    body: bytes | AsyncIterator[bytes] | None
    replayable: bool
    state: dict = field(default_factory=lambda: {"over": False})

    @property
    def over(self) -> bool:
        """The streamed body passed its bound (whatever error the upstream request reports for it)."""
        return self.state["over"]


async def bounded(headers: dict, chunks: Callable[[], AsyncIterator[bytes]], limit: int, hold: bool,
                  hold_max: int) -> Sending:
    """The body to send on; BodyTooLarge for a declared or counted size past `limit`."""
    declared = headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge(limit)
    source = chunks().__aiter__()
    held: list[bytes] = []
    size = 0
    if hold:
        async for chunk in source:
            size += len(chunk)
            if size > limit:
                raise BodyTooLarge(limit)
            held.append(chunk)
            if size > hold_max:
                break  # too large to hold: the rest streams through
        else:
            return Sending(b"".join(held), True)
    sending = Sending(None, False)

    async def counted() -> AsyncIterator[bytes]:
        sent = size
        for chunk in held:
            yield chunk
        async for chunk in source:
            sent += len(chunk)
            if sent > limit:
                sending.state["over"] = True
                raise BodyTooLarge(limit)
            yield chunk

    sending.body = counted()
    return sending
