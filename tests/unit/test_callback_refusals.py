"""A callback URL's refusal never tells a caller what an internal name resolves to."""
from __future__ import annotations

import socket

import pytest

from common.notify import egress


def _refusal(resolve) -> egress.Refused:
    with pytest.raises(egress.Refused) as refused:
        egress.check("https://build-server.corp.internal/hook", resolve=resolve)
    return refused.value


def _nxdomain(host, port):
    raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")


@pytest.mark.parametrize("answer", [["10.0.0.7"], ["127.0.0.1"], ["169.254.169.254"], ["100.64.1.1"],
                                    ["fd00::1"], ["93.184.216.34", "192.168.1.1"]])
def test_a_name_that_resolves_to_a_private_address_is_refused_exactly_as_one_that_does_not_resolve(answer):
    private, missing = _refusal(lambda h, p: answer), _refusal(_nxdomain)
    assert (private.code, private.status, private.message) == (missing.code, missing.status, missing.message)
    assert private.message == "callback_url refused: the host build-server.corp.internal does not resolve to a " \
                              "public address"


def test_a_literal_address_is_still_refused_naming_its_class():
    with pytest.raises(egress.Refused, match="private"):
        egress.check("https://10.0.0.7/hook")
