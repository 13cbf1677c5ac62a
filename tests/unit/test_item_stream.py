"""The item scanner that finds each dish in a streamed JSON answer (common/engines/item_stream.py)."""
from __future__ import annotations

import json
import random


def test_items_are_found_in_a_json_answer_cut_into_slices_anywhere():
    from common.engines.item_stream import ItemStream

    tricky = [{"original_name": f'say "{k}" {{not}} [a, b]: \\ {k}', "translated_name": "é, ü: 一",
               "tags": ["x"], "nested": {"items": [{"k": "}"}]}} for k in range(25)]
    doc = json.dumps({"is_menu": True, "decoy": {"items": [{"no": 1}]}, "items": tricky, "after": [{"no": 2}]},
                     ensure_ascii=False)
    rng = random.Random(7)
    for _ in range(200):
        scanner, found, at = ItemStream(), [], 0
        while at < len(doc):
            step = rng.randint(1, 30)
            found += scanner.feed(doc[at:at + step])
            at += step
        assert found == tricky and scanner.text == doc


def test_an_unfinished_item_is_not_reported_until_its_closing_brace_arrives():
    from common.engines.item_stream import ItemStream

    scanner = ItemStream()
    assert scanner.feed('{"is_menu": true, "items": [{"original_name": "A", "translated_name": "a"}, '
                        '{"original_name": "B", "transl') == [{"original_name": "A", "translated_name": "a"}]
    assert scanner.feed('ated_name": "b"}') == [{"original_name": "B", "translated_name": "b"}]
    assert scanner.feed("]}") == [] and scanner.count == 2
