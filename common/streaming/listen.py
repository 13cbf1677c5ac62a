"""The Firestore Listen RPC with many document targets on one stream: the SDK's private parts, here only.

The SDK's public on_snapshot opens a stream and two threads per listener (feed.py says why that does
not scale). One stream carrying a target per document needs the generated transport's `listen`
method, the client's routing metadata and database name, and the raw protobuf of each response.
Nothing else in the project touches them; tests/unit/test_listen.py fails first when an SDK upgrade
moves one.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Kind = Literal["document", "gone", "added", "current", "removed", "other"]
_TARGET_KINDS = {1: "added", 2: "removed", 3: "current"}  # TargetChange.TargetChangeType: ADD, REMOVE, CURRENT


@dataclass(frozen=True)
class Change:
    """One Listen response: which targets it is about, and for a document, the fields asked for."""

    kind: Kind
    target_ids: tuple[int, ...] = ()
    fields: dict = field(default_factory=dict)  # scalars only: str, int, bool (absent: not in the document)
    cause: str = ""  # why the server removed targets


class ListenStream:
    """One open Listen stream; add and remove document targets, read changes. Not thread-safe for recv."""

    def __init__(self, client, fields: tuple[str, ...]):
        from google.api_core import bidi

        self._database = client._database_string
        self._fields = fields
        self._rpc = bidi.BidiRpc(client._firestore_api._transport.listen, metadata=client._rpc_metadata)
        self._rpc.open()

    def document_name(self, path: str) -> str:
        return f"{self._database}/documents/{path}"

    def add(self, target_id: int, path: str) -> None:
        from google.cloud.firestore_v1.types import ListenRequest, Target

        target = Target(documents=Target.DocumentsTarget(documents=[self.document_name(path)]), target_id=target_id)
        self._rpc.send(ListenRequest(database=self._database, add_target=target))

    def remove(self, target_id: int) -> None:
        from google.cloud.firestore_v1.types import ListenRequest

        self._rpc.send(ListenRequest(database=self._database, remove_target=target_id))

    @property
    def active(self) -> bool:
        return self._rpc.is_active

    def recv(self) -> Change:
        return decode(self._rpc.recv()._pb, self._fields)

    def close(self) -> None:
        self._rpc.close()


def decode(pb, wanted: tuple[str, ...]) -> Change:
    """A ListenResponse protobuf as a Change; a document's fields are decoded only for `wanted` names
    (a job's menu items are never decoded on this path)."""
    kind = pb.WhichOneof("response_type")
    if kind == "document_change":
        change = pb.document_change
        return Change("document", tuple(change.target_ids), _scalars(change.document.fields, wanted))
    if kind in ("document_delete", "document_remove"):
        gone = pb.document_delete if kind == "document_delete" else pb.document_remove
        return Change("gone", tuple(gone.removed_target_ids))
    if kind == "target_change":
        tc = pb.target_change
        return Change(_TARGET_KINDS.get(tc.target_change_type, "other"), tuple(tc.target_ids),
                      cause=tc.cause.message if tc.cause.code else "")
    return Change("other")


def _scalars(fields, wanted: tuple[str, ...]) -> dict:
    out = {}
    for name in wanted:
        value = fields.get(name)
        if value is None:
            continue
        which = value.WhichOneof("value_type")
        if which in ("string_value", "integer_value", "boolean_value"):
            out[name] = getattr(value, which)
    return out
