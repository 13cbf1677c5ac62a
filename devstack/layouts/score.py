"""Recall and precision of a reading against what a generated page prints.

Recall: printed dishes whose name was read exactly (after the knowledge base's key: NFKC, case, spaces,
punctuation). Precision: returned items that are real dishes — a printed dish's name read exactly, or
read with an OCR slip (similarity ≥ 85 % to a name not otherwise found); a second item for one dish, a
heading, a notice, a description, merged lines and ornaments are not. A set menu's title may be read as
an item or not (`Dish.optional`): it counts on neither side.
"""
from __future__ import annotations

from dataclasses import dataclass, fields


@dataclass
class Score:
    dishes: int = 0      # printed dishes
    found: int = 0       # of them, read exactly
    priced: int = 0      # found dishes that print a price
    price_right: int = 0  # of them, the lowest amount read right
    items: int = 0       # returned items, optional lines left out
    real: int = 0        # of them, real dishes (exact or an OCR slip)
    exact: int = 0       # of them, exact

    def add(self, other: "Score") -> "Score":
        return Score(*(getattr(self, f.name) + getattr(other, f.name) for f in fields(self)))

    @property
    def recall(self) -> float:
        return self.found / self.dishes if self.dishes else 1.0

    @property
    def precision(self) -> float:
        return self.real / self.items if self.items else 1.0

    @property
    def strict_precision(self) -> float:
        return self.exact / self.items if self.items else 1.0

    @property
    def prices(self) -> float:
        return self.price_right / self.priced if self.priced else 1.0


def score(dishes: list, items: list) -> tuple[Score, list[str], list[str]]:
    """(score, names missed, items that are not dishes) for the engine's items (MenuItem-like) on a page."""
    from rapidfuzz import fuzz

    from common.engines.local.dishes import key

    truth = [d for d in dishes if not d.optional]
    optional = {key(d.name) for d in dishes if d.optional}
    names = {}
    for n, d in enumerate(truth):
        for name in (d.name, *d.aliases):
            names.setdefault(key(name), n)
    s, taken, junk = Score(dishes=len(truth)), {}, []
    for item in items:
        k = key(item.original_name)
        if k in optional:
            continue
        s.items += 1
        n = names.get(k)
        if n is not None and n not in taken:
            taken[n] = item
            s.exact += 1
            s.real += 1
            continue
        close = max(((fuzz.ratio(k, other), m) for other, m in names.items() if m not in taken), default=(0, None))
        if close[0] >= 85:
            taken[close[1]] = None  # an OCR slip: a real dish, not read exactly
            s.real += 1
        else:
            junk.append(item.original_name)
    for n, d in enumerate(truth):
        item = taken.get(n)
        if item is None:
            continue
        s.found += 1
        if d.amount is not None:
            s.priced += 1
            s.price_right += item.price_value == d.amount
    missed = [d.name for n, d in enumerate(truth) if taken.get(n) is None]
    return s, missed, junk
