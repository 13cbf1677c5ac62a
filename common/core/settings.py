"""Settings in sections, one per concern, read from the environment once per process.

Each section is a frozen dataclass whose field names are the environment variables' names in
lower case (unchanged since the single settings object, so deploy.sh and every deployment keep
working). Entry points read `get_settings()` once and pass the sections their parts need.

A frozen dataclass and a small loader rather than pydantic-settings: every entry point builds it at
start-up, and on signed_url's path pydantic alone cost about 0.12 s of a 0.5 s cold-start budget
(`python -X importtime`, bench/cold_start.py).
"""
from __future__ import annotations

import dataclasses
import functools
import os
import re
import typing
from dataclasses import dataclass, field
from typing import Literal

from common.core.errors import ConfigError
from common.core.sections import (AccessSettings, AssetSettings, CloudSettings, LimitSettings, ModelSettings,
                                  NotifySettings, RunSettings, Secret, StreamSettings, TaskSettings, UploadSettings)

_ORIGIN = re.compile(r"^https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?$|^https?://\[[0-9A-Fa-f:.]+\](:[0-9]{1,5})?$")


@dataclass(frozen=True)
class Settings:
    """Every section; each entry point reads this once and passes on the sections its parts need."""

    cloud: CloudSettings = field(default_factory=CloudSettings)
    uploads: UploadSettings = field(default_factory=UploadSettings)
    tasks: TaskSettings = field(default_factory=TaskSettings)
    assets: AssetSettings = field(default_factory=AssetSettings)
    models: ModelSettings = field(default_factory=ModelSettings)
    run: RunSettings = field(default_factory=RunSettings)
    streams: StreamSettings = field(default_factory=StreamSettings)
    access: AccessSettings = field(default_factory=AccessSettings)
    limits: LimitSettings = field(default_factory=LimitSettings)
    notify: NotifySettings = field(default_factory=NotifySettings)

    def require(self, *names: str) -> "Settings":
        """Fail fast when a variable this entry point needs is unset (names are lower-case variable names)."""
        missing = [n.upper() for n in names if not getattr(self._section_of(n), n)]
        if missing:
            raise ConfigError(f"missing required environment variable(s): {', '.join(missing)}")
        return self

    def _section_of(self, name: str):
        for f in dataclasses.fields(self):
            section = getattr(self, f.name)
            if name in {sf.name for sf in dataclasses.fields(section)}:
                return section
        raise KeyError(f"no setting named {name}")

    @classmethod
    def from_env(cls, environ: typing.Mapping[str, str] | None = None) -> "Settings":
        """Read every field of every section from its upper-cased variable; ConfigError names each
        one that is invalid, all at once."""
        environ = os.environ if environ is None else environ
        sections, problems = {}, []
        for f in dataclasses.fields(cls):
            kind = typing.get_type_hints(cls)[f.name]
            values = {}
            hints = typing.get_type_hints(kind)
            for sf in dataclasses.fields(kind):
                raw = environ.get(sf.name.upper())
                if raw is None:
                    continue
                try:
                    values[sf.name] = _convert(raw, hints[sf.name], sf.metadata)
                except ValueError as exc:
                    problems.append(f"{sf.name.upper()}: {exc}")
            sections[f.name] = values
        if problems:
            raise ConfigError(f"invalid environment variable(s): {'; '.join(problems)}")
        settings = cls(**{name: typing.get_type_hints(cls)[name](**values) for name, values in sections.items()})
        _check_together(settings)
        return settings


def variable_names() -> frozenset[str]:
    """Every environment variable a section reads (its fields' names, upper-cased)."""
    hints = typing.get_type_hints(Settings)
    return frozenset(sf.name.upper() for f in dataclasses.fields(Settings) for sf in dataclasses.fields(hints[f.name]))


def _check_together(s: Settings) -> None:
    """Settings that are each valid but wrong together."""
    if s.cloud.trace_exporter == "file" and not s.cloud.trace_dir:
        raise ConfigError("TRACE_EXPORTER=file: set TRACE_DIR, the folder the span files go to")
    bad = [o for o in s.access.cors_origin_list if not _ORIGIN.match(o)]
    if bad:
        raise ConfigError(f"invalid environment variable(s): CORS_ORIGINS: {', '.join(map(repr, bad))} "
                          "is not an origin (scheme://host[:port], http or https, no path)")
    if s.access.user_auth != "off" and not all(s.access.user_auth_keys):
        raise ConfigError("USER_AUTH is on: set FIREBASE_PROJECT_ID, or AUTH_ISSUER, AUTH_AUDIENCE and "
                          "AUTH_JWKS_URL")


def _convert(raw: str, kind, bounds) -> object:
    if kind is Secret:
        return Secret(raw)
    if typing.get_origin(kind) is Literal:
        choices = typing.get_args(kind)
        value = raw.strip()
        match = next((c for c in choices if c.lower() == value.lower()), None)
        if match is None:
            raise ValueError(f"must be one of {', '.join(choices)}, got {value!r}")
        return match
    if kind is bool:
        value = raw.strip().lower()
        if value in ("1", "true", "yes", "on"):
            return True
        if value in ("0", "false", "no", "off"):
            return False
        raise ValueError(f"must be true or false, got {raw!r}")
    if kind in (int, float):
        try:
            value = kind(raw.strip())
        except ValueError:
            raise ValueError(f"must be {'an integer' if kind is int else 'a number'}, got {raw!r}") from None
        for name, test, word in (("ge", lambda v, b: v >= b, "≥"), ("gt", lambda v, b: v > b, ">"),
                                 ("le", lambda v, b: v <= b, "≤")):
            bound = bounds.get(name)
            if bound is not None and not test(value, bound):
                raise ValueError(f"must be {word} {bound}, got {value}")
        return value
    return raw


@functools.lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings; raises ConfigError naming the bad variable."""
    return Settings.from_env()


def reset_settings() -> None:
    """Forget the cached settings (tests change the environment)."""
    get_settings.cache_clear()
