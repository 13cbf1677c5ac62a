"""Scan profiles: what a job extracts from its photo. `menu` is the menu pipeline; `recipe` and
`bookshelf` are built in; callers define their own (instructions, a JSON Schema, an output format),
versioned: each edit is a new version, one of them published, any of them published again later.

A job pins its profile when it is created: the version's instructions and schema are copied onto the
job, so editing or publishing while it runs changes nothing for it (docs/profiles.md).
"""
from __future__ import annotations

import json
import re
import secrets
from dataclasses import asdict, dataclass
from typing import Any

from common.gcp import db
from common.core.errors import AppError, BadRequest, NotFound

PROFILES = "scan_profiles"
FORMATS = ("json", "yaml", "xml", "csv", "text")
MAX_SCHEMA_BYTES = 32 * 1024
MAX_SCHEMA_DEPTH = 12
INSTRUCTIONS_LEN = (10, 2000)
# Versions live in the profile's document (one read resolves a job's profile): 20 of the largest
# (a 32 KiB schema, 2,000 characters of instructions, up to 8 KB in UTF-8) are 0.8 MB, under
# Firestore's 1 MiB a document.
MAX_VERSIONS = 20
_PROFILE_ID = "prf_"
_ID = re.compile(r"prf_[0-9a-f]{16}")


@dataclass(frozen=True)
class Pinned:
    """A profile as one job runs it."""

    id: str  # menu, recipe, bookshelf, or a custom profile's id
    version: int
    kind: str  # builtin or custom
    instructions: str
    schema: dict
    format: str
    name: str = ""  # a custom profile's name, for people (a push says it)

    def as_job_field(self) -> dict:
        # The schema as text: Firestore map keys may not hold every JSON Schema key ("$ref", "a.b").
        return {**{k: v for k, v in asdict(self).items() if k != "schema"}, "schema": json.dumps(self.schema)}

    @classmethod
    def from_job(cls, job: dict) -> "Pinned | None":
        raw = job.get("profile")
        if not raw:
            return None
        return cls(raw["id"], int(raw["version"]), raw["kind"], raw["instructions"], json.loads(raw["schema"]),
                   raw["format"], raw.get("name") or raw["id"])

    @property
    def public(self) -> dict:
        return {"id": self.id, "version": self.version}


_STRING, _NUMBER = {"type": "string"}, {"type": ["number", "null"]}
RECIPE_SCHEMA = {
    "type": "object",
    "required": ["title", "ingredients", "steps"],
    "properties": {
        "title": _STRING,
        "servings": _NUMBER,
        "prep_minutes": _NUMBER,
        "cook_minutes": _NUMBER,
        "total_minutes": _NUMBER,
        "ingredients": {"type": "array", "items": {
            "type": "object", "required": ["item"],
            "properties": {"quantity": _NUMBER, "quantity_max": _NUMBER, "unit": {"type": ["string", "null"]},
                           "item": _STRING, "text": _STRING}}},
        "steps": {"type": "array", "items": _STRING},
    },
}
BOOKSHELF_SCHEMA = {
    "type": "object",
    "required": ["books"],
    "properties": {
        "books": {"type": "array", "items": {
            "type": "object", "required": ["title", "confidence"],
            "properties": {"title": _STRING, "authors": {"type": "array", "items": _STRING},
                           "confidence": {"type": "number", "minimum": 0, "maximum": 1}}}},
        "needs_review": {"type": "array", "items": {
            "type": "object", "properties": {"title": _STRING, "confidence": {"type": "number"}}}},
    },
}
BUILTIN = {
    "recipe": Pinned("recipe", 1, "builtin", (
        "Read the recipe in the photo. Give its title, servings, preparation, cooking and total time in "
        "minutes, every ingredient with its quantity (a number; quantity_max for a range), unit and item, "
        "and the steps in order. Write the title, items and steps in {language}; keep quantities as printed."),
        RECIPE_SCHEMA, "json"),
    "bookshelf": Pinned("bookshelf", 1, "builtin", (
        "List every book whose spine or cover is visible in the photo, left to right: its title and "
        "authors as printed, and your confidence from 0 to 1 that the title is read right. Do not guess "
        "titles you cannot read; give them a low confidence instead."), BOOKSHELF_SCHEMA, "json"),
}


