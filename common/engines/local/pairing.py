"""Which name a price printed on a line of its own belongs to: the one above or the one below, as the
lines around it and the menu's other prices say; and a second price line for one dish as more options."""
from __future__ import annotations

from common.engines.local import headings, notes, sizes, wording
from common.engines.local.prices import Price
from common.engines.local.rows import Row


def pair(rows: list[Row], shouts: bool = False) -> dict[int, str]:
    """For each price printed alone on its line: "up" when it belongs to the name line above, "down"
    when to the one below it in the same column."""
    out, unsure = {}, []
    last = {r.column: i for i, r in enumerate(rows)}
    after_description = _after_description(rows)
    for i, r in enumerate(rows):
        if not r.price_only:
            continue
        above = rows[i - 1] if i and rows[i - 1].wordy and (rows[i - 1].column == r.column
                                                             or just_above(rows[i - 1], r)) else None
        below = rows[i + 1] if i + 1 < len(rows) and rows[i + 1].column == r.column and rows[i + 1].wordy else None
        prev = rows[i - 1] if i and rows[i - 1].column == r.column and rows[i - 1].price_only else None
        if prev and larger(prev.price, r.price):
            out[i] = "up"  # "Bottle 44" under "Glass 11": the same dish's larger size
            continue
        if not (above and below):
            # a price over a description is the price of a name above it that a cut left in another block
            out[i] = "down" if below and not notes.is_description(below.text) else "up"
            continue
        # OCR boxes carry padding, so touching lines overlap: a gap below zero is no gap at all.
        gap_up, gap_down, h = max(0.0, r.y0 - above.y1), max(0.0, below.y0 - r.y1), r.y1 - r.y0
        written_below, written_above = written(below.text), written(above.text)
        if written_below != written_above:
            # a price goes with a name, not a description; but a name, its description, then its price
            # is one dish, when a gap parts it from the next, or when the column so sets its first
            # price and ends in one
            through = written_above and name_over(rows, i - 1) is not None and (
                gap_down > 0.3 * h and gap_up < 0.5 * gap_down
                or r.column in after_description and rows[last[r.column]].price_only)
            out[i] = "up" if written_below or through else "down"
        elif not any(rows[k].column == r.column and rows[k].wordy for k in range(i - 1)):
            unsure.append(i)  # the line above opens the column: the restaurant's name, or the first dish
        # Box heights vary with a word's letters ("Ramune" sits lower than "Kung Pao"), so only a
        # clearly smaller line counts as set smaller.
        elif below.size < 0.75 * above.size and headings.section_name(above.text, above.size, 0, shouts)[0] is None:
            out[i] = "up"  # a name above, its description (set smaller) below
        elif above.size < 0.75 * min(below.size, r.size):
            out[i] = "down"  # the dish above's description (set smaller than names and prices), the next name
        elif gap_up > 0.3 * h and gap_down < 0.5 * gap_up:
            out[i] = "down"
        elif gap_down > 0.3 * h and gap_up < 0.5 * gap_down:
            out[i] = "up"
        else:
            unsure.append(i)
    # A menu sets all its prices one way: one that the lines around it do not decide goes the way
    # the menu's clear cases go, and up when they do not agree.
    votes = list(out.values())
    way = "down" if votes.count("down") >= 2 and votes.count("down") >= 2 * votes.count("up") else "up"
    out.update({i: way for i in unsure})
    return dict(sorted(out.items()))


def larger(price: Price, more: Price) -> bool:
    """`more` prices a larger size of the scale `price` does (Glass 11, then Bottle 44)."""
    return bool(price.options and more.options) and all(
        sizes.follows(price.options[-1][0], label) for label, _ in more.options)


def described(rows: list[Row], i: int) -> int | None:
    """The line a description (row `i`, and any described rows above it) is set under in its column:
    its dish's name, or a priced dish's row; None when it opens the column."""
    k = i - 1
    while k >= 0 and rows[k].column == rows[i].column and rows[k].wordy and written(rows[k].text):
        k -= 1
    return k if k >= 0 and rows[k].column == rows[i].column else None


def name_over(rows: list[Row], i: int) -> int | None:
    """The name line (unpriced, no description) over description row `i`; None when none is."""
    k = described(rows, i)
    return k if k is not None and rows[k].wordy else None


def _after_description(rows: list[Row]) -> set[int]:
    """The columns whose first price alone on its line is set under a dish's description, under its name."""
    out, seen = set(), set()
    for i, r in enumerate(rows):
        if r.price_only and r.column not in seen:
            seen.add(r.column)
            if i and rows[i - 1].column == r.column and rows[i - 1].wordy and written(rows[i - 1].text) \
                    and name_over(rows, i - 1) is not None:
                out.add(r.column)
    return out


def written(text: str) -> bool:
    """Written as a description or a sentence, not as a name."""
    return notes.is_description(text) or wording.is_sentence(text)


def just_above(name: Row, price: Row) -> bool:
    """A name line set flush over a price line, though a cut put them in two blocks."""
    return abs(name.x0 - price.x0) < 0.6 * price.size and -0.3 * price.size <= price.y0 - name.y1 < price.size


def merge(into: Price, more: Price) -> None:
    """A second price line for one dish (by portion or protein) becomes more options of its price."""
    into.options = (into.options or ([("", into.amount)] if into.amount else [])) + (
        more.options or ([("", more.amount)] if more.amount else []))
    into.text = f"{into.text} / {more.text}"
    amounts = [a for _, a in into.options if a is not None]
    into.amount = min(amounts) if amounts else into.amount
