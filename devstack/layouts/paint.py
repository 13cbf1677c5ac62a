"""Drawing on a generated menu page: faces, and text that must lie on the page and in its block."""
from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

from devstack.layouts.decor import Decor
from devstack.menu_templates import FONTS

# Faces each script is set in (names, headings, titles); a face not installed is left out.
EXTRA = {"liberation-sans": "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
         "liberation-serif": "/usr/share/fonts/truetype/liberation/LiberationSerif-Regular.ttf",
         "liberation-narrow-bold": "/usr/share/fonts/truetype/liberation/LiberationSansNarrow-Bold.ttf",
         "comic-bold": "/usr/share/fonts/opentype/comic-neue/ComicNeue-Bold.otf",
         "serif-bold": "/usr/share/fonts/opentype/noto/NotoSerifCJK-Bold.ttc"}
PATHS = {**FONTS, **EXTRA}
FACES = {"en": {"body": ["dejavu-sans", "dejavu-serif", "dejavu-cond", "liberation-sans", "liberation-serif", "sans",
                         "serif", "hand", "dejavu-sans-bold", "liberation-narrow-bold", "script"],
                "head": ["bold", "dejavu-serif-bold", "dejavu-cond-bold", "decorative", "liberation-narrow-bold",
                         "comic-bold", "serif-bold"],
                "title": ["decorative", "script", "bold", "dejavu-serif-bold", "serif-bold"]},
         "zh": {"body": ["sans", "serif", "bold", "kai"], "head": ["bold", "serif-bold", "kai"],
                "title": ["bold", "serif-bold", "kai"]},
         "ja": {"body": ["sans", "serif", "bold"], "head": ["bold", "serif-bold"], "title": ["bold", "serif-bold"]}}
CJK_INDEX = {"en": 0, "ja": 0, "zh": 3}  # Noto CJK collections: JP first, TC fourth


class Overflow(ValueError):
    """Text that would leave the page or its block."""


@dataclass
class Rect:
    x0: float
    y0: float
    x1: float
    y1: float

    @property
    def w(self) -> float:
        return self.x1 - self.x0

    @property
    def h(self) -> float:
        return self.y1 - self.y0


class Canvas(Decor):
    def __init__(self, size: tuple[int, int], lang: str, rnd: random.Random, dark: bool) -> None:
        from PIL import Image, ImageDraw

        self.size, self.lang, self.rnd, self.dark = size, lang, rnd, dark
        bg = rnd.choice([(38, 44, 40), (20, 20, 22), (60, 30, 25)]) if dark else rnd.choice(
            [(248, 243, 230), (255, 255, 255), (240, 228, 200), (250, 246, 236)])
        self.img = Image.new("RGB", size, bg)
        self.bg = bg
        self.draw = ImageDraw.Draw(self.img)
        self.ink = (238, 236, 226) if dark else (25, 25, 25)
        self.soft = (190, 186, 175) if dark else (95, 90, 85)
        self.accent = rnd.choice([(250, 210, 110), (240, 150, 90)]) if dark else rnd.choice(
            [(150, 30, 20), (20, 70, 120), (30, 100, 50), (25, 25, 25)])
        self._fonts: dict = {}

    @staticmethod
    def path(face: str) -> str:
        return PATHS[face]

    def face(self, role: str) -> str:
        faces = [f for f in FACES[self.lang][role] if Path(PATHS[f]).is_file()]
        return self.rnd.choice(faces or ["sans"])

    def font(self, face: str, size: float):
        from PIL import ImageFont

        k = (face, int(size))
        if k not in self._fonts:
            path = PATHS[face]
            index = CJK_INDEX[self.lang] if path.endswith(".ttc") and "ukai" not in path else 0
            self._fonts[k] = ImageFont.truetype(path, int(size), index=index)
        return self._fonts[k]

    def width(self, text: str, font) -> float:
        return self.draw.textlength(text, font=font)

    def text(self, x: float, y: float, text: str, font, fill, within: Rect | None = None) -> float:
        """Draws text with its top-left at (x, y), refusing any that leaves the page or `within`; its right edge."""
        x0, y0, x1, y1 = self.draw.textbbox((x, y), text, font=font)
        w, h = self.size
        box = within or Rect(30, 30, w - 30, h - 30)
        if x0 < max(30, box.x0 - 12) or y0 < 30 or x1 > min(w - 30, box.x1 + 12) or y1 > min(h - 30, box.y1):
            raise Overflow(text)
        self.draw.text((x, y), text, font=font, fill=fill)
        return x1
