"""Allergens that scans teach count for later readers only once two different callers agree on them:
one anonymous scan cannot decide an unknown dish's allergens for everyone after it."""
from __future__ import annotations

import time

from common.menu.items import MenuItem
from common.scan import knowledge
from tests.support import render_photo


def _offline_guess() -> MenuItem:
    """The offline engine's reading of a dish it does not know: its allergens a guess from words."""
    return MenuItem(id="1", original_name="唐揚げ", translated_name="Kara-age", allergens=["chicken"], known=False)


def _learned(timeout_s: float = 10, want_allergens: bool = False) -> MenuItem:
    """The guess after knowledge filled it; written just after done, so it may take a moment."""
    deadline = time.monotonic() + timeout_s
    while True:
        item = _offline_guess()
        knowledge.fill([item], "zh-TW")
        if (item.known and (not want_allergens or item.allergens != ["chicken"])) or time.monotonic() > deadline:
            return item
        time.sleep(0.2)


def _scan_from(api, ip: str, photo: bytes) -> None:
    api.http.headers["CF-Connecting-IP"] = ip
    try:
        job_id = api.job(api.upload(photo), "zh-TW")
        assert api.events(job_id)[-1].data["status"] == "completed"
    finally:
        del api.http.headers["CF-Connecting-IP"]


def test_one_callers_scans_do_not_decide_a_dishs_allergens_and_a_second_caller_agreeing_does(api):
    _scan_from(api, "203.0.113.10", render_photo(("唐揚げ 680円",)))
    _scan_from(api, "203.0.113.10", render_photo(("唐揚げ 700円",)))  # the same caller again: still one
    once = _learned()
    assert once.known and once.translated_name == "日式炸雞"  # the translation is learned at once
    assert once.allergens == ["chicken"]  # the allergens are not: the engine's own guess stays
    _scan_from(api, "198.51.100.20", render_photo(("唐揚げ 720円",)))  # another caller, the same claim
    agreed = _learned(want_allergens=True)
    assert sorted(agreed.allergens) == ["gluten", "soy"]


def test_a_claim_is_counted_per_caller_and_the_most_claimed_set_wins(stack):
    from common.scan import allergen_votes

    record = {}
    for caller, allergens in (("aa11", ["soy"]), ("aa22", ["soy"]), ("bb33", ["soy", "egg"]), ("cc44", ["egg", "soy"])):
        for key, claim in allergen_votes.vote(allergens, caller)[allergen_votes.FIELD].items():
            slot = record.setdefault(allergen_votes.FIELD, {}).setdefault(key, {"set": claim["set"], "by": {}})
            slot["by"].update(claim["by"])
    # "aa11" and "aa22" share a bucket: one caller's worth, so soy alone has one, soy+egg two.
    assert allergen_votes.agreed(record) == ["egg", "soy"]
    assert allergen_votes.vote(["soy"], None) == {} and allergen_votes.vote([], "aa11") == {}
