"""The offline engine: OCR, layout, a menu-line parser and the bundled dish knowledge base.

Selected when no Gemini key is configured. Everything it needs is on the machine: models inside the
rapidocr wheel, the dish list in data/, the Noto CJK font. It loads once per process.

Top-3 heuristic (documented in docs/local-engine.md): each item scores
  3 x knowledge-base rank (0-3; unknown dishes count 1)
  + course weight (main, rice, noodle +2; starter +1; soup, side 0; dessert -1; drink -4)
  + 3 when its section or name says signature / recommended (おすすめ, 名物, 招牌, house special...)
  + up to 1.5 for price, by its rank among the menu's priced items (the substantial dishes)
and the three best, in menu order of score, are picked; ties keep menu order.
"""
from __future__ import annotations

import re
import threading
from typing import Optional

from common.core import logs
from common.core.errors import ConfigError, ScanError
from common.engines import Call
from common.menu.items import MenuItem, MenuReading, PriceOption
from common.engines.local import (cards, confidence, dishes, hanwords, hanzi, layout, lexicon, menu, notes, prices,
                                  rules, wording)
from common.engines.local.dishes import Dish, KnowledgeBase

log = logs.get_logger(__name__)

MIN_TEXT_CHARS = 8        # fewer confident characters than this: nothing to read
BLURRY_SHARPNESS = 15.0   # Laplacian variance (1000px grey); menus read 300-1800, text blurred past reading 1-3
COURSE_WEIGHT = {"main": 2, "rice": 2, "noodle": 2, "starter": 1, "soup": 0, "side": 0, "dessert": -1, "drink": -4}
SIGNATURE_WORDS = ("おすすめ", "オススメ", "名物", "看板", "特製", "自家製", "限定", "招牌", "推薦", "推荐", "特色", "人氣",
                   "chef", "signature", "special", "house", "recommended", "spécialité", "specialità", "especialidad")
DRINK_SECTIONS = ("ドリンク", "飲み物", "お飲み物", "アルコール", "酒", "飲料", "饮料", "drink", "beverage", "wine", "beer",
                  "cocktail", "boisson", "bebida", "vin", "bière")
DESSERT_SECTIONS = ("デザート", "甘味", "甜點", "甜点", "dessert", "dolci", "postre", "sweet")
TAG_LABEL = {
    "en": {}, "zh_tw": {"spicy": "辣", "vegetarian": "素食", "vegan": "全素", "raw": "生食", "contains_alcohol": "含酒精",
                        "pork": "豬肉", "beef": "牛肉"},
    "zh_cn": {"spicy": "辣", "vegetarian": "素食", "vegan": "纯素", "raw": "生食", "contains_alcohol": "含酒精",
              "pork": "猪肉", "beef": "牛肉"},
    "ja": {"spicy": "辛い", "vegetarian": "ベジタリアン", "vegan": "ヴィーガン", "raw": "生もの", "contains_alcohol": "アルコール",
           "pork": "豚肉", "beef": "牛肉"},
    "ko": {"spicy": "매운맛", "vegetarian": "채식", "vegan": "비건", "raw": "날것", "contains_alcohol": "알코올",
           "pork": "돼지고기", "beef": "소고기"},
}
MADE_WITH = {"en": "Made with {}.", "zh_tw": "食材：{}。", "zh_cn": "食材：{}。", "ja": "材料：{}。", "ko": "재료: {}."}
CUISINE_OF_SCRIPT = {"ja": "ja", "zh-Hant": "zh", "zh-Hans": "zh", "ko": "ko", "th": "th", "vi": "vi"}
LIST_SEP = {"en": ", ", "zh_tw": "、", "zh_cn": "、", "ja": "、", "ko": ", "}
LANG_TAG = {"zh_tw": "zh-TW", "zh_cn": "zh-CN", "en": "en", "ja": "ja", "ko": "ko"}


def _course(p: menu.ParsedItem, m: Optional[dishes.Match]) -> str:
    """The dish's course: the knowledge base's, else what its section says (drinks, desserts), else main."""
    if m:
        return m.dish.course
    section = (p.section or "").lower()
    return ("drink" if any(w in section for w in DRINK_SECTIONS)
            else "dessert" if any(w in section for w in DESSERT_SECTIONS) else "main")


