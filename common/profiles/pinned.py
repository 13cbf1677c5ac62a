"""A profile as one job runs it: pinned when the job is created, so editing or publishing while it runs
changes nothing for it (docs/profiles.md)."""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Pinned:
    """A profile as one job runs it."""

    id: str  # menu, recipe, bookshelf, or a custom profile's id
    version: int
    kind: str  # builtin or custom
    instructions: str
    schema: dict
    format: str
    name: str = ""  # a custom profile's name, for people (never in a push: the caller wrote it)

    def as_job_field(self) -> dict:
        # The schema as text: Firestore map keys may not hold every JSON Schema key ("$ref", "a.b").
        return {**{k: v for k, v in asdict(self).items() if k != "schema"}, "schema": json.dumps(self.schema)}

    @classmethod
    def from_field(cls, raw: dict | None) -> "Pinned | None":
        """A job's `profile` field as it was pinned; None for a menu."""
        if not raw:
            return None
        return cls(raw["id"], int(raw["version"]), raw["kind"], raw["instructions"], json.loads(raw["schema"]),
                   raw["format"], raw.get("name") or raw["id"])

    @property
    def public(self) -> dict:
        return {"id": self.id, "version": self.version}
