"""A profile version as a caller sends it: instructions, a schema or an example to infer one from, the format."""
from __future__ import annotations

from dataclasses import dataclass

from common.core.errors import BadRequest
from common.profiles.schemas import check_schema, infer_schema, validate_result

FORMATS = ("json", "yaml", "xml", "csv", "text")
INSTRUCTIONS_LEN = (10, 2000)


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


def profile_name(data: dict) -> str:
    """A profile's name as the caller sends it: 1 to 100 characters."""
    name = data.get("name")
    if not isinstance(name, str) or not 1 <= len(name.strip()) <= 100:
        raise BadRequest("name: required, 1 to 100 characters")
    return name.strip()
