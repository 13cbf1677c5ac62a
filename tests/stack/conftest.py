"""The stack tier: the real local stack, started once for the session; data cleaned between tests.

Modules that need other settings start a stack of their own at STACK_PORT_BASE + 100, +200 or +300.
"""
from __future__ import annotations

import os

import pytest

from devstack.stack import Stack
from tests.api import Api
from tests.support import TEST_ENV


@pytest.fixture(scope="session")
def stack(idp):
    # The production default, USER_AUTH=off; tests/stack/test_user_auth.py turns end-user tokens on
    # (optional) for its own tests, with this issuer.
    env = {**TEST_ENV, "USER_AUTH": "off", "AUTH_ISSUER": idp.issuer, "AUTH_AUDIENCE": idp.audience,
           "AUTH_JWKS_URL": idp.jwks_url}
    s = Stack(base_port=int(os.environ.get("STACK_PORT_BASE", "8800")), gemini_api_key="test-key", extra_env=env,
              watchdog_every_s=5)
    s.gemini_base_url = s.gemini_url
    s.start()
    # This process also uses common/ (to inspect Firestore and to play a dead run), with the same settings.
    os.environ.update(s.env())
    # Not this process's spans: a router built here would instrument its HTTP client and send its
    # own trace ids to the stack, in place of the ones a test sends.
    os.environ["TRACE_EXPORTER"] = "none"
    from common.core.settings import reset_settings

    reset_settings()
    yield s
    s.stop()


@pytest.fixture(autouse=True)
def clean(request):
    if "stack" not in request.fixturenames:
        yield
        return
    request.getfixturevalue("stack").reset()
    yield


@pytest.fixture
def api(stack) -> Api:
    return Api(stack)


@pytest.fixture
def api_v2(stack) -> Api:
    return Api(stack, "v2")
