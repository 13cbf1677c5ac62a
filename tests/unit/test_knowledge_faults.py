"""dish_knowledge never fails a scan: its faults are swallowed (common/scan/knowledge.py)."""
from __future__ import annotations

from common.menu.items import MenuItem
from common.gcp import db
from common.scan import knowledge


class _Broken:
    def __getattr__(self, name):
        raise RuntimeError("firestore is down")


def test_knowledge_faults_are_swallowed_and_leave_the_reading_as_it_was(monkeypatch):
    monkeypatch.setattr(db, "client", lambda: _Broken())
    item = MenuItem(id="1", original_name="唐揚げ", translated_name="Karaage")
    assert knowledge.record([item], "en", "gemini") == 0
    assert knowledge.lookup(["唐揚げ"], "en") == {}
    assert knowledge.fill([item], "en") == 0 and item.translated_name == "Karaage"
