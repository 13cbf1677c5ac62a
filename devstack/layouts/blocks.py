"""A random tree of blocks filling a rectangle, as Manhattan layouts are built: a region is split into
columns (with or without a ruling line in the gutter) or stacked into blocks — a section (heading and
list), a boxed section, a section whose list splits into sub-columns, a set menu, a grid of photo tiles,
a photo, an ornament — and a split region's columns are regions again, to any depth."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from devstack.layouts.content import HEADINGS, SET_TITLES, Dish, PriceStyle, Source
from devstack.layouts.lists import ListStyle, dish_list
from devstack.layouts.paint import Canvas, Overflow, Rect


@dataclass
class Knobs:
    """A layout family: how likely each kind of block is."""
    cols: tuple = (1, 2, 3)
    landscape: float = 0.2
    nest: float = 0.15
    box: float = 0.15
    photo: float = 0.1
    tiles: float = 0.05
    ornament: float = 0.15
    border: float = 0.15
    logo: float = 0.15
    watermark: float = 0.05
    set_menu: float = 0.03
    prices: tuple = ("right", "right", "after", "below", "columns", "multi")
    desc: float = 0.35
    rules: float = 0.3


class Page:
    def __init__(self, cv: Canvas, src: Source, ps: PriceStyle, knobs: Knobs, style: ListStyle) -> None:
        self.cv, self.src, self.ps, self.k, self.style = cv, src, ps, knobs, style
        self.dishes: list[Dish] = []
        self.headings = list(HEADINGS[cv.lang])
        cv.rnd.shuffle(self.headings)

    def region(self, r: Rect, depth: int, ncols: int | None = None) -> float:
        """Fills r: split into columns or stacked with blocks; the height used."""
        rnd = self.cv.rnd
        if ncols is None:
            ncols = 1 if depth >= 2 or r.w < 700 else rnd.choice((1, 1, 2))
        if ncols == 1:
            return self.stack(r, depth)
        gutter = rnd.uniform(0.03, 0.06) * self.cv.size[0]
        w = (r.w - gutter * (ncols - 1)) / ncols
        used = 0.0
        for c in range(ncols):
            x0 = r.x0 + c * (w + gutter)
            used = max(used, self.stack(Rect(x0, r.y0, x0 + w, r.y1), depth + 1))
            if c and rnd.random() < self.k.rules:
                self.cv.rule(x0 - gutter / 2, r.y0 + 10, x0 - gutter / 2, r.y1 - 10)
        return used

    def stack(self, r: Rect, depth: int) -> float:
        y, rnd, k, misses, last = r.y0, self.cv.rnd, self.k, 0, "start"
        while r.y1 - y > 2.5 * self.style.size and misses < 6:
            room = Rect(r.x0, y, r.x1, r.y1)
            pick = rnd.random()
            kinds = [("ornament", k.ornament), ("photo", k.photo), ("tiles", k.tiles), ("box", k.box),
                     ("nest", k.nest if depth < 3 and r.w > 600 else 0), ("set", k.set_menu)]
            kind = "section"
            for name, p in kinds if last == "section" else ():  # decoration comes between lists, not in a run
                if pick < p:
                    kind = name
                    break
                pick -= p
            box = tuple(int(v) for v in (room.x0 - 12, room.y0 - 4, room.x1 + 12, room.y1))
            before, kept = self.cv.img.crop(box), len(self.dishes)
            used = getattr(self, f"_{kind}")(room, depth)
            if used <= 0:  # a block that did not fit leaves nothing behind: no heading over the next one
                self.cv.img.paste(before, box[:2])
                del self.dishes[kept:]
                misses += 1
                continue
            y += used + rnd.uniform(0.6, 1.5) * self.style.size
            last = "section" if kind in ("section", "box", "nest", "set") else kind
        return y - r.y0

    # -- blocks ---------------------------------------------------------------------------------
    def heading(self, r: Rect, text: str | None = None) -> float:
        cv, s = self.cv, self.style.size
        text = text or (self.headings.pop() if self.headings else "Specials")
        kind = cv.rnd.choice(["big", "caps", "band", "decorated", "underline"])
        text = text.upper() if kind in ("caps", "band") and cv.lang == "en" else text
        f = cv.font(cv.face("head"), s * (cv.rnd.uniform(1.25, 1.6) if kind == "big" else 1.1))
        if kind == "decorated":
            text = cv.rnd.choice(["— {} —", "~ {} ~", "* {} *", "【{}】" if cv.lang != "en" else "- {} -"]).format(text)
        x = r.x0 if not self.style.centred else (r.x0 + r.x1 - cv.width(text, f)) / 2
        if kind == "band":
            cv.draw.rectangle((r.x0, r.y0, r.x1, r.y0 + f.size * 1.5), fill=cv.accent)
            cv.text(x + (10 if not self.style.centred else 0), r.y0 + f.size * 0.15, text, f, cv.bg, r)
        else:
            end = cv.text(x, r.y0, text, f, cv.accent, r)
            if kind == "underline":
                cv.draw.line((x, r.y0 + f.size * 1.3, end, r.y0 + f.size * 1.3), fill=cv.accent, width=3)
        return f.size * 1.7

    def _section(self, r: Rect, depth: int, count: int | None = None) -> float:
        try:
            h = self.heading(r) if self.cv.rnd.random() < 0.85 else 0
        except Overflow:
            return 0
        used, dishes = dish_list(self.cv, Rect(r.x0, r.y0 + h, r.x1, r.y1), self.src, self.ps, self.style,
                                 count or self.cv.rnd.randint(3, 8))
        self.dishes += dishes
        return h + used if dishes else 0

    def _box(self, r: Rect, depth: int) -> float:
        pad = self.style.size * 0.8
        used = self._section(Rect(r.x0 + pad, r.y0 + pad, r.x1 - pad, r.y1 - pad), depth)
        if used:
            self.cv.frame(Rect(r.x0 + 4, r.y0, r.x1 - 4, r.y0 + used + 2 * pad))
        return used + 2 * pad if used else 0

    def _nest(self, r: Rect, depth: int) -> float:
        try:
            h = self.heading(r)
        except Overflow:
            return 0
        room = Rect(r.x0, r.y0 + h, r.x1, min(r.y1, r.y0 + h + r.h * self.cv.rnd.uniform(0.3, 0.6)))
        kept = len(self.dishes)
        used = self.region(room, depth + 1, self.cv.rnd.choice((2, 2, 3)) if r.w > 900 else 2)
        return h + used if len(self.dishes) > kept else 0

    def _set(self, r: Rect, depth: int) -> float:
        cv, s = self.cv, self.style.size
        amount = self.ps.amount() * cv.rnd.choice((3, 4, 8))
        name = cv.rnd.choice(SET_TITLES[cv.lang])
        title = f"{name} {self.ps.text(amount)}"
        f = cv.font(cv.face("head"), s * 1.2)
        try:
            cv.text((r.x0 + r.x1 - cv.width(title, f)) / 2, r.y0, title, f, cv.accent, r)
        except Overflow:
            return 0
        self.dishes.append(Dish(name, self.ps.text(amount), amount, optional=True))
        style = dataclasses.replace(self.style, price="none", centred=True, numbered=False, desc=0.0)
        used, dishes = dish_list(cv, Rect(r.x0, r.y0 + f.size * 1.8, r.x1, r.y1), self.src, self.ps, style,
                                 cv.rnd.randint(4, 8))
        self.dishes += dishes
        return f.size * 1.8 + used if dishes else 0

    def _photo(self, r: Rect, depth: int) -> float:
        h = min(r.h - 10, r.w * self.cv.rnd.uniform(0.35, 0.6), 420)
        if h < 120:
            return 0
        rnd_ = self.cv.rnd.random() < 0.4
        w = h if rnd_ else min(r.w, h * 1.5)
        x0 = r.x0 + (r.w - w) / 2
        self.cv.photo(Rect(x0, r.y0, x0 + w, r.y0 + h), rnd_)
        return h

    def _tiles(self, r: Rect, depth: int) -> float:
        cv, s = self.cv, self.style.size
        n = 2 if r.w < 900 else 3
        gap = 30
        w = (r.w - gap * (n - 1)) / n
        ph = w * 0.7
        if r.h < ph + 3 * s:
            return 0
        style = dataclasses.replace(self.style, price="below" if self.style.price != "none" else "none",
                                    centred=True, numbered=False, desc=0.0, bilingual=False)
        tallest = 0.0
        for c in range(n):
            x0 = r.x0 + c * (w + gap)
            cv.photo(Rect(x0, r.y0, x0 + w, r.y0 + ph), cv.rnd.random() < 0.3)
            used, dishes = dish_list(cv, Rect(x0, r.y0 + ph + 12, x0 + w, r.y1), self.src, self.ps, style, 1)
            self.dishes += dishes
            tallest = max(tallest, used)
        return ph + 12 + tallest

    def _ornament(self, r: Rect, depth: int) -> float:
        return self.cv.ornament(r)
