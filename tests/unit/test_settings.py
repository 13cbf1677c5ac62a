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
