"""dish_knowledge: what completed scans teach, merged in Firestore, read back to fill blanks."""
from __future__ import annotations


import pytest

from common.gcp import db
from common.menu.items import MenuItem
from common.scan import allergen_votes, knowledge
from tests.support import eventually, render_photo


def _doc(name: str, language: str) -> dict:
    """The learned entry as stored now ({} if there is none)."""
    snap = db.client().collection(knowledge.KNOWLEDGE).document(knowledge.doc_id(name, language)).get()
    return snap.to_dict() if snap.exists else {}


def _learned(name: str, language: str) -> dict:
    """The learned entry, once there: a scan writes it just after done, so a client may look before it lands."""
    return eventually(lambda: _doc(name, language), timeout_s=10, every_s=0.2, what=f"{name!r} ({language}) learned")


def test_every_completed_gemini_scan_teaches_its_dishes_and_counts_how_often_each_is_seen(api):
    api.scan(render_photo(("唐揚げ 680円",)), "zh-TW")
    first = _learned("唐揚げ", "zh-TW")
    assert first["translated_name"] == "日式炸雞" and first["seen"] == 1 and first["engines"] == ["gemini"]
    # Its allergens are one caller's claim until another agrees (tests/test_knowledge_agreement.py).
    assert [c["set"] for c in first["allergen_votes"].values()] == [["gluten", "soy"]] and first["reading"] == "からあげ"
    api.scan(render_photo(("焼き鳥 980円",)), "zh-TW")  # other bytes: not the cache, a second scan
    eventually(lambda: _doc("唐揚げ", "zh-TW")["seen"] >= 2, timeout_s=10, every_s=0.2, what="the second scan's merge")
    assert _doc("唐揚げ", "zh-TW")["seen"] == 2
    # Keyed by reader language: an English reading is its own entry. Both scans' merges have landed
    # (seen == 2), and a scan merges all it learned in one write, so there is nothing left to wait for.
    assert _doc("唐揚げ", "en") == {}


def test_a_merge_never_overwrites_a_filled_field_with_an_empty_one(stack):
    full = MenuItem(id="1", original_name="まかない丼", translated_name="員工餐蓋飯", description="店員的私房蓋飯。",
                    tags=["pork"], allergens=["soy"])
    bare = MenuItem(id="1", original_name="まかない丼", translated_name="員工餐蓋飯", description="")
    assert knowledge.record([full], "zh-TW", "gemini") == 1
    assert knowledge.record([bare], "zh-TW", "gemini") == 1
    doc = _doc("まかない丼", "zh-TW")
    assert doc["description"] == "店員的私房蓋飯。" and doc["tags"] == ["pork"] and doc["seen"] == 2


def test_the_offline_engines_guess_for_an_unknown_dish_is_never_written(stack):
    guess = MenuItem(id="1", original_name="店長のきまぐれ小鉢", translated_name="Tencho no kimagure kobachi",
                     known=False)
    assert knowledge.record([guess], "en", "local") == 0
    ref = db.client().collection(knowledge.KNOWLEDGE).document(knowledge.doc_id("店長のきまぐれ小鉢", "en"))
    assert not ref.get().exists
    item = guess.model_copy()
    assert knowledge.fill([item], "en") == 0 and not item.known


