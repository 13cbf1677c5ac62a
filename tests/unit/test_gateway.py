"""The Python gateway (devstack/gateway.py), in process: what it answers when a function is not there."""
from __future__ import annotations


def test_the_gateway_answers_a_dead_upstream_with_a_json_502_and_logs_its_cause_without_the_query(caplog):
    import asyncio
    import socket

    import httpx

    from devstack import gateway
    from devstack.stack import ENTRY_POINTS

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{s.getsockname()[1]}"
    app = gateway.build_app({name: dead for name in ENTRY_POINTS})  # every function the route table names

    async def call() -> httpx.Response:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gw") as c:
            return await c.get("/api/v1/scan/jobs/" + "0" * 32 + "/events", params={"access_token": "s3cret-token"})

    with caplog.at_level("WARNING", logger="gateway"):
        r = asyncio.run(call())
    assert r.status_code == 502 and r.json()["error"]["code"] == "BAD_GATEWAY"
    failed = [rec for rec in caplog.records if rec.getMessage() == "upstream failed"]
    assert failed and failed[0].fields["error"] == "ConnectError" and failed[0].fields["cause"]
    assert "s3cret-token" not in caplog.text and "s3cret-token" not in str(failed[0].fields)
