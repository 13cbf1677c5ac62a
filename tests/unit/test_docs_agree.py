"""The docs say what the code does: figures and settings named there are the code's own."""
from __future__ import annotations

import dataclasses
import re
from pathlib import Path

from common.core.settings import Settings
from common.profiles import store

DOCS = Path(__file__).resolve().parents[2] / "docs"
README = DOCS.parent / "README.md"


def test_profiles_md_names_the_number_of_versions_a_profile_keeps():
    kept = re.findall(r"At most (\d+) are kept", (DOCS / "profiles.md").read_text())
    assert kept == [str(store.MAX_VERSIONS)]


def test_security_md_says_v1_job_ids_are_read_credentials_in_logs_and_request_urls_and_who_sees_them():
    text = " ".join((DOCS / "security.md").read_text().split())
    assert "A v1 job id is a read credential" in text
    for where in ("run.googleapis.com/requests", "Cloudflare", "log viewers"):
        assert where in text, where


def test_security_md_says_how_to_rotate_the_origin_secret_and_deploy_sh_takes_it():
    assert "ORIGIN_SECRET_PREVIOUS" in (DOCS / "security.md").read_text()
    assert "ORIGIN_SECRET_PREVIOUS_VERSION" in (DOCS.parent / "deploy.sh").read_text()


def test_the_readme_configuration_table_names_every_setting_with_its_default():
    table = README.read_text().split("## Configuration", 1)[1].split("\n## ", 1)[0]
    rows = {}
    for line in table.splitlines():
        if line.startswith("| `"):
            cells = [c.strip() for c in line.strip("|").split("|")]
            for name in re.findall(r"`([A-Z0-9_]+)`", cells[0]):
                rows[name] = cells[1]
    defaults = {f.name.upper(): f.default for section in dataclasses.fields(Settings)
                for f in dataclasses.fields(section.default_factory)}
    for name in ("UPLOAD_NAME_SECRETS", "ORIGIN_SECRET_PREVIOUS", "DAILY_JOB_CAP_PER_CALLER", "DAILY_JOB_RESERVE",
                 "DAILY_JOB_LIGHT_CALLER", "RATE_READ_PER_MIN", "RATE_READ_BURST"):
        assert name in rows, name
    for name in ("DAILY_JOB_CAP_PER_CALLER", "DAILY_JOB_RESERVE", "DAILY_JOB_LIGHT_CALLER"):
        assert rows[name].replace(",", "") == f"{defaults[name]:g}", (name, rows[name])
    # A row naming several variables gives their defaults in order.
    read = next(cells for cells in [line.strip("|").split("|") for line in table.splitlines()]
                if "`RATE_READ_PER_MIN`" in cells[0])
    assert [d.strip() for d in read[1].split(",")] == [f"{defaults['RATE_READ_PER_MIN']:g}",
                                                       f"{defaults['RATE_READ_BURST']:g}"]
