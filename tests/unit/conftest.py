"""The unit tier: in this process, no emulator, no stack and no server of our own; the whole tier runs in
seconds (./run check). A test that needs the emulators belongs in tests/stack/.

Every unit test gets emulator addresses that refuse at once (a call that slips through fails fast and
never leaves the machine), and the clients and settings it built are dropped after it, so a unit test
neither uses nor leaves behind a client of a stack that another tier started in this process.
"""
from __future__ import annotations

import sys

import pytest

from devstack.stack import Stack

CLOSED = "127.0.0.1:9"  # the discard port: nothing listens there
STACK_FIXTURES = {"stack", "api", "api_v2"}


def pytest_collection_modifyitems(config, items):
    here = str(config.rootpath / "tests" / "unit")
    strays = [item.nodeid for item in items if str(item.path).startswith(here) and STACK_FIXTURES & set(item.fixturenames)]
    if strays:
        raise pytest.UsageError("unit tests start no stack; move these to tests/stack/: " + ", ".join(strays))


@pytest.fixture(scope="session")
def stack():
    pytest.fail("the unit tier starts no stack: a test that needs the emulators belongs in tests/stack/")


def _refuse_to_start(self):
    raise AssertionError("the unit tier starts no stack: a test that needs the emulators belongs in tests/stack/")


def _forget_clients() -> None:
    for name in ("common.gcp.db", "common.gcp.storage", "common.gcp.tasks", "common.gcp.assets"):
        client = getattr(sys.modules.get(name), "client", None)
        if hasattr(client, "cache_clear"):
            client.cache_clear()
    settings = sys.modules.get("common.core.settings")
    if settings is not None:
        settings.reset_settings()


@pytest.fixture(autouse=True)
def no_emulators(monkeypatch):
    for name in ("FIRESTORE_EMULATOR_HOST", "PUBSUB_EMULATOR_HOST", "CLOUD_TASKS_EMULATOR_HOST"):
        monkeypatch.setenv(name, CLOSED)
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", f"http://{CLOSED}")
    monkeypatch.setattr(Stack, "start", _refuse_to_start)
    _forget_clients()
    yield
    _forget_clients()
