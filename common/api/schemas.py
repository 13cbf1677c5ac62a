"""Request bodies of the HTTP entry points, validated by hand into frozen dataclasses.

Not pydantic: every function builds these on its request path, and pydantic's import alone was a
quarter of signed_url's 0.5 s cold-start budget (bench/cold_start.py). Each error names the field.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

from common.core import languages
from common.core.errors import BadRequest
from common.notify import push_tokens

API_VERSIONS = ("v1", "v2")
MAX_PAGES = 10  # photos in one multi-page scan (v2 gcs_uris): comparable apps take up to ten


def _text(data: dict, name: str, *, default=None, required: bool = False, min_len: int = 0, max_len: int,
          where: str = "") -> str | None:
    where = where or name
    if name not in data or data[name] is None:
        if required:
            raise BadRequest(f"{where}: required")
        return default
    value = data[name]
    if not isinstance(value, str):
        raise BadRequest(f"{where}: must be a string")
    if not min_len <= len(value) <= max_len:
        raise BadRequest(f"{where}: must be {min_len} to {max_len} characters long")
    return value


@dataclass(frozen=True)
class SignedUrlRequest:
    content_type: str = "image/jpeg"
    filename: str | None = None

    @classmethod
    def from_json(cls, data: dict) -> "SignedUrlRequest":
        return cls(_text(data, "content_type", default="image/jpeg", min_len=1, max_len=100),
                   _text(data, "filename", max_len=255))


@dataclass(frozen=True)
class UserPreferences:
    language: str = languages.DEFAULT          # the tag, or (v1) the caller's text when it maps to none
    language_requested: str = languages.DEFAULT  # as the caller sent it
    language_known: bool = True

    @classmethod
    def from_json(cls, data, version: str = "v1", *, where: str = "user_preferences.language") -> "UserPreferences":
        """v1 takes whatever the app sends (never a 4xx for a language); v2 takes BCP-47 tags only."""
        if data is None:
            return cls()
        if not isinstance(data, dict):
            if version == "v1":  # the shipped app's contract: a language problem never stops a scan
                return cls.of(data, version, where=where) if isinstance(data, str) else cls()
            raise BadRequest("user_preferences: must be an object")
        return cls.of(data.get("language"), version, where=where)

    @classmethod
    def of(cls, raw, version: str, *, where: str) -> "UserPreferences":
        if version == "v1":
            lang = languages.resolve(raw)
            return cls(lang.text, lang.requested, lang.known)
        if raw is None:
            return cls()
        try:
            tag = languages.parse_tag(raw)
        except ValueError as exc:
            raise BadRequest(f"{where}: {exc}", code="INVALID_LANGUAGE") from None
        return cls(tag, raw, True)


@dataclass(frozen=True)
class CreateJobRequest:
    gcs_uri: str
    user_preferences: UserPreferences = field(default_factory=UserPreferences)
    push_token: str | None = None
    callback_url: str | None = None  # v2: a Standard Webhooks receiver told when the job finishes
    # v2: what to extract (docs/profiles.md): menu, recipe, bookshelf, or a caller's own profile
    # (prf_..., or prf_...@N for a version); /api/v1 is menu only.
    profile: str = "menu"
    # v2: a multi-page scan's photos, each its own signed upload, in the menu's order; () is one photo
    # (gcs_uri). /api/v1 stays one photo and ignores the field, as it ignores callback_url.
    gcs_uris: tuple[str, ...] = ()

    @classmethod
    def from_json(cls, data: dict, version: str = "v1") -> "CreateJobRequest":
        v2 = version == "v2"
        pages = _pages(data.get("gcs_uris")) if v2 and "gcs_uris" in data else ()
        if pages and data.get("gcs_uri") is not None:
            raise BadRequest("send gcs_uri (one photo) or gcs_uris (the pages of one menu), not both")
        return cls(pages[0] if pages else _text(data, "gcs_uri", required=True, min_len=1, max_len=1024),
                   UserPreferences.from_json(data.get("user_preferences"), version),
                   _v2_push_token(data) if v2 else _push_token(data.get("push_token")),
                   _text(data, "callback_url", min_len=1, max_len=2048) if v2 else None,
                   _text(data, "profile", default="menu", min_len=1, max_len=80) if v2 else "menu",
                   pages)

    def as_dict(self) -> dict:
        return asdict(self)


def _pages(value) -> tuple[str, ...]:
    """gcs_uris: 1 to MAX_PAGES distinct strings (each checked as a gcs_uri on admission)."""
    if not isinstance(value, list) or not 1 <= len(value) <= MAX_PAGES:
        raise BadRequest(f"gcs_uris: must be a list of 1 to {MAX_PAGES} uploads, one per page")
    pages = tuple(_text({"u": v}, "u", required=True, min_len=1, max_len=1024, where=f"gcs_uris[{i}]")
                  for i, v in enumerate(value))
    for i, uri in enumerate(pages):
        if uri in pages[:i]:
            raise BadRequest(f"gcs_uris[{i}]: the same upload as gcs_uris[{pages.index(uri)}]; each page is its own upload")
    return pages


def _push_token(value) -> str | None:
    """v1 never refuses a job for its push token: Expo's {type, data} object gives its data; anything
    else that is not an Expo push token is dropped (the job still runs, without a notification)."""
    if isinstance(value, dict):
        value = value.get("data")
    return value if push_tokens.is_push_token(value) else None


def _v2_push_token(data: dict) -> str | None:
    token = _text(data, "push_token", max_len=512)
    if token is not None and not push_tokens.is_push_token(token):
        raise BadRequest("push_token: must be an Expo push token (ExponentPushToken[...])", code="INVALID_PUSH_TOKEN")
    return token


@dataclass(frozen=True)
class StreamRequest:
    image_base64: str
    user_preferences: UserPreferences = field(default_factory=UserPreferences)

    @classmethod
    def from_json(cls, data: dict) -> "StreamRequest":
        """The legacy startScan sends `language` at the top level; newer builds send user_preferences."""
        # The size bound is the upload limit, checked (413) where the image is decoded.
        image = _text(data, "image_base64", required=True, min_len=1, max_len=1 << 30)
        prefs = data.get("user_preferences")
        if isinstance(prefs, dict) and prefs.get("language") is not None:
            return cls(image, UserPreferences.from_json(prefs, "v1"))
        return cls(image, UserPreferences.of(data.get("language"), "v1", where="language"))


@dataclass(frozen=True)
class TaskBody:
    job_id: str

    @classmethod
    def from_json(cls, data: dict) -> "TaskBody":
        return cls(_text(data, "job_id", required=True, min_len=1, max_len=64))


@dataclass(frozen=True)
class NotifyTask:
    """A notify task: which job, which channel (push, receipt, webhook), and which attempt of it."""
    job_id: str
    channel: str
    attempt: int = 1

    @classmethod
    def from_json(cls, data: dict) -> "NotifyTask":
        channel = _text(data, "channel", required=True, min_len=1, max_len=16)
        if channel not in ("push", "receipt", "webhook"):
            raise BadRequest("channel: must be push, receipt or webhook")
        attempt = data.get("attempt", 1)
        if not isinstance(attempt, int) or isinstance(attempt, bool) or not 1 <= attempt <= 100:
            raise BadRequest("attempt: must be an integer from 1 to 100")
        return cls(_text(data, "job_id", required=True, min_len=1, max_len=64), channel, attempt)


class Body:
    """A JSON object taken as it is: its fields are checked by the module that owns them (profiles)."""

    @classmethod
    def from_json(cls, data: dict) -> dict:
        return data
