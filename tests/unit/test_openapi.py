"""The published contract (docs/openapi.yaml) and the route table (worker/routes.json) name the same routes."""
from __future__ import annotations

import json

import yaml

from tests.support import ROOT


def test_the_openapi_file_documents_every_route_of_the_route_table_and_nothing_else():
    spec = yaml.safe_load((ROOT / "docs" / "openapi.yaml").read_text())
    routes = json.loads((ROOT / "worker" / "routes.json").read_text())["routes"]
    documented = {(m.upper(), p) for p, ops in spec["paths"].items() for m in ops}
    assert documented == {(r["method"], r["path"]) for r in routes}
