"""Dish cards: the offline engine's picture of a top-3 dish, drawn with Pillow and Noto CJK.

A card is plainly an illustration (it says so on its face), never passed off as a photo.
"""
from __future__ import annotations

import functools
import hashlib
import io
import os
from pathlib import Path

from common.core.errors import ConfigError

FONT_DIRS = ("/usr/share/fonts/opentype/noto", "/usr/share/fonts/truetype/noto", "/usr/share/fonts/noto-cjk",
             "/usr/local/share/fonts", "/Library/Fonts", "/System/Library/Fonts")
REGULAR, BOLD = "NotoSansCJK-Regular.ttc", "NotoSansCJK-Bold.ttc"
SIZE = 768
# Face index inside the .ttc for each reader language, so shared Han characters take local forms.
TTC_INDEX = {"ja": 0, "ko": 1, "zh_cn": 2, "zh_tw": 3, "en": 0}
PALETTES = [((122, 40, 30), (238, 176, 94)), ((28, 73, 64), (140, 196, 152)), ((46, 52, 110), (150, 170, 230)),
            ((96, 32, 80), (232, 150, 180)), ((70, 60, 20), (222, 196, 110)), ((30, 60, 100), (120, 190, 220))]
LABEL = {"en": "Illustration card · not a photo", "zh_tw": "示意圖卡 · 非實物照片", "zh_cn": "示意图卡 · 非实物照片",
         "ja": "イラストカード · 実物の写真ではありません", "ko": "일러스트 카드 · 실제 사진이 아닙니다"}


def font_path(bold: bool = False) -> Path:
    """The Noto CJK font file; ConfigError naming the Debian package when it is not installed."""
    name = BOLD if bold else REGULAR
    only = os.environ.get("FONT_DIR")  # when set, the one place to look (deployments, and the tests)
    for d in (only,) if only else FONT_DIRS:
        p = Path(d) / name
        if p.is_file():
            return p
    raise ConfigError(f"font {name} not found: install Debian's fonts-noto-cjk (apt-get install fonts-noto-cjk) "
                      "or set FONT_DIR to a folder that holds it")


@functools.lru_cache(maxsize=64)
def _font(size: int, bold: bool, lang: str):
    from PIL import ImageFont

    return ImageFont.truetype(str(font_path(bold)), size, index=TTC_INDEX.get(lang, 0))


def _wrap(draw, text: str, font, width: int, max_lines: int) -> list[str]:
    words = text.split(" ") if " " in text else list(text)
    joiner = " " if " " in text else ""
    lines, cur = [], ""
    for w in words:
        trial = f"{cur}{joiner}{w}" if cur else w
        if draw.textlength(trial, font=font) <= width:
            cur = trial
        else:
            if cur:
                lines.append(cur)
            cur = w
        if len(lines) == max_lines:
            break
    if cur and len(lines) < max_lines:
        lines.append(cur)
    shown = joiner.join(lines)
    if len(shown) < len(text):  # cut short: say so rather than end mid-thought
        while lines[-1] and draw.textlength(lines[-1] + "…", font=font) > width:
            lines[-1] = lines[-1][:-1]
        lines[-1] += "…"
    return lines


def _fit(draw, text: str, width: int, start: int, bold: bool, lang: str, floor: int = 28):
    size = start
    while size > floor and draw.textlength(text, font=_font(size, bold, lang)) > width:
        size -= 4
    return _font(size, bold, lang)


def render(original: str, translated: str, description: str, tags: list[str], price: str | None,
           lang: str) -> bytes:
    """A JPEG card: translated name large, original name, description, price and tag chips."""
    from PIL import Image, ImageDraw

    dark, light = PALETTES[int(hashlib.sha1(original.encode()).hexdigest(), 16) % len(PALETTES)]
    img = Image.new("RGB", (SIZE, SIZE), dark)
    draw = ImageDraw.Draw(img)
    for y in range(SIZE):  # a soft vertical gradient
        t = y / SIZE
        draw.line([(0, y), (SIZE, y)], fill=tuple(int(dark[i] * (1 - t) + light[i] * t * 0.35 + dark[i] * t * 0.65)
                                                  for i in range(3)))
    draw.ellipse([SIZE - 330, -150, SIZE + 150, 330], fill=tuple(min(255, c + 25) for c in dark))
    draw.ellipse([SIZE // 2 - 150, 170, SIZE // 2 + 150, 470], outline=light, width=6)
    draw.ellipse([SIZE // 2 - 110, 210, SIZE // 2 + 110, 430], outline=light, width=2)
    margin, width = 56, SIZE - 112
    y = 56
    head = _fit(draw, translated, width, 64, True, lang)
    for line in _wrap(draw, translated, head, width, 2):
        draw.text((margin, y), line, font=head, fill=(255, 250, 240))
        y += head.size + 10
    if original and original != translated:
        sub = _fit(draw, original, width, 40, False, "ja" if lang == "en" else lang)
        draw.text((margin, y), original, font=sub, fill=light)
    y = 500
    body = _font(30, False, lang)
    for line in _wrap(draw, description, body, width, 2):
        draw.text((margin, y), line, font=body, fill=(245, 240, 230))
        y += 40
    y = max(y + 14, 600)
    x = margin
    chip = _font(26, True, lang)
    for tag in tags[:5]:
        w = int(draw.textlength(tag, font=chip)) + 28
        if x + w > SIZE - margin:
            break
        draw.rounded_rectangle([x, y, x + w, y + 42], radius=21, fill=light)
        draw.text((x + 14, y + 5), tag, font=chip, fill=dark)
        x += w + 12
    if price:
        pf = _font(40, True, lang)
        draw.text((SIZE - margin - draw.textlength(price, font=pf), SIZE - 130), price, font=pf, fill=(255, 250, 240))
    label = _font(22, False, lang)
    draw.text((margin, SIZE - 52), LABEL.get(lang, LABEL["en"]), font=label, fill=(230, 225, 215))
    out = io.BytesIO()
    img.save(out, "JPEG", quality=86, optimize=True)
    return out.getvalue()
