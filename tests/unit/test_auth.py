"""Who may call: internal entry points and end users' tokens, checked in process (common/api/auth.py).
Token issuers are tests/idp.py's, serving their keys on loopback from this process."""
from __future__ import annotations
from common.api.jwt import JwtVerifier

import uuid

import pytest

from tests.support import Clock


def test_internal_entry_points_refuse_every_caller_when_nothing_is_configured(monkeypatch):
    from common.api import auth
    from common.core.settings import reset_settings
    from common.core.errors import Unauthorized

    for name in ("INTERNAL_SECRET", "INTERNAL_AUDIENCES", "INTERNAL_SERVICE_ACCOUNTS"):
        monkeypatch.setenv(name, "")
    reset_settings()
    try:
        for headers in ({}, {"X-Internal-Secret": ""}, {"Authorization": "Bearer anything"}):
            with pytest.raises(Unauthorized):
                auth.require_internal(headers)
    finally:
        monkeypatch.undo()
        reset_settings()


def test_with_user_auth_required_a_caller_without_a_token_is_refused(idp, monkeypatch):
    from common.api import auth
    from common.core.settings import reset_settings
    from common.core.errors import Unauthorized

    monkeypatch.setenv("USER_AUTH", "required")
    for name, value in (("AUTH_ISSUER", idp.issuer), ("AUTH_AUDIENCE", idp.audience), ("AUTH_JWKS_URL", idp.jwks_url)):
        monkeypatch.setenv(name, value)
    reset_settings()
    auth.reset_verifiers()
    try:
        with pytest.raises(Unauthorized) as refused:
            auth.identify({}, "192.0.2.1")
        assert refused.value.code == "AUTH_REQUIRED"
        caller = auth.identify({"Authorization": f"Bearer {idp.token('bob')}"}, "192.0.2.1")
        assert (caller.subject, caller.key) == ("bob", "user:bob")
    finally:
        monkeypatch.undo()
        reset_settings()
        auth.reset_verifiers()


def test_when_configured_internal_callers_must_bring_a_google_token_for_the_audience_and_account(monkeypatch):
    from common.api import auth
    from common.core.settings import reset_settings
    from common.core.errors import Unauthorized
    from tests.idp import Issuer

    google = Issuer(issuer="https://accounts.google.com", audience="https://run-scan-task.example")
    invoker = "menu-scan-invoker@demo.iam.gserviceaccount.com"
    monkeypatch.setenv("INTERNAL_SECRET", "")
    monkeypatch.setenv("INTERNAL_AUDIENCES", google.audience)
    monkeypatch.setenv("INTERNAL_SERVICE_ACCOUNTS", invoker)
    monkeypatch.setenv("INTERNAL_JWKS_URL", google.jwks_url)
    reset_settings()
    auth.reset_verifiers()
    try:
        def call(token):
            return auth.require_internal({"Authorization": f"Bearer {token}"} if token else {})

        call(google.token("1234", email=invoker, email_verified=True))
        # Account only (the finalize target: Eventarc's audience is not known ahead): any audience.
        monkeypatch.setenv("INTERNAL_AUDIENCES", "")
        reset_settings()
        auth.reset_verifiers()
        call(google.token("1234", email=invoker, email_verified=True, aud="https://run-scan-finalize-xyz.a.run.app"))
        with pytest.raises(Unauthorized):
            call(google.token("1234", email="someone@else.iam.gserviceaccount.com", email_verified=True))
        monkeypatch.setenv("INTERNAL_AUDIENCES", google.audience)
        reset_settings()
        auth.reset_verifiers()
        for bad in (None, google.token("1234", email="someone@else.iam.gserviceaccount.com", email_verified=True),
                    google.token("1234", email=invoker, email_verified=True, aud="https://other.example"),
                    google.token("1234", email=invoker, email_verified=False)):
            with pytest.raises(Unauthorized):
                call(bad)
    finally:
        monkeypatch.undo()
        reset_settings()
        auth.reset_verifiers()
        google.stop()


@pytest.fixture
def issuer():
    """An issuer of this test's own: rotating its key touches no other test's tokens."""
    from tests.idp import Issuer

    own = Issuer()
    yield own
    own.stop()


def test_a_rotated_signing_key_is_fetched_once_its_refresh_interval_allows_and_made_up_key_ids_fetch_no_more(
        issuer, monkeypatch):
    from common.core.errors import Unauthorized

    clock = Clock()
    # The key set's refresh interval runs on this clock.
    verifier = JwtVerifier(issuer.issuer, [issuer.audience], issuer.jwks_url, min_refresh_s=2, monotonic=clock.monotonic)
    assert verifier.verify(issuer.token("alice"))["sub"] == "alice"
    fetched = issuer.fetches
    issuer.rotate()
    with pytest.raises(Unauthorized, match="unknown key"):
        verifier.verify(issuer.token("alice"))  # within the interval since the last fetch: not fetched again
    assert issuer.fetches == fetched
    clock.advance(2)
    assert verifier.verify(issuer.token("alice"))["sub"] == "alice"  # the new key set, fetched once
    assert issuer.fetches == fetched + 1
    for _ in range(20):
        with pytest.raises(Unauthorized):
            verifier.verify(issuer.token("alice", kid=uuid.uuid4().hex))
    assert issuer.fetches == fetched + 1  # however many made-up key ids: no fetch inside the interval
    clock.advance(2)
    for _ in range(20):
        with pytest.raises(Unauthorized):
            verifier.verify(issuer.token("alice", kid=uuid.uuid4().hex))
    assert issuer.fetches == fetched + 2  # and one per interval after it
