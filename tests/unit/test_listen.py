"""The Listen adapter's canary: the SDK internals it reaches for are still where it reaches.

No emulator: a client pointed at a closed port opens nothing until a call is made, and the response
decoding is exercised on protobufs built here. An SDK upgrade that moves a private name fails here,
by name, before any stream does.
"""
from __future__ import annotations

import pytest


@pytest.fixture
def client(monkeypatch):
    from google.cloud import firestore

    monkeypatch.setenv("FIRESTORE_EMULATOR_HOST", "127.0.0.1:9")
    return firestore.Client(project="demo-canary")


def test_the_sdk_still_has_the_private_parts_the_listen_adapter_uses(client):
    from google.api_core import bidi

    assert callable(client._firestore_api._transport.listen)
    assert isinstance(client._database_string, str) and client._database_string.startswith("projects/demo-canary/")
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in client._rpc_metadata)
    assert callable(getattr(bidi.BidiRpc, "recv")) and hasattr(bidi.BidiRpc, "is_active")


def test_a_document_change_decodes_to_the_scalar_fields_asked_for_and_no_others():
    from google.cloud.firestore_v1.types import (
        Document,
        DocumentChange,
        ListenResponse,
        Value,
    )

    from common.streaming.listen import decode

    doc = Document(name="projects/p/databases/(default)/documents/scan_jobs/j", fields={
        "status": Value(string_value="running"), "last_seq": Value(integer_value=7),
        "id_only_reads": Value(boolean_value=False), "items": Value(string_value="not asked for")})
    resp = ListenResponse(document_change=DocumentChange(document=doc, target_ids=[3, 4]))
    change = decode(resp._pb, ("status", "last_seq", "id_only_reads", "tail"))
    assert change.kind == "document" and change.target_ids == (3, 4)
    assert change.fields == {"status": "running", "last_seq": 7, "id_only_reads": False}


@pytest.mark.parametrize("change_type, kind", [(1, "added"), (2, "removed"), (3, "current")])
def test_target_changes_decode_to_their_kind_and_a_removal_carries_its_cause(change_type, kind):
    from google.cloud.firestore_v1.types import ListenResponse, TargetChange
    from google.rpc import status_pb2

    from common.streaming.listen import decode

    cause = status_pb2.Status(code=9, message="too many targets") if change_type == 2 else None
    tc = TargetChange(target_change_type=change_type, target_ids=[5], cause=cause)
    change = decode(ListenResponse(target_change=tc)._pb, ())
    assert (change.kind, change.target_ids) == (kind, (5,))
    assert change.cause == ("too many targets" if change_type == 2 else "")


def test_a_deleted_or_removed_document_decodes_as_gone_for_its_targets():
    from google.cloud.firestore_v1.types import (
        DocumentDelete,
        DocumentRemove,
        ListenResponse,
    )

    from common.streaming.listen import decode

    deleted = decode(ListenResponse(document_delete=DocumentDelete(document="d", removed_target_ids=[1]))._pb, ())
    removed = decode(ListenResponse(document_remove=DocumentRemove(document="d", removed_target_ids=[2]))._pb, ())
    assert (deleted.kind, deleted.target_ids, removed.kind, removed.target_ids) == ("gone", (1,), "gone", (2,))
