"""JSON Schemas of custom profiles: checked when saved, inferred from an example, applied to a result."""
from __future__ import annotations

import json
from typing import Any

from common.core.errors import BadRequest
from common.core.text import bounded

MAX_SCHEMA_BYTES = 32 * 1024
MAX_SCHEMA_DEPTH = 12
MAX_RESULT_BYTES = 256 * 1024
MAX_PROBLEM_CHARS = 160  # a problem quotes the value it is about: cut, so five fit in a stored message


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
        out.append(bounded(f"{path}: {err.message}", MAX_PROBLEM_CHARS))
        if len(out) == 5:
            break
    return out