def test_an_offline_scan_takes_what_a_model_taught_and_never_writes_its_own_guesses_back(stack):
    taught = MenuItem(id="1", original_name="Lamb Pepper Fry", translated_name="黑胡椒炒羊肉",
                      description="南印度風味的黑胡椒乾炒羊肉。", allergens=["milk", "peanut"], tags=["spicy"])
    for caller in ("aa01", "bb02"):  # two callers agree on its allergens
        knowledge.record([taught], "zh-TW", "gemini", caller=caller)
    assert allergen_votes.agreed(_doc("Lamb Pepper Fry", "zh-TW")) == ["milk", "peanut"]
    # The offline engine's own reading: a word-by-word name, a description and allergens guessed.
    guess = MenuItem(id="1", original_name="Lamb Pepper Fry", translated_name="羊肉 Pepper Fry",
                     description="食材：羊肉。", allergens=["lamb"], known=False)  # "made with", not printed
    assert knowledge.fill([guess], "zh-TW") == 1
    assert (guess.translated_name, guess.description, guess.allergens, guess.tags, guess.known) == \
        ("黑胡椒炒羊肉", "南印度風味的黑胡椒乾炒羊肉。", ["milk", "peanut"], ["spicy"], True)
    knowledge.record([guess], "zh-TW", "local")  # counted, nothing of its own taught
    doc = _doc("Lamb Pepper Fry", "zh-TW")
    assert (doc["translated_name"], doc["description"], allergen_votes.agreed(doc), doc["seen"]) == \
        ("黑胡椒炒羊肉", "南印度風味的黑胡椒乾炒羊肉。", ["milk", "peanut"], 3)
    assert sorted(doc["engines"]) == ["gemini", "local"]


def test_a_scan_of_more_dishes_than_one_commit_holds_is_learned_whole(stack):
    items = [MenuItem(id=str(n), original_name=f"Dish number {n}", translated_name=f"第{n}道菜") for n in range(320)]
    assert knowledge.record(items, "zh-TW", "gemini") == knowledge.MAX_NAMES
    assert _doc("Dish number 299", "zh-TW")["translated_name"] == "第299道菜"


def test_learned_entries_fill_an_engines_blanks_and_make_an_unknown_dish_known(stack):
    for caller in ("aa01", "bb02"):
        knowledge.record([MenuItem(id="1", original_name="Chicken Tikka Masala", translated_name="印度奶油烤雞",
                                   description="番茄奶油醬燉烤雞塊。", allergens=["milk"])], "zh-TW", "gemini",
                         caller=caller)
    _learned("Chicken Tikka Masala", "zh-TW")
    gemini = MenuItem(id="a", original_name="CHICKEN TIKKA MASALA", translated_name="雞肉提卡", description="")
    offline = MenuItem(id="b", original_name="chicken tikka masala", translated_name="chicken tikka masala",
                       description="Served with rice.", known=False)
    assert knowledge.fill([gemini, offline], "zh-TW") == 2
    # gemini's own translation stays; only its blank description is filled
    assert (gemini.translated_name, gemini.description) == ("雞肉提卡", "番茄奶油醬燉烤雞塊。")
    # the offline guess is replaced, the printed description kept
    assert offline.known and offline.translated_name == "印度奶油烤雞" and offline.description == "Served with rice."
    assert offline.allergens == ["milk"]


def test_a_dish_taught_from_a_traditional_menu_is_known_on_a_simplified_one(stack):
    knowledge.record([MenuItem(id="1", original_name="秘製紅燒獅子頭", translated_name="Braised lion's head meatballs",
                               description="Pork meatballs braised in soy.")], "en", "gemini")
    simplified = MenuItem(id="a", original_name="秘制红烧狮子头", translated_name="Mi Zhi Hong Shao", known=False)
    assert knowledge.fill([simplified], "en") == 1
    assert simplified.known and simplified.translated_name == "Braised lion's head meatballs"


@pytest.mark.parametrize("collection", ["", "bad/name/with/slashes"])
def test_a_failing_collection_write_is_logged_not_raised(stack, monkeypatch, collection):
    monkeypatch.setattr(knowledge, "KNOWLEDGE", collection)
    assert knowledge.record([MenuItem(id="1", original_name="唐揚げ", translated_name="Karaage")], "en", "gemini") == 0


def test_a_jobs_names_are_read_in_one_batched_call(stack, monkeypatch):
    calls = []
    real = db.client()

    class Counting:
        def __getattr__(self, name):
            return getattr(real, name)

        def get_all(self, refs, **kw):
            refs = list(refs)
            calls.append(len(refs))
            return real.get_all(refs, **kw)

    monkeypatch.setattr(db, "client", lambda: Counting())
    knowledge.lookup(["唐揚げ", "焼き鳥", "刺身", "唐揚げ"], "ja")
    assert calls == [3]
