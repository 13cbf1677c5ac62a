"""What a menu page holds that is not text: food photos, frames, ruling lines, ornament rows, page
borders, logos and watermarks. OCR reads some of them as strings of symbols, letters and digits."""
from __future__ import annotations

import math
from pathlib import Path

GLYPH_ROWS = ["✦ ✦ ✦", "❖ ❖ ❖ ❖ ❖", "• • • • • • •", "~ ~ ~ ~ ~", "-=-=-=-=-=-", "✿ ✿ ✿", "◆ ◇ ◆ ◇ ◆", "★ ★ ★",
              "❦", "oOo", "* * * * *", "· · · · · · · ·", "〰〰〰", "— ✦ —", "⁂", "▪ ▪ ▪ ▪"]


class Decor:
    """Mixed into paint.Canvas: these draw on its image with its colours and random source."""

    def photo(self, r, round_: bool = False) -> None:
        """A food photo: warm colours and texture, no letters."""
        rnd = self.rnd
        base = rnd.choice([(170, 100, 50), (90, 130, 60), (200, 150, 90), (150, 60, 40), (220, 190, 140)])
        if round_:
            self.draw.ellipse((r.x0, r.y0, r.x1, r.y1), fill=base, outline=self.accent, width=4)
        else:
            self.draw.rectangle((r.x0, r.y0, r.x1, r.y1), fill=base)
        for _ in range(int(r.w * r.h / 2500)):
            cx, cy = rnd.uniform(r.x0 + 10, r.x1 - 10), rnd.uniform(r.y0 + 10, r.y1 - 10)
            if round_ and math.hypot((cx - (r.x0 + r.x1) / 2) / r.w, (cy - (r.y0 + r.y1) / 2) / r.h) > 0.42:
                continue
            rr = rnd.uniform(4, min(26, r.w / 8))
            self.draw.ellipse((cx - rr, cy - rr, cx + rr, cy + rr),
                              fill=(rnd.randint(110, 250), rnd.randint(50, 210), rnd.randint(20, 90)))

    def frame(self, r) -> None:
        style = self.rnd.choice(["line", "thick", "double", "round"])
        box = (r.x0, r.y0, r.x1, r.y1)
        if style == "round":
            self.draw.rounded_rectangle(box, radius=24, outline=self.accent, width=4)
        else:
            self.draw.rectangle(box, outline=self.accent, width=7 if style == "thick" else 3)
        if style == "double":
            self.draw.rectangle((r.x0 + 9, r.y0 + 9, r.x1 - 9, r.y1 - 9), outline=self.accent, width=2)

    def rule(self, x0: float, y0: float, x1: float, y1: float) -> None:
        self.draw.line((x0, y0, x1, y1), fill=self.accent if self.rnd.random() < 0.5 else self.soft, width=3)

    def ornament(self, r) -> float:
        """A divider across r (a row of glyphs, a wave, a chain of diamonds); the height it takes."""
        kind, mid = self.rnd.choice(["glyphs", "glyphs", "wave", "diamonds", "dots"]), (r.x0 + r.x1) / 2
        y = r.y0 + 10
        if kind == "glyphs":
            row = self.rnd.choice(GLYPH_ROWS)
            font = self.font("dejavu-sans", self.rnd.randint(26, 44))
            try:
                self.text(mid - self.width(row, font) / 2, y, row, font, self.accent, r)
            except ValueError:
                return 0
            return font.size * 1.5 + 10
        span = min(r.w * 0.8, 600)
        if kind == "wave":
            pts = [(mid - span / 2 + k * 6, y + 12 + 9 * math.sin(k / 2.2)) for k in range(int(span / 6))]
            self.draw.line(pts, fill=self.accent, width=3)
        else:
            for k in range(int(span / 34)):
                cx = mid - span / 2 + k * 34
                if kind == "diamonds":
                    self.draw.polygon([(cx, y + 2), (cx + 10, y + 12), (cx, y + 22), (cx - 10, y + 12)], fill=self.accent)
                else:
                    self.draw.ellipse((cx - 5, y + 7, cx + 5, y + 17), fill=self.accent)
        return 44

    def border(self) -> None:
        """A border around the whole page: lines, a chain of shapes, a Greek key, or glyphs OCR may read."""
        w, h = self.size
        kind = self.rnd.choice(["double", "chain", "key", "glyphs", "corners"])
        m = 38
        if kind == "double":
            self.draw.rectangle((m, m, w - m, h - m), outline=self.accent, width=6)
            self.draw.rectangle((m + 14, m + 14, w - m - 14, h - m - 14), outline=self.accent, width=2)
        elif kind == "chain":
            for t in range(0, 2 * (w + h), 30):
                x, y = _perimeter(t, w - 2 * m, h - 2 * m)
                self.draw.regular_polygon((x + m, y + m, 8), 4, fill=self.accent)
        elif kind == "key":
            for t in range(0, 2 * (w + h) - 40, 40):
                x, y = _perimeter(t, w - 2 * m, h - 2 * m)
                self.draw.line([(x + m - 10, y + m + 10), (x + m - 10, y + m - 10), (x + m + 10, y + m - 10),
                                (x + m + 10, y + m + 4), (x + m, y + m + 4)], fill=self.accent, width=3)
        elif kind == "glyphs":
            font = self.font("dejavu-sans", 26)
            row = self.rnd.choice(["❖", "✦", "◆", "●", "✿", "#", "o", "8", "x"])
            n = int((w - 2 * m) / (self.width(row + " ", font)))
            for y in (m - 8, h - m - 22):
                self.draw.text((m, y), " ".join([row] * n), font=font, fill=self.accent)
        else:
            for cx, cy, sx, sy in ((m, m, 1, 1), (w - m, m, -1, 1), (m, h - m, 1, -1), (w - m, h - m, -1, -1)):
                for k in range(3):
                    self.draw.arc((cx - 60 * sx - 40 + k * 12, cy - 40, cx + 60, cy + 60), 0, 360, fill=self.accent)
                self.draw.line((cx, cy, cx + sx * 180, cy), fill=self.accent, width=4)
                self.draw.line((cx, cy, cx, cy + sy * 180), fill=self.accent, width=4)

    def logo(self, cx: float, cy: float, r: float, letters: str) -> None:
        """A round logo: rings, a monogram and a year, as a restaurant prints its mark."""
        self.draw.ellipse((cx - r, cy - r, cx + r, cy + r), outline=self.accent, width=5)
        self.draw.ellipse((cx - r + 12, cy - r + 12, cx + r - 12, cy + r - 12), outline=self.accent, width=2)
        f = self.font("decorative" if Path(self.path("decorative")).is_file() else "bold", r * 0.8)
        self.draw.text((cx - self.width(letters, f) / 2, cy - r * 0.6), letters, font=f, fill=self.accent)
        small = self.font("dejavu-sans", max(12, r * 0.2))
        est = f"EST {self.rnd.randint(1950, 2015)}"
        self.draw.text((cx - self.width(est, small) / 2, cy + r * 0.35), est, font=small, fill=self.accent)

    def watermark(self, text: str) -> None:
        """Large pale letters behind the menu."""
        from PIL import Image, ImageDraw

        w, h = self.size
        layer = Image.new("L", self.size, 0)
        f = self.font(self.face("title"), min(w, h) * 0.35)
        ImageDraw.Draw(layer).text((w * 0.12, h * 0.35), text, font=f, fill=255)
        layer = layer.rotate(self.rnd.uniform(-30, 30))
        tint = tuple(int(b + (a - b) * 0.1) for a, b in zip(self.accent, self.bg))
        self.img.paste(Image.new("RGB", self.size, tint), mask=layer)



def _perimeter(t: float, w: float, h: float) -> tuple[float, float]:
    t %= 2 * (w + h)
    if t < w:
        return t, 0
    if t < w + h:
        return w, t - w
    if t < 2 * w + h:
        return w - (t - w - h), h
    return 0, h - (t - 2 * w - h)
