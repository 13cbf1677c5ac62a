"""The job document (scan_jobs/{job_id}) as one typed model; it is also the job's public snapshot.

Field names are the stored keys, unchanged from the plain-dict days, so documents written by any
earlier deploy read back (missing keys take their defaults, unknown keys are ignored). Writes name
fields through `F`, which tests/unit/test_job_model.py holds equal to the model's fields.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Literal

Status = Literal["pending", "running", "completed", "failed"]
TERMINAL = ("completed", "failed")


@dataclass
class Job:
    job_id: str
    status: Status = "pending"
    # The upload and what was asked of it
    gcs_uri: str = ""
    bucket: str = ""
    object_name: str = ""
    page_objects: list[str] = field(default_factory=list)  # a multi-page scan's uploads in `bucket`, in order
    language: str = ""                    # a tag, or (v1) the caller's own words when they name no known language
    language_requested: str | None = None
    language_known: bool = True
    push_token: str | None = None
    callback_url: str | None = None
    profile: dict | None = None           # the pinned profile (profiles.Pinned.as_job_field); None: a menu
    # Who may read it
    access_token_hash: str = ""
    owner: str | None = None
    caller: str | None = None             # a pseudonym of who made it (its address or user): dish knowledge counts callers
    api_version: str = "v1"
    id_only_reads: bool = True            # created through /api/v1 (and every job before the field existed)
    asset_id: str = ""                    # generated images live under this id, never the job's
    traceparent: str | None = None
    # The event log's position (jobs/eventlog.py)
    last_seq: int = 0
    head: str | None = None               # seq 1, stored with the job
    tail: str | None = None               # the events of the latest commit
    unpaged_from: int | None = None       # first seq in the tail that is on no page yet (EventLog.post_many)
    commit_id: str | None = None          # which run's commit wrote the job last (a fenced commit's proof)
    # The run and its lease (jobs/lease.py)
    lease_owner: str | None = None
    lease_expires_at: dt.datetime | None = None
    attempts: int = 0
    failures: int = 0                     # runs that crashed or died; bounded (scan.outcome.MAX_FAILURES)
    fail_with: dict | None = None         # a failure decided but not yet stored: the next run stores it
    deadline_at: dt.datetime | None = None
    # The snapshot
    progress: int = 0
    items: list[dict] = field(default_factory=list)
    items_partial: bool = False           # the items are a partial menu still being read
    source_language: str | None = None    # the menu's own language, as the engine read it
    items_hint: bool = False              # ...and they are a near-duplicate hint: another scan's reading
    pages: list[dict] = field(default_factory=list)  # a multi-page scan's pages: {page, status, items_count, error?}
    partial_items: int = 0
    partial_events: int = 0
    timings: dict = field(default_factory=dict)
    used_cache: bool = False
    used_fallback: bool = False
    incomplete: bool = False              # the menu was not read to its end; the job completed with what was read
    usage: dict = field(default_factory=dict)  # model tokens by part (menu, images) and model (engines/usage.py)
    unknown_items_count: int = 0
    engine: str | None = None
    language_used: str | None = None
    language_fallback: dict | None = None
    summary: dict | None = None
    error: dict | None = None
    result_json: str | None = None        # a profile's result, as text (docs/profiles.md)
    # Notifications (notify/): channels' states, and whether they still need queueing
    notify: dict = field(default_factory=dict)
    notify_due: bool = False
    created_at: dt.datetime | None = None
    updated_at: dt.datetime | None = None
    expire_at: dt.datetime | None = None  # the TTL policy deletes on it

    @property
    def finished(self) -> bool:
        return self.status in TERMINAL

    @property
    def objects(self) -> list[str]:
        """The uploads the job reads, in page order: one for a one-photo job."""
        return self.page_objects or [self.object_name]

    @property
    def reader_language(self) -> str:
        """The language the menu was written in for the reader (the one asked, until an engine chose)."""
        return self.language_used or self.language

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> "Job":
        """A stored document as a Job; nulls and missing keys take the defaults."""
        values = {k: v for k, v in doc.items() if k in _NAMES and v is not None}
        return cls(**values)

    def to_fields(self, *names: str) -> dict[str, Any]:
        """The named fields as a Firestore update (every field when none is named)."""
        unknown = [n for n in names if n not in _NAMES]
        if unknown:
            raise KeyError(f"not job fields: {', '.join(unknown)}")
        return {n: getattr(self, n) for n in (names or _ORDER)}


_ORDER = tuple(f.name for f in dataclasses.fields(Job))
_NAMES = frozenset(_ORDER)


class F:
    """The job document's field names, for queries and partial updates."""

    JOB_ID = "job_id"
    STATUS = "status"
    GCS_URI = "gcs_uri"
    BUCKET = "bucket"
    OBJECT_NAME = "object_name"
    PAGE_OBJECTS = "page_objects"
    LANGUAGE = "language"
    LANGUAGE_REQUESTED = "language_requested"
    LANGUAGE_KNOWN = "language_known"
    PUSH_TOKEN = "push_token"
    CALLBACK_URL = "callback_url"
    PROFILE = "profile"
    ACCESS_TOKEN_HASH = "access_token_hash"
    OWNER = "owner"
    CALLER = "caller"
    API_VERSION = "api_version"
    ID_ONLY_READS = "id_only_reads"
    ASSET_ID = "asset_id"
    TRACEPARENT = "traceparent"
    LAST_SEQ = "last_seq"
    HEAD = "head"
    TAIL = "tail"
    UNPAGED_FROM = "unpaged_from"
    COMMIT_ID = "commit_id"
    LEASE_OWNER = "lease_owner"
    LEASE_EXPIRES_AT = "lease_expires_at"
    ATTEMPTS = "attempts"
    FAILURES = "failures"
    FAIL_WITH = "fail_with"
    DEADLINE_AT = "deadline_at"
    PROGRESS = "progress"
    ITEMS = "items"
    ITEMS_PARTIAL = "items_partial"
    ITEMS_HINT = "items_hint"
    SOURCE_LANGUAGE = "source_language"
    PAGES = "pages"
    PARTIAL_ITEMS = "partial_items"
    PARTIAL_EVENTS = "partial_events"
    TIMINGS = "timings"
    USED_CACHE = "used_cache"
    USED_FALLBACK = "used_fallback"
    INCOMPLETE = "incomplete"
    USAGE = "usage"
    UNKNOWN_ITEMS_COUNT = "unknown_items_count"
    ENGINE = "engine"
    LANGUAGE_USED = "language_used"
    LANGUAGE_FALLBACK = "language_fallback"
    SUMMARY = "summary"
    ERROR = "error"
    RESULT_JSON = "result_json"
    NOTIFY = "notify"
    NOTIFY_DUE = "notify_due"
    CREATED_AT = "created_at"
    UPDATED_AT = "updated_at"
    EXPIRE_AT = "expire_at"