def check_prerequisites() -> None:
    """Fail fast, without the heavy imports, when the font or the OCR models are missing."""
    import importlib.util
    from pathlib import Path

    from common.engines.local.ocr import MODELS

    cards.font_path()
    spec = importlib.util.find_spec("rapidocr")
    if spec is None or not spec.origin:
        raise ConfigError("the offline engine needs rapidocr: pip install -r common/engines/local/requirements.txt")
    models = Path(spec.origin).parent / "models"
    missing = [m for m in MODELS.values() if not (models / m).is_file()]
    if missing:
        raise ConfigError(f"rapidocr models missing from {models}: {', '.join(missing)}")
    # the word lists re-reading puts misread names right with
    words = hanwords.dictionary_path()
    if importlib.util.find_spec("spellchecker") is None or words is None or not words.is_file():
        raise ConfigError("the offline engine needs pyspellchecker and jieba's word list: "
                          "pip install -r common/engines/local/requirements.txt")


class LocalEngine:
    name = "local"

    def __init__(self) -> None:
        from common.engines.local.ocr import Ocr

        cards.font_path()  # fail at start-up, naming the package, rather than at the first card
        self.kb: KnowledgeBase = dishes.load()
        self.ocr = Ocr()
        self._lock = threading.Lock()  # one OCR at a time: onnxruntime already uses every core

    def warm_up(self) -> None:
        """Run one phone-size OCR: onnxruntime's first call on a new input size is ~1.5 s slower."""
        import io

        from PIL import Image, ImageDraw

        img = Image.new("RGB", (1500, 2000), (248, 243, 230))
        draw = ImageDraw.Draw(img)
        font = cards._font(50, False, "ja")
        for n, line in enumerate(("お品書き", "唐揚げ 680円", "Pad Thai $14.50", "Carbonara 13,00 €")):
            draw.text((120, 200 + 120 * n), line, font=font, fill=(20, 20, 20))
        out = io.BytesIO()
        img.save(out, "JPEG", quality=85)
        with self._lock:
            self.ocr.read(out.getvalue())

    def reader_language(self, language: str, known: bool) -> tuple[str, str | None]:
        """One of the knowledge base's five languages; English, with the reason, for any other."""
        if not known:
            return "en", (f"{language!r} names no language the offline engine knows; "
                          "the menu is in English")
        if language.split("-")[0].lower() == "yue":
            return "zh-TW", None  # Cantonese readers read Traditional Chinese
        if language.split("-")[0].lower() not in ("zh", "en", "ja", "ko"):
            return "en", ("the offline engine translates into Chinese, English, Japanese and Korean; "
                          "the menu is in English")
        return LANG_TAG[dishes.reader_lang(language)], None

    # -- reading ------------------------------------------------------------------------------
    def read_menu(self, jpeg: bytes, language: str, call: Call | None = None) -> MenuReading:
        # On-machine OCR takes seconds, not a model's tens of seconds: no partials, no deadline checks.
        with self._lock:
            reading = self.ocr.read(jpeg)
        return self.menu_of(reading, language)

    def menu_of(self, reading, language: str) -> MenuReading:
        """The menu in one OCR reading of a photo (read_menu after its OCR)."""
        text_chars = sum(len(b.text) for b in reading.boxes)
        log.info("ocr", boxes=len(reading.boxes), weak=reading.weak, chars=text_chars,
                 sharpness=round(reading.sharpness, 1))
        if text_chars < MIN_TEXT_CHARS:
            if reading.weak >= 3 or reading.sharpness < BLURRY_SHARPNESS:
                raise ScanError("IMAGE_TOO_BLURRY", "the photo is too blurry to read; hold the phone steady and "
                                                    "retake it in good light", recoverable=True)
            raise ScanError("IMAGE_NOT_MENU", "no menu text was found in the photo", recoverable=True)
        # printed rules cut the columns of a horizontal page only: a vertical one is not searched for them
        found = [] if layout.is_vertical(reading.boxes) else rules.vertical(reading.image, reading.boxes)
        lines, orientation = layout.read_lines(reading.boxes, found)
        script = wording.script_of([ln.text for ln in lines])
        prefer = CUISINE_OF_SCRIPT.get(script)
        parsed = menu.parse(lines, is_dish=lambda s: (m := self.kb.match(s, prefer)) is not None
                            and m.how in ("exact", "reading"))
        matches = [self.kb.match(i.name, prefer) for i in parsed.items]
        reread = lexicon.correct(parsed.items, matches, reading, self.ocr, self.kb, self._lock, script)
        for n in reread:
            matches[n] = self.kb.match(parsed.items[n].name, prefer)
        if script in ("zh-Hant", "ja"):  # after re-reading, which compares names with what OCR read
            for n, p in enumerate(parsed.items):
                name, p.description = hanzi.for_script(p.name, script), [hanzi.for_script(d, script)
                                                                         for d in p.description]
                if script == "ja":
                    name = hanzi.shinjitai_if_known(name, self._known_in_japanese)
                if name != p.name:
                    p.name, matches[n] = name, self.kb.match(name, prefer)
        if not self._is_menu(parsed, matches):
            if reading.weak > len(reading.boxes) or reading.sharpness < BLURRY_SHARPNESS:
                raise ScanError("IMAGE_TOO_BLURRY", "too little of the photo could be read; retake it closer and "
                                                    "in focus", recoverable=True)
            raise ScanError("IMAGE_NOT_MENU", "the photo has text but no dishes or prices; is it a menu?",
                            recoverable=True)
        lang = dishes.reader_lang(language)
        currency = prices.infer_currency([prices.currency_of(i.price, script) for i in parsed.items if i.price], script)
        items = [self._item(n, p, m, lang, currency, script) for n, (p, m) in enumerate(zip(parsed.items, matches))]
        for item, p, m in zip(items, parsed.items, matches):
            item.confidence = confidence.of(p, m, self.kb, parsed.item_size)
        self._pick_top3(items, parsed.items, matches)
        log.info("menu parsed", orientation=orientation, lines=len(lines), items=len(items), reread=len(reread),
                 known=sum(1 for i in items if i.known), sections=len(parsed.sections), script=script,
                 currency=currency)
        return MenuReading(items=items, engine=self.name, source_language=_bcp47(script))

    def _known_in_japanese(self, name: str) -> int:
        """How well `name` names a dish on a Japanese menu (`hanzi.shinjitai_if_known`): a Japanese dish's
        over another cuisine's, each better spelled as the dish list spells it (焼酎, not 燒酎); 0 none."""
        m = self.kb.match(name, "ja")
        if m is None or m.how not in ("exact", "reading"):
            return 0
        return (2 if m.dish.cuisine == "ja" else 1) * 2 + (name in m.dish.names)

    def _is_menu(self, parsed: menu.ParsedMenu, matches: list[Optional[dishes.Match]]) -> bool:
        """A menu by what it names and how it is set, not by prices alone: a price-less list of dishes is
        a menu, a page of prose is not. Food: a known dish, or a glossary ingredient or method."""
        n = len(parsed.items)
        if not n:
            return False
        priced = sum(1 for i in parsed.items if i.price)
        food = sum(1 for i, m in zip(parsed.items, matches) if m or self.kb.terms_in(i.name, 1))
        if priced >= 3 and priced >= 0.4 * n:
            return True  # a priced list set as one: a menu even in a cuisine the glossary lacks
        if priced and food:
            return True
        return food >= 2 and food >= 0.3 * n

    def _item(self, n: int, p: menu.ParsedItem, m: Optional[dishes.Match], lang: str, currency: Optional[str],
              script: str) -> MenuItem:
        price_text = prices.display(p.price, currency) if p.price else None
        extra = {"price": price_text, "section": p.section,
                 "price_value": p.price.amount if p.price else None,
                 "currency": (prices.currency_of(p.price, script) or currency) if p.price and not p.price.market
                 else None,
                 "options": [PriceOption(label=label, price_value=amount) for label, amount in p.price.options]
                 if p.price and len(p.price.options) > 1 else [],
                 "kind": "drink" if _course(p, m) == "drink" else "dish"}
        if script == "ja":  # a Japanese dish: how to say it, in kana and in Latin letters
            extra.update(reading=dishes.reading(p.name) or None, romanji=dishes.romanise(p.name) or None)
        if m:
            d = m.dish
            description = d.description_in(lang)
            return MenuItem(id=f"item-{n + 1}", original_name=p.name, translated_name=d.name_in(lang),
                            description=description, tags=list(d.tags), allergens=list(d.allergens),
                            image_prompt=_prompt(d.name["en"], d.description.get("en", "")), known=True,
                            dish_id=d.id, **extra)
        terms = self.kb.terms_in(" ".join([p.name, *p.description]))
        # (a bilingual menu's own English name says more than a reading of the name it does not know;
        # a line naming no food, "Chef's Recommendation", or a choice, a warning or an extra, "Pork or
        # Beef", "Contains Peanuts", "Add Egg", is not the name)
        printed = p.english if lang == "en" and p.english and not notes.is_aside(p.english) \
            and self.kb.terms_in(p.english) else None
        translated = printed or _transliterate(p.name, lang, script)
        description = " ".join([d for d in p.description if d != printed][:2]) or _made_with(terms, lang)
        tags = sorted({t for term in terms for t in term.tags})
        allergens = sorted({a for term in terms for a in term.allergens})
        en_terms = ", ".join(t.name["en"] for t in terms)
        return MenuItem(id=f"item-{n + 1}", original_name=p.name, translated_name=translated,
                        description=description, tags=tags, allergens=allergens,
                        image_prompt=_prompt(_transliterate(p.name, "en", script), en_terms), known=False, **extra)

    def _pick_top3(self, items: list[MenuItem], parsed: list[menu.ParsedItem],
                   matches: list[Optional[dishes.Match]]) -> None:
        amounts = sorted(p.price.amount for p in parsed if p.price and p.price.amount)
        scored = []
        for n, (item, p, m) in enumerate(zip(items, parsed, matches)):
            if item.confidence is not None and item.confidence < confidence.CONFIDENT:
                continue  # a line that may not be a dish is never drawn as one
            section = (p.section or "").lower()
            score = 3 * (m.dish.rank if m else 1) + COURSE_WEIGHT.get(_course(p, m), 0)
            if any(w in f"{section} {p.name.lower()}" for w in SIGNATURE_WORDS):
                score += 3
            if p.price and p.price.amount and len(amounts) >= 3:
                score += 1.5 * sum(1 for a in amounts if a < p.price.amount) / (len(amounts) - 1)
            scored.append((score, -n, item))
        for _, _, item in sorted(scored, key=lambda s: (s[0], s[1]), reverse=True)[:3]:
            item.is_top3 = True

    # -- other profiles ---------------------------------------------------------------------
    def extract(self, jpeg: bytes, profile, language: str, call: Call | None = None) -> dict:
        """recipe and bookshelf, read on the machine; a custom profile needs a model (refused at job creation)."""
        from common.engines.local import bookshelf, recipe

        if profile.id == "bookshelf":
            with self._lock:
                found = bookshelf.pieces(self.ocr.read, jpeg)
            if not found:
                raise ScanError("IMAGE_TOO_BLURRY", "no title could be read; retake the photo closer, the spines "
                                                    "sharp and lit", recoverable=True)
            return bookshelf.books(found)
        if profile.id == "recipe":
            with self._lock:
                reading = self.ocr.read(jpeg)
            lines, _ = layout.read_lines(reading.boxes)
            parsed = recipe.parse([recipe.Text(ln.text, ln.size) for ln in lines])
            if not parsed["ingredients"] and not parsed["steps"]:
                raise ScanError("IMAGE_NOT_RECIPE", "no ingredients or steps were found in the photo; is it a recipe?",
                                recoverable=True)
            return parsed
        raise ScanError("PROFILE_NEEDS_MODEL", f"the offline engine reads menus, recipes and bookshelves; "
                                               f"profile {profile.id} needs the Gemini engine")

    # -- drawing ------------------------------------------------------------------------------
    def draw_dish(self, item: MenuItem, language: str, call: Call | None = None) -> bytes:
        lang = dishes.reader_lang(language)
        labels = TAG_LABEL.get(lang, {})
        tags = [labels.get(t, t.replace("_", " ")) for t in item.tags]
        try:
            return cards.render(item.original_name, item.translated_name, item.description, tags, item.price, lang)
        except OSError as exc:  # a damaged font file: this image fails, the job does not
            raise ScanError("IMAGE_GEN_FAILED", f"could not draw the dish card: {exc}") from exc


def _prompt(name: str, what: str) -> str:
    return f"{name}: {what}".strip(": ") if what else name


def _made_with(terms: list[Dish], lang: str) -> str:
    if not terms:
        return ""
    return MADE_WITH[lang].format(LIST_SEP[lang].join(t.name_in(lang) for t in terms))


def _transliterate(name: str, lang: str, script: str) -> str:
    """A name the knowledge base does not know, in a form the reader can at least pronounce."""
    if lang in ("zh_tw", "zh_cn") and re.search(r"[\u4e00-\u9fff]", name):
        return dishes.to_script(name, lang)
    if script == "ja" and lang != "ja" and re.search(r"[\u3040-\u30ff\u4e00-\u9fff]", name):
        return dishes.romanise(name)
    return dishes.load().gloss(name, lang)


def _bcp47(script: str) -> Optional[str]:
    return {"ja": "ja", "ko": "ko", "th": "th", "zh-Hant": "zh-Hant", "zh-Hans": "zh-Hans", "vi": "vi"}.get(script)
