"""What a run takes up from the job document and what it shows of a hint: pure, no stack."""
from __future__ import annotations

from common.core.sections import RunSettings
from common.jobs.model import F, Job
from common.jobs.views import public_view
from common.menu.items import MenuItem
from common.scan import menu
from common.scan.state import RunState


def _state(**job) -> RunState:
    return RunState(Job(job_id="j" * 32, status="running", last_seq=4, **job), lease=None, events=None,
                    settings=RunSettings(), engine_name="gemini")


def _dish(n: int, page: int | None = None) -> dict:
    return MenuItem(id=f"item-{n}", original_name=f"dish {n}", translated_name=f"dish {n}", page=page).model_dump()


def test_a_takeover_keys_dish_pictures_by_the_menu_language_the_dead_run_read():
    state = _state(source_language="ja")
    assert state.source_language == "ja" and state.snapshot("running")[F.SOURCE_LANGUAGE] == "ja"


def test_the_snapshot_says_when_its_partial_dishes_are_another_scans_reading():
    hinted = Job(job_id="h" * 32, status="running", items=[_dish(1)], items_partial=True, items_hint=True)
    own = Job(job_id="o" * 32, status="running", items=[_dish(1)], items_partial=True)
    assert public_view(hinted)["is_hint"] is True and "is_hint" not in public_view(own)


def test_a_dead_run_showing_only_a_hint_leaves_nothing_to_complete_the_job_with():
    state = _state(items=[_dish(1), _dish(2)], items_partial=True, items_hint=True)
    assert menu.keep_partial(state) is False


def test_a_dead_multi_page_run_keeps_the_pages_read_but_not_a_hinted_pages_dishes(monkeypatch):
    appended = []
    state = _state(items=[_dish(1, page=1), _dish(2, page=2), _dish(3, page=2)], items_partial=True,
                   page_objects=["a", "b", "c"],
                   pages=[{"page": 1, "status": "completed", "items_count": 1},
                          {"page": 2, "status": "reading", "hint": True}, {"page": 3, "status": "waiting"}])
    monkeypatch.setattr(state, "log", type("Log", (), {"append": lambda self, *a, **k: appended.append(a)})())
    assert menu.keep_partial(state) is True
    assert [i.id for i in state.items] == ["item-1"] and state.incomplete
    assert [(p["status"], p.get("error", {}).get("code")) for p in state.pages] == [
        ("completed", None), ("failed", "DEADLINE"), ("failed", "DEADLINE")]
    assert appended and appended[0][0] == "menu_data"
