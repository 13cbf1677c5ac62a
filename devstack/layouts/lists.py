"""Lists of dishes as menus set them, drawn into one block: price to the right (with or without leaders),
right after the name, on the line below, in labelled price columns, several on one line, or none;
numbered or not, a description or a translation under the name, left-aligned or centred."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from devstack.layouts.content import Dish, PriceStyle, Source
from devstack.layouts.paint import Canvas, Overflow, Rect

COLUMN_LABELS = {"en": [("Small", "Large"), ("Reg", "Lg"), ("Half", "Full"), ("Glass", "Bottle"), ("Lunch", "Dinner")],
                 "zh": [("小", "大"), ("例", "大"), ("單點", "套餐")], "ja": [("並", "大盛"), ("単品", "セット")]}
MULTI = {"en": [("Chicken", "Beef"), ("S", "L"), ("Small", "Large"), ("Veg", "Prawn"), ("Glass", "Bottle")],
         "zh": [("小", "大"), ("中", "大"), ("半隻", "一隻")], "ja": [("並", "大"), ("グラス", "ボトル")]}


@dataclass
class ListStyle:
    price: str            # right | after | below | columns | multi | none
    size: int             # the names' size in px
    face: str
    leaders: bool = False
    numbered: bool = False
    desc: float = 0.0     # share of dishes with a description (or, on a bilingual page, a translation) under them
    centred: bool = False
    bilingual: bool = False


def _price(src: Source, ps: PriceStyle, style: ListStyle, labels: tuple) -> tuple[str, float | None, tuple]:
    if style.price == "none":
        return "", None, ()
    a = ps.amount()
    if style.price == "columns":
        b = a + max(1.0, round(a * 0.3)) if ps.lang == "en" else a + max(10.0, round(a * 0.3, -1))
        one = src.rnd.random() < 0.2
        return (ps.text(a), a, (ps.text(a), "")) if one else (f"{ps.text(a)}  {ps.text(b)}", a, (ps.text(a), ps.text(b)))
    if style.price == "multi":
        x, y = src.rnd.choice(MULTI[ps.lang])
        b = a + max(1.0, round(a * 0.25)) if ps.lang == "en" else a + max(10.0, round(a * 0.25, -1))
        sep = src.rnd.choice([" / ", "  ", " · "])
        return f"{x} {ps.text(a)}{sep}{y} {ps.text(b)}", a, ()
    return ps.text(a), a, ()


def dish_list(cv: Canvas, r: Rect, src: Source, ps: PriceStyle, style: ListStyle, count: int) -> tuple[float, list[Dish]]:
    """Draws up to `count` dishes from the top of r; (height used, dishes drawn). A dish that does not fit
    in the block is not drawn and not counted."""
    from common.engines.local.dishes import load

    # A narrow block (a sub-column, a tile) sets its names smaller than the page's widest columns do.
    style = dataclasses.replace(style, size=int(min(style.size, max(22, r.w / (13 if cv.lang == "en" else 9)))))
    nf = cv.font(style.face, style.size)
    pf = cv.font(style.face, style.size * (0.9 if style.price == "below" else 1.0))
    df = cv.font("sans" if cv.lang != "en" else cv.rnd.choice(["dejavu-serif-italic", "dejavu-sans", "sans"]),
                 max(20, style.size * cv.rnd.uniform(0.6, 0.75)))
    y, drawn, labels = r.y0, [], cv.rnd.choice(COLUMN_LABELS[cv.lang])
    en_of = {d.id: d.name["en"] for d in load().dishes} if style.bilingual else {}
    cols = []
    if style.price == "columns":
        step = cv.width(ps.text(99.5 if ps.lang == "en" else 980), pf) + 40
        cols = [r.x1 - step, r.x1]
        hf = cv.font(style.face, style.size * 0.8)
        try:
            for label, x in zip(labels, cols):
                cv.text(x - cv.width(label, hf), y, label, hf, cv.accent, r)
        except Overflow:
            return 0, []
        y += style.size * 1.4
    for n in range(count):
        for _ in range(4):  # a name too wide for a narrow column gives way to another, as menus choose
            name, dish_id = src.name()
            price, amount, per_col = _price(src, ps, style, labels)
            label = f"{len(drawn) + 1}. {name}" if style.numbered else name
            under = en_of.get(dish_id, "") if style.bilingual and dish_id else ""
            if not under and src.rnd.random() < style.desc:
                under = src.desc()
            below = style.size * 1.2 if style.price == "below" else 0
            row_h = style.size * 1.35 + (df.size * 1.35 if under else 0) + below
            if y + row_h > r.y1:
                return y - r.y0, drawn
            try:
                _row(cv, r, y, label, price, per_col, cols, nf, pf, style)
                if under:
                    ux = r.x0 + (style.size * 1.2 if style.numbered else style.size * 0.4)
                    if style.centred:
                        ux = (r.x0 + r.x1 - cv.width(under, df)) / 2
                    cv.text(ux, y + style.size * 1.3 + below, under, df, cv.soft, r)
            except Overflow:
                cv.draw.rectangle((r.x0, y, r.x1, y + row_h), fill=cv.bg)  # what was drawn of it goes
                continue
            aliases = (under,) if style.bilingual and under and dish_id else ()
            drawn.append(Dish(name, price, amount, "" if aliases else under, aliases, labels=per_col,
                              dish_id=dish_id))
            y += row_h + style.size * cv.rnd.uniform(0.25, 0.6)
            break
    return y - r.y0, drawn


def _row(cv: Canvas, r: Rect, y: float, label: str, price: str, per_col: tuple, cols: list, nf, pf,
         style: ListStyle) -> None:
    if style.centred:
        line = f"{label}   {price}".strip() if style.price in ("after", "multi") else label
        cv.text((r.x0 + r.x1 - cv.width(line, nf)) / 2, y, line, nf, cv.ink, r)
        if style.price == "below" and price:
            cv.text((r.x0 + r.x1 - cv.width(price, pf)) / 2, y + style.size * 1.25, price, pf, cv.ink, r)
        return
    end = cv.text(r.x0, y, label, nf, cv.ink, r)
    if not price:
        return
    if style.price == "columns":
        if end > cols[0] - cv.width(per_col[0], pf) - 30:
            raise Overflow(label)
        for p, x in zip(per_col, cols):
            if p:
                cv.text(x - cv.width(p, pf), y, p, pf, cv.ink, r)
        return
    if style.price == "below":
        cv.text(r.x0, y + style.size * 1.25, price, pf, cv.ink, r)
        return
    if style.price == "after" or (style.price == "multi" and cv.rnd.random() < 0.5):
        cv.text(end + style.size * 0.8, y, price, pf, cv.ink, r)
        return
    px = r.x1 - cv.width(price, pf)
    if px < end + style.size:
        raise Overflow(label)
    cv.text(px, y, price, pf, cv.ink, r)
    if style.leaders:
        mark = "…" if cv.lang == "ja" else "."
        n = int((px - end - 24) / max(1.0, cv.width(mark, pf)))
        if n > 2:
            cv.text(px - 12 - n * cv.width(mark, pf), y, mark * n, pf, cv.soft, r)
