"""Fixtures every tier may use. The tiers, each with a conftest of its own:

    tests/unit/        in this process, no emulator and no server of our own: seconds (./run check)
    tests/functional/  heavy real parts run whole, no emulator: the offline engine's OCR, deploy.sh
    tests/stack/       against the real emulators and functions (devstack/stack.py)
"""
from __future__ import annotations

import collections
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.support import render_photo  # noqa: E402


@pytest.fixture(scope="session")
def idp():
    """A token issuer serving its keys on loopback from this process (tests/idp.py)."""
    from tests.idp import Issuer

    issuer = Issuer()
    yield issuer
    issuer.stop()


@pytest.fixture(scope="session")
def menu_photo() -> bytes:
    return render_photo()


class Campaign:
    """Counts what the fault campaign exercised (deliveries, disconnects, ...); printed after the run."""

    def __init__(self):
        self.counts: collections.Counter = collections.Counter()

    def count(self, what: str, n: int = 1) -> None:
        self.counts[what] += n


_campaign = Campaign()


@pytest.fixture
def campaign() -> Campaign:
    return _campaign


def pytest_terminal_summary(terminalreporter):
    if _campaign.counts:
        terminalreporter.section("fault campaign")
        for what, n in sorted(_campaign.counts.items()):
            terminalreporter.write_line(f"{what}: {n}")