# -- validation -------------------------------------------------------------------------------------
def check_schema(schema: Any, where: str = "schema") -> dict:
    """The schema, or a 400 naming what is wrong: not an object, too large or deep, a remote $ref,
    or not a valid JSON Schema (the validator's own message)."""
    import jsonschema_rs

    if not isinstance(schema, dict):
        raise BadRequest(f"{where}: must be a JSON object (a JSON Schema)", code="INVALID_SCHEMA")
    raw = json.dumps(schema)
    if len(raw.encode()) > MAX_SCHEMA_BYTES:
        raise BadRequest(f"{where}: at most {MAX_SCHEMA_BYTES} bytes", code="INVALID_SCHEMA")
    _check_refs(schema, where, 0)
    try:
        jsonschema_rs.meta.validate(schema)
    except jsonschema_rs.ValidationError as exc:
        first = str(exc).split("\n\n")[0]
        raise BadRequest(f"{where}: not a valid JSON Schema: {first}", code="INVALID_SCHEMA") from None
    except jsonschema_rs.ReferencingError as exc:
        raise BadRequest(f"{where}: {exc}", code="INVALID_SCHEMA") from None
    if schema.get("type") != "object":
        raise BadRequest(f'{where}: the top level must be "type": "object" (a job\'s result is one JSON object)',
                         code="INVALID_SCHEMA")
    try:
        # What the meta-schema cannot see: a $ref that resolves to nothing, a pattern that is no regex.
        jsonschema_rs.validator_for(schema)
    except (jsonschema_rs.ValidationError, jsonschema_rs.ReferencingError, ValueError) as exc:
        raise BadRequest(f"{where}: {str(exc).splitlines()[0][:300]}", code="INVALID_SCHEMA") from None
    return schema


# The drafts the validator knows without fetching anything.
KNOWN_DRAFTS = {f"{base}{suffix}" for suffix in ("", "#") for base in (
    "http://json-schema.org/draft-04/schema", "http://json-schema.org/draft-06/schema",
    "http://json-schema.org/draft-07/schema", "https://json-schema.org/draft/2019-09/schema",
    "https://json-schema.org/draft/2020-12/schema")}


def _check_refs(node: Any, where: str, depth: int) -> None:
    """Nothing the validator would fetch (a remote $ref, an unknown $schema: a request to anywhere),
    and a bounded depth."""
    if depth > MAX_SCHEMA_DEPTH:
        raise BadRequest(f"{where}: nested deeper than {MAX_SCHEMA_DEPTH} levels", code="INVALID_SCHEMA")
    if isinstance(node, dict):
        for key in ("$ref", "$dynamicRef", "$recursiveRef"):
            ref = node.get(key)
            if ref is not None and not (isinstance(ref, str) and ref.startswith("#")):
                raise BadRequest(f"{where}: only local {key} (#/...) is allowed, got {str(ref)[:80]!r}",
                                 code="INVALID_SCHEMA")
        meta = node.get("$schema")
        if meta is not None and meta not in KNOWN_DRAFTS:
            raise BadRequest(f"{where}: $schema must name a JSON Schema draft (4, 6, 7, 2019-09, 2020-12), "
                             f"got {str(meta)[:80]!r}", code="INVALID_SCHEMA")
        for value in node.values():
            _check_refs(value, where, depth + 1)
    elif isinstance(node, list):
        for value in node:
            _check_refs(value, where, depth + 1)


def infer_schema(example: Any, depth: int = 0) -> dict:
    """A JSON Schema that the example document satisfies: its keys required, array items from the
    union of the elements' shapes."""
    if depth > MAX_SCHEMA_DEPTH:
        raise BadRequest(f"example: nested deeper than {MAX_SCHEMA_DEPTH} levels", code="INVALID_SCHEMA")
    if isinstance(example, bool):
        return {"type": "boolean"}
    if isinstance(example, int):
        return {"type": "integer"}
    if isinstance(example, float):
        return {"type": "number"}
    if isinstance(example, str):
        return {"type": "string"}
    if example is None:
        return {"type": "null"}
    if isinstance(example, list):
        if not example:
            return {"type": "array"}
        shapes = [infer_schema(e, depth + 1) for e in example]
        return {"type": "array", "items": _merge(shapes)}
    if isinstance(example, dict):
        return {"type": "object", "required": sorted(example),
                "properties": {k: infer_schema(v, depth + 1) for k, v in example.items()}}
    raise BadRequest("example: must be JSON", code="INVALID_SCHEMA")


def _merge(shapes: list[dict]) -> dict:
    """One schema that every element's shape satisfies: objects merged key by key (a key required
    when every element has it), arrays by their items, 1 and 1.5 a number, anything else a union."""
    kinds = {s.get("type") for s in shapes}
    if kinds == {"object"}:
        keys: dict[str, list[dict]] = {}
        for s in shapes:
            for k, v in s["properties"].items():
                keys.setdefault(k, []).append(v)
        required = sorted(set.intersection(*(set(s["required"]) for s in shapes)))
        return {"type": "object", "required": required, "properties": {k: _merge(v) for k, v in keys.items()}}
    if kinds == {"array"}:
        items = [s["items"] for s in shapes if "items" in s]
        return {"type": "array", **({"items": _merge(items)} if items else {})}
    if kinds <= {"integer", "number"}:
        return {"type": "number" if "number" in kinds else "integer"}
    if len(kinds) == 1 and None not in kinds:
        return shapes[0]
    return {}  # elements of different kinds: any value


