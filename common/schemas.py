"""Request bodies of the HTTP entry points, validated by hand into frozen dataclasses.

Not pydantic: every function builds these on its request path, and pydantic's import alone was a
quarter of signed_url's 0.5 s cold-start budget (bench/cold_start.py). Each error names the field.
"""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field

from common.errors import BadRequest

_LANG = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8}){0,3}$")


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
    language: str = "zh-TW"

    @classmethod
    def from_json(cls, data) -> "UserPreferences":
        if data is None:
            return cls()
        if not isinstance(data, dict):
            raise BadRequest("user_preferences: must be an object")
        language = _text(data, "language", default="zh-TW", min_len=2, max_len=35, where="user_preferences.language")
        if not _LANG.match(language):
            raise BadRequest("user_preferences.language: must be a BCP-47 language tag such as zh-TW, en or ja")
        return cls(language)


@dataclass(frozen=True)
class CreateJobRequest:
    gcs_uri: str
    user_preferences: UserPreferences = field(default_factory=UserPreferences)
    push_token: str | None = None

    @classmethod
    def from_json(cls, data: dict) -> "CreateJobRequest":
        return cls(_text(data, "gcs_uri", required=True, min_len=1, max_len=1024),
                   UserPreferences.from_json(data.get("user_preferences")),
                   _text(data, "push_token", max_len=512))

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class StreamRequest:
    image_base64: str
    user_preferences: UserPreferences = field(default_factory=UserPreferences)

    @classmethod
    def from_json(cls, data: dict) -> "StreamRequest":
        # The size bound is the upload limit, checked (413) where the image is decoded.
        return cls(_text(data, "image_base64", required=True, min_len=1, max_len=1 << 30),
                   UserPreferences.from_json(data.get("user_preferences")))


@dataclass(frozen=True)
class TaskBody:
    job_id: str

    @classmethod
    def from_json(cls, data: dict) -> "TaskBody":
        return cls(_text(data, "job_id", required=True, min_len=1, max_len=64))
