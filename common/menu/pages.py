"""A menu read from several photos: each page's dishes under ids of their own, the pages joined in
order with a dish two overlapping photos both show kept once, and the top three chosen across all.

Two readings are the same dish when the name folds to the same key (names.key), the price reads the
same (or one has none) and the section is the same (or one has none): the edge of a page photographed
twice. A name that comes back with another price or under another heading is another line of the
menu (lunch and dinner, small and large) and stays.
"""
from __future__ import annotations

import re

from common.menu import names
from common.menu.items import CONFIDENT, MenuItem, finalise_top3

_FILLABLE = ("description", "price", "section", "image_prompt", "reading", "romanji", "currency", "dish_id")


def on_page(page: int, items: list[MenuItem]) -> list[MenuItem]:
    """A page's items under ids no other page uses (p2-item-1, ...), each saying its page."""
    return [i.model_copy(update={"id": f"p{page}-item-{n + 1}", "page": page}) for n, i in enumerate(items)]


def join(pages: list[list[MenuItem]]) -> list[MenuItem]:
    """The pages' items in page order, a dish repeated on a later page merged into its first sighting."""
    out: list[MenuItem] = []
    seen: dict[str, list[MenuItem]] = {}
    for items in pages:
        # Only earlier pages' dishes merge: a dish listed twice on one page is listed twice on the menu.
        earlier = {key: list(found) for key, found in seen.items()}
        for item in items:
            same = next((i for i in earlier.get(names.key(item.original_name), ()) if _same_line(i, item)), None)
            if same is None:
                out.append(item)
                seen.setdefault(names.key(item.original_name), []).append(item)
                continue
            for field in _FILLABLE:  # the other photo may show what this one cut off
                if not getattr(same, field) and getattr(item, field):
                    setattr(same, field, getattr(item, field))
            same.is_top3 = same.is_top3 or item.is_top3
    return out


MENU_MAX_BYTES = 320 * 1024  # the job document holds the menu twice (items, and menu_data in its tail)


def bounded(items: list[MenuItem], max_bytes: int = MENU_MAX_BYTES) -> tuple[list[MenuItem], bool]:
    """The menu's first dishes whose JSON fits in max_bytes, and whether any were left out: Firestore
    refuses a document over 1 MiB, and ten dense pages can pass it."""
    size = 0
    for n, item in enumerate(items):
        size += len(item.model_dump_json().encode()) + 1
        if size > max_bytes:
            return items[:n], True
    return items, False


def top3_across(pages: list[list[MenuItem]], items: list[MenuItem]) -> list[MenuItem]:
    """Exactly min(3, n) top dishes across the pages: each page's first pick in page order, then each
    one's second, and so on (a page of drinks does not crowd out the food; drinks come after the other
    picks, and an unsure line is never one); filled from the top when the engines picked fewer."""
    kept = {i.id for i in items}
    ranked = []  # (a drink, rank on its page, page, id)
    for number, page in enumerate(pages, 1):
        picks = sorted((i for i in page if i.is_top3 and i.id in kept and _confident(i)), key=_drink)
        ranked += [(_drink(i), rank, number, i.id) for rank, i in enumerate(picks)]
    chosen = [ident for *_, ident in sorted(ranked)][:3]
    for item in items:
        item.is_top3 = item.id in chosen
    order = {ident: n for n, ident in enumerate(chosen)}
    finalise_top3(sorted(items, key=lambda i: order.get(i.id, len(order))))  # sets the pictures' states in place
    return items


def _drink(item: MenuItem) -> bool:
    return item.kind == "drink" or "contains_alcohol" in item.tags


def _confident(item: MenuItem) -> bool:
    return item.confidence is None or item.confidence >= CONFIDENT


def _same_line(a: MenuItem, b: MenuItem) -> bool:
    return _agree(_price(a), _price(b)) and _agree(_section(a), _section(b))


def _agree(x: str | None, y: str | None) -> bool:
    return x is None or y is None or x == y


def _price(item: MenuItem) -> str | None:
    if item.price_value is not None:
        return f"{item.price_value:g}"
    digits = re.sub(r"\D", "", item.price or "")
    return digits or None


def _section(item: MenuItem) -> str | None:
    return names.key(item.section) if item.section and names.key(item.section) else None