@dataclass(frozen=True)
class VersionRequest:
    """A profile version as a caller sends it: instructions, a schema or an example, the format."""

    instructions: str
    schema: dict
    format: str
    inferred: bool

    @classmethod
    def from_json(cls, data: dict) -> "VersionRequest":
        text = data.get("instructions")
        lo, hi = INSTRUCTIONS_LEN
        if not isinstance(text, str) or not lo <= len(text.strip()) <= hi:
            raise BadRequest(f"instructions: required, {lo} to {hi} characters")
        has_schema, has_example = data.get("schema") is not None, data.get("example") is not None
        if has_schema == has_example:
            raise BadRequest("send either schema (a JSON Schema) or example (a document to infer one from)",
                             code="INVALID_SCHEMA")
        if has_schema:
            schema = check_schema(data["schema"])
        else:
            if not isinstance(data["example"], dict):
                raise BadRequest("example: must be a JSON object", code="INVALID_SCHEMA")
            schema = check_schema(infer_schema(data["example"]), "example")
            problems = validate_result(data["example"], schema)
            if problems:  # a schema inferred from an example must accept it; a bug here, caught at once
                raise BadRequest(f"example: the inferred schema does not accept it: {problems[0]}",
                                 code="INVALID_SCHEMA")
        fmt = data.get("format", "json")
        if fmt not in FORMATS:
            raise BadRequest(f"format: must be one of {', '.join(FORMATS)}")
        return cls(text.strip(), schema, fmt, has_example)


def _name(data: dict) -> str:
    name = data.get("name")
    if not isinstance(name, str) or not 1 <= len(name.strip()) <= 100:
        raise BadRequest("name: required, 1 to 100 characters")
    return name.strip()


# -- the store ----------------------------------------------------------------------------------------
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
    name, req = _name(data), VersionRequest.from_json(data)
    publish = data.get("publish", False)
    if not isinstance(publish, bool):
        raise BadRequest("publish: must be true or false")
    profile_id = _PROFILE_ID + secrets.token_hex(8)
    now = db.now()
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
        now = db.now()
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
        now = db.now()
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
           "published_version": record.get("published_version"), "created_at": db.iso(record["created_at"]),
           "updated_at": db.iso(record["updated_at"])}
    if not brief:
        out["versions"] = [_version_view(v, record) for _, v in sorted(record["versions"].items(),
                                                                       key=lambda kv: int(kv[0]))]
    return out


def _version_view(v: dict, record: dict) -> dict:
    return {"version": v["version"], "instructions": v["instructions"], "schema": json.loads(v["schema"]),
            "format": v["format"], "inferred_from_example": v.get("inferred", False),
            "published": v["version"] == record.get("published_version"), "created_at": db.iso(v["created_at"])}


OFFLINE = ("menu", *BUILTIN)  # what the offline engine reads; a custom profile needs a model


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


MAX_RESULT_BYTES = 256 * 1024


def finish(profile: Pinned, data: dict, review_below: float) -> dict:
    """What the server adds to an engine's answer: the bookshelf's books to review, by its own threshold."""
    if profile.kind == "builtin" and profile.id == "bookshelf":
        data = {**data, "needs_review": [{"title": b.get("title", ""), "confidence": b.get("confidence", 0)}
                                         for b in data.get("books") or [] if b.get("confidence", 0) < review_below]}
    return data


def validate_result(data: Any, schema: dict) -> list[str]:
    """What is wrong with a result against its schema (at most five messages, each with its path)."""
    import jsonschema_rs

    from common.core.errors import ScanError

    try:
        validator = jsonschema_rs.validator_for(schema)
    except (jsonschema_rs.ValidationError, jsonschema_rs.ReferencingError, ValueError) as exc:
        # Checked when saved; a built-in or an older version could still hold one the validator refuses.
        raise ScanError("PROFILE_SCHEMA_INVALID", f"the profile's schema cannot be used: {str(exc)[:200]}") from None
    out = []
    for err in validator.iter_errors(data):
        path = "/".join(str(p) for p in err.instance_path) or "(root)"
        out.append(f"{path}: {err.message}")
        if len(out) == 5:
            break
    return out
