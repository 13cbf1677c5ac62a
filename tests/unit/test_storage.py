"""Reading an upload: the storage service's failures are outages, not missing uploads (common/gcp/storage.py)."""
from __future__ import annotations

import pytest


def test_storage_server_errors_read_as_an_outage_not_as_a_missing_upload(monkeypatch):
    from google.api_core import exceptions as gexc

    from common.gcp import storage
    from common.core.errors import Unavailable

    class Down:
        def bucket(self, name):
            return self

        def get_blob(self, *a, **k):
            raise gexc.ServiceUnavailable("backend error")

    monkeypatch.setattr(storage, "client", lambda: Down())
    with pytest.raises(Unavailable) as raised:
        storage.read_upload("menu-uploads", "uploads/x.jpg")
    assert raised.value.code == "STORAGE_UNAVAILABLE"
