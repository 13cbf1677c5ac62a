"""Settings read from the environment: every bad variable named (common/core/settings.py)."""
from __future__ import annotations

import pytest


def test_the_file_exporter_needs_its_folder_named():
    from common.core.settings import Settings
    from common.core.errors import ConfigError

    with pytest.raises(ConfigError, match="TRACE_DIR"):
        Settings.from_env({"TRACE_EXPORTER": "file"})
    with pytest.raises(ConfigError, match="TRACE_SAMPLE_RATIO"):
        Settings.from_env({"TRACE_SAMPLE_RATIO": "1.5"})


def test_every_invalid_variable_is_named_at_once_with_what_it_must_be():
    from common.core.errors import ConfigError
    from common.core.settings import Settings

    with pytest.raises(ConfigError) as refused:
        Settings.from_env({"LEASE_S": "soon", "SIGNED_URL_TTL_S": "5", "USER_AUTH": "sometimes", "GEMINI_STREAM": "y"})
    message = str(refused.value)
    for name, why in (("LEASE_S", "a number"), ("SIGNED_URL_TTL_S", "≥ 60"), ("USER_AUTH", "off, optional, required"),
                      ("GEMINI_STREAM", "true or false")):
        assert f"{name}: must be" in message and why in message, (name, message)
