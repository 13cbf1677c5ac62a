"""scan_profiles: a signed-in caller's own profiles, versioned: each edit is a new version, one of them
published, any of them published again later (docs/profiles.md)."""
from __future__ import annotations

import json
import re
import secrets
from typing import Any

from common.core import clock
from common.core.errors import AppError, BadRequest, NotFound
from common.gcp import db
from common.profiles.builtin import BUILTIN, OFFLINE
from common.profiles.pinned import Pinned
from common.profiles.requests import VersionRequest, profile_name

PROFILES = "scan_profiles"
# Versions live in the profile's document (one read resolves a job's profile): 20 of the largest
# (a 32 KiB schema, 2,000 characters of instructions, up to 8 KB in UTF-8) are 0.8 MB, under
# Firestore's 1 MiB a document.
MAX_VERSIONS = 20
_PROFILE_ID = "prf_"
_ID = re.compile(r"prf_[0-9a-f]{16}")


def _missing(profile_id: str) -> NotFound:
    # Another caller's profile is reported exactly as one that does not exist.
    return NotFound(f"no profile {profile_id}", code="PROFILE_NOT_FOUND")


def _ref(profile_id: str):
    return db.client().collection(PROFILES).document(profile_id)


def _owned(profile_id: str, owner: str, transaction=None) -> Any:
    if not _ID.fullmatch(profile_id):  # never a Firestore path: "prf_x/y" names another document
        raise _missing(profile_id)
    snap = _ref(profile_id).get(transaction=transaction, **({} if transaction else db.fast()))
    if not snap.exists or (snap.to_dict() or {}).get("owner") != owner:
        raise _missing(profile_id)
    return snap


def _version_doc(version: int, req: VersionRequest, now) -> dict:
    return {"version": version, "instructions": req.instructions, "schema": json.dumps(req.schema),
            "format": req.format, "inferred": req.inferred, "created_at": now}


def create(owner: str, data: dict) -> dict:
    """A new profile with version 1; published at once when `publish` is true."""
    name, req = profile_name(data), VersionRequest.from_json(data)
    publish = data.get("publish", False)
    if not isinstance(publish, bool):
        raise BadRequest("publish: must be true or false")
    profile_id = _PROFILE_ID + secrets.token_hex(8)
    now = clock.now()
    record = {"profile_id": profile_id, "owner": owner, "name": name, "latest_version": 1,
              "published_version": 1 if publish else None, "created_at": now, "updated_at": now,
              "versions": {"1": _version_doc(1, req, now)}}
    _ref(profile_id).create(record, **db.fast_write())
    return view(record)


def add_version(owner: str, profile_id: str, data: dict) -> dict:
    """A new draft version (the published one stays until publish)."""
    from google.cloud import firestore

    req = VersionRequest.from_json(data)
    client = db.client()

    @firestore.transactional
    def run(tx):
        record = _owned(profile_id, owner, tx).to_dict()
        n = int(record["latest_version"]) + 1
        if n > MAX_VERSIONS:
            raise AppError(f"a profile keeps at most {MAX_VERSIONS} versions; make a new profile",
                           code="TOO_MANY_VERSIONS", status=409)
        now = clock.now()
        tx.update(_ref(profile_id), {"latest_version": n, f"versions.`{n}`": _version_doc(n, req, now),
                                     "updated_at": now})
        record["latest_version"], record["updated_at"] = n, now
        record["versions"][str(n)] = _version_doc(n, req, now)
        return record

    return view(run(client.transaction()))


