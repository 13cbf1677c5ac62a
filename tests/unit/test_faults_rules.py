"""Which failures are a dependency's passing fault: one definition, by class (core/faults.py)."""
from __future__ import annotations

import urllib.error

import pytest

from common.core import faults


@pytest.mark.parametrize("exc", [ConnectionError("reset"), TimeoutError("slow"),
                                 urllib.error.HTTPError("u", 503, "down", {}, None),
                                 urllib.error.URLError("no route")])
def test_a_dependencys_outage_becomes_a_503_with_retry_after(exc):
    err = faults.outage(exc)
    assert err is not None and err.status == 503 and err.headers() == {"Retry-After": "5"}


@pytest.mark.parametrize("exc", [ValueError("bug"), KeyError("x"), urllib.error.HTTPError("u", 404, "no", {}, None)])
def test_a_bug_or_a_refusal_is_not_called_an_outage(exc):
    assert faults.outage(exc) is None


def test_a_write_surely_not_applied_is_a_fault_after_which_a_write_may_be_unsure_but_not_the_reverse():
    from google.api_core import exceptions as gexc

    assert set(faults.store_not_applied()) <= set(faults.store_retryable()) <= set(faults.store_unsure())
    assert gexc.Aborted in faults.store_unsure() and gexc.Aborted not in faults.store_retryable()
    assert gexc.InternalServerError not in faults.store_not_applied()
