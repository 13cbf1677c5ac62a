"""Dish pictures reused across jobs: a dish drawn once is not drawn again; the later job gets a copy of
the picture under its own asset id at once, and its image_update says reused: true."""
from __future__ import annotations

import httpx

from common.scan import dish_pictures as pictures
from tests.support import eventually
from tests.support import render_photo


def _photo(n: int) -> bytes:
    """Photos whose bytes and looks differ (no cache hit, no hint): the fake reads the same menu from each."""
    return render_photo(tuple(f"{'#' * (n + 1)} line {k}" for k in range(n % 5 + 1)), size=(800 + 10 * n, 1100))


def _ready(frames) -> list[dict]:
    return [f.data for f in frames if f.event == "image_update" and f.data["image_status"] == "ready"]


def _image_calls(api) -> int:
    return len([r for r in api.gemini_calls()["requests"] if r["kind"] == "image"])


def _recorded(n: int) -> None:
    from common.gcp import db

    eventually(lambda: len(list(db.client().collection(pictures.PICTURES).select([]).stream())) >= n, timeout_s=10,
             what="the dish pictures' records")


def test_a_dish_drawn_for_an_earlier_job_is_copied_for_the_next_with_no_image_model_call(api):
    _, first = api.scan(_photo(1))
    assert [u.get("reused") for u in _ready(first)] == [None] * 3 and _image_calls(api) == 3
    _recorded(3)
    job_id, second = api.scan(_photo(2))

    assert _image_calls(api) == 3  # none for the second job
    ready = _ready(second)
    assert len(ready) == 3 and all(u["reused"] is True for u in ready)
    before = {u["item_id"]: u["image_url"] for u in _ready(first)}
    for u in ready:
        # Its own copy, under the second job's asset id, served like any picture.
        assert u["image_url"] != before[u["item_id"]] and u["image_url"].endswith(f"/{u['item_id']}.jpg")
        mine, theirs = httpx.get(u["image_url"]), httpx.get(before[u["item_id"]])
        assert mine.status_code == 200 and mine.content == theirs.content
        assert mine.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert second[-1].data["status"] == "completed"
    assert {i["image_url"] for i in api.snapshot(job_id)["items"] if i["is_top3"]} == {u["image_url"] for u in ready}


def test_another_reader_language_reuses_the_picture_too_since_a_photo_has_no_words(api):
    api.scan(_photo(3), language="zh-TW")
    _recorded(3)
    _, frames = api.scan(_photo(4), language="en")
    assert all(u.get("reused") for u in _ready(frames)) and _image_calls(api) == 3


def test_a_picture_whose_object_is_gone_is_drawn_again_and_recorded_anew(api):
    from common.core.settings import get_settings
    from common.gcp import assets, db

    _, first = api.scan(_photo(5))
    _recorded(3)
    gone = next(u for u in _ready(first))
    key = gone["image_url"].split("/assets/", 1)[1]
    assets.client().delete_object(Bucket=get_settings().assets.r2_bucket, Key=key)
    _, second = api.scan(_photo(6))
    ready = {u["item_id"]: u for u in _ready(second)}
    assert ready[gone["item_id"]].get("reused") is None and _image_calls(api) == 4
    assert sum(1 for u in ready.values() if u.get("reused")) == 2
    objects = {s.get("object") for s in db.client().collection(pictures.PICTURES).stream()}
    assert key not in objects  # the record names the new drawing now