def publish(owner: str, profile_id: str, data: dict, rollback: bool = False) -> dict:
    """Publish a version (the latest when none is named); a rollback publishes an earlier one.
    In a transaction: a version added meanwhile is seen, never overwritten."""
    from google.cloud import firestore

    version = data.get("version")
    if rollback and version is None:
        raise BadRequest("version: required: the version to roll back to", code="NO_SUCH_VERSION")

    @firestore.transactional
    def run(tx):
        record = _owned(profile_id, owner, tx).to_dict()
        n = int(record["latest_version"]) if version is None else version
        if not isinstance(n, int) or isinstance(n, bool) or str(n) not in record["versions"]:
            raise BadRequest(f"version: must name one of this profile's versions (1 to {record['latest_version']})",
                             code="NO_SUCH_VERSION")
        current = record.get("published_version")
        if rollback and not (current and n < current):
            raise BadRequest(f"version: a rollback goes back to a version before the published one ({current})",
                             code="NO_SUCH_VERSION")
        now = clock.now()
        tx.update(_ref(profile_id), {"published_version": n, "updated_at": now})
        record.update(published_version=n, updated_at=now)
        return record

    return view(run(db.client().transaction()))


def get(owner: str, profile_id: str) -> dict:
    return view(_owned(profile_id, owner).to_dict())


def version(owner: str, profile_id: str, n: str) -> dict:
    record = _owned(profile_id, owner).to_dict()
    found = record["versions"].get(n)
    if found is None:
        raise NotFound(f"profile {profile_id} has no version {n}", code="NO_SUCH_VERSION")
    return _version_view(found, record)


def list_owned(owner: str, limit: int = 100) -> list[dict]:
    from google.cloud import firestore

    # Not the versions: a listing reads a few fields of each profile, not up to 20 schemas.
    docs = (db.client().collection(PROFILES).where(filter=firestore.FieldFilter("owner", "==", owner))
            .select(["profile_id", "name", "latest_version", "published_version", "created_at", "updated_at"])
            .limit(limit).stream(**db.fast()))
    return sorted((view(d.to_dict(), brief=True) for d in docs), key=lambda v: v["created_at"])


def view(record: dict, brief: bool = False) -> dict:
    """A profile as its owner reads it."""
    out = {"profile_id": record["profile_id"], "name": record["name"], "latest_version": record["latest_version"],
           "published_version": record.get("published_version"), "created_at": clock.iso(record["created_at"]),
           "updated_at": clock.iso(record["updated_at"])}
    if not brief:
        out["versions"] = [_version_view(v, record) for _, v in sorted(record["versions"].items(),
                                                                       key=lambda kv: int(kv[0]))]
    return out


def _version_view(v: dict, record: dict) -> dict:
    return {"version": v["version"], "instructions": v["instructions"], "schema": json.loads(v["schema"]),
            "format": v["format"], "inferred_from_example": v.get("inferred", False),
            "published": v["version"] == record.get("published_version"), "created_at": clock.iso(v["created_at"])}


def check_ref(ref: str) -> None:
    """400 UNKNOWN_PROFILE unless `ref` is menu, a built-in, or shaped as a custom profile (prf_…[@N])."""
    if ref in OFFLINE:
        return
    profile_id, at, pinned = ref.partition("@")
    if not _ID.fullmatch(profile_id) or (at and not pinned.isdigit()):
        raise BadRequest(f"profile: menu, {', '.join(BUILTIN)}, or a profile id (prf_...[@version]), got "
                         f"{ref[:60]!r}", code="UNKNOWN_PROFILE")


def resolve(ref: str, owner: str | None) -> Pinned | None:
    """The profile a job names, pinned: a built-in, a custom profile's published version, or
    `<id>@<version>`. None for menu. A custom one is the caller's own, or a 404."""
    if ref == "menu":
        return None
    if ref in BUILTIN:
        return BUILTIN[ref]
    check_ref(ref)
    profile_id, _, pinned = ref.partition("@")
    if not owner:
        # Anonymous callers own no profile: the same answer as another caller's.
        raise _missing(profile_id)
    record = _owned(profile_id, owner).to_dict()
    n = pinned or record.get("published_version")
    if n is None:
        raise AppError(f"profile {profile_id} has no published version: publish one, or name a version "
                       f"({profile_id}@N)", code="PROFILE_NOT_PUBLISHED", status=409)
    found = record["versions"].get(str(n))
    if found is None:
        raise NotFound(f"profile {profile_id} has no version {n}", code="NO_SUCH_VERSION")
    return Pinned(profile_id, int(found["version"]), "custom", found["instructions"], json.loads(found["schema"]),
                  found["format"], record["name"])
