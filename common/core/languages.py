"""The reader's language: BCP-47 tags in any case or separator, and the display names the app sends.

The shipped app sends a language's display name ("繁體中文", "日本語", "English"); new clients send a
tag. v1 maps both to a tag and never refuses: text it cannot map is kept as written (Gemini reads it
as it is; the offline engine falls back to English and says so). v2 takes tags only.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

DEFAULT = "zh-TW"
MAX_TEXT = 64  # longer free text is cut: it ends up in a model prompt
_TAG = re.compile(r"^([A-Za-z]{2,3})((?:[-_][A-Za-z0-9]{1,8}){0,4})$")

# Each language the app offers (and a few it may), by its names in its own script, in English and in
# the other languages the app's users read. Keys are folded by _fold(): case, width, spaces and
# punctuation do not matter.
_NAMES: dict[str, tuple[str, ...]] = {
    "zh-TW": ("繁體中文", "繁体中文", "正體中文", "中文繁體", "中文繁体", "繁中", "繁體", "台灣華語", "國語",
              "traditional chinese", "chinese traditional", "chinese (traditional)", "chinese taiwan",
              "chinois traditionnel", "chino tradicional", "traditionelles chinesisch", "cinese tradizionale",
              "中国語繁体字", "中国語(繁体字)", "繁体字中国語", "중국어 번체", "번체 중국어", "ภาษาจีนตัวเต็ม",
              "tiếng trung phồn thể"),
    "zh-CN": ("简体中文", "簡體中文", "中文简体", "中文簡體", "简中", "简体", "普通话", "普通話",
              "simplified chinese", "chinese simplified", "chinese (simplified)", "mandarin",
              "chinois simplifié", "chino simplificado", "vereinfachtes chinesisch", "cinese semplificato",
              "中国語簡体字", "中国語(簡体字)", "簡体字中国語", "중국어 간체", "간체 중국어", "ภาษาจีนตัวย่อ",
              "tiếng trung giản thể"),
    # Chinese with no script named: the app's own default reader, Traditional, unless the name
    # itself is written in simplified characters.
    "zh-TW#": ("中文", "漢語", "華語", "chinese", "中国語", "중국어", "ภาษาจีน", "tiếng trung", "chinois", "chino",
               "chinesisch", "cinese"),
    "zh-CN#": ("汉语", "华语"),
    "yue": ("粵語", "粤语", "廣東話", "广东话", "cantonese"),
    "en": ("english", "英文", "英語", "英语", "영어", "ภาษาอังกฤษ", "อังกฤษ", "tiếng anh", "anglais", "inglés",
           "ingles", "englisch", "inglese"),
    "ja": ("日本語", "japanese", "日文", "日語", "日语", "にほんご", "일본어", "ภาษาญี่ปุ่น", "tiếng nhật", "japonais",
           "japonés", "japones", "japanisch", "giapponese"),
    "ko": ("한국어", "조선어", "korean", "韓文", "韓語", "韩语", "韓國語", "韓国語", "朝鮮語", "ภาษาเกาหลี",
           "tiếng hàn", "coréen", "coreano", "koreanisch"),
    "th": ("ไทย", "ภาษาไทย", "thai", "泰文", "泰語", "泰语", "タイ語", "태국어", "tiếng thái", "thaï", "tailandés",
           "thailändisch", "tailandese"),
    "vi": ("tiếng việt", "tieng viet", "vietnamese", "越南文", "越南語", "越南语", "ベトナム語", "베트남어",
           "ภาษาเวียดนาม", "vietnamien", "vietnamita", "vietnamesisch"),
    "fr": ("français", "francais", "french", "法文", "法語", "法语", "フランス語", "프랑스어", "ภาษาฝรั่งเศส",
           "tiếng pháp", "francés", "frances", "französisch", "francese"),
    "es": ("español", "espanol", "castellano", "spanish", "西班牙文", "西班牙語", "西班牙语", "スペイン語", "스페인어",
           "ภาษาสเปน", "tiếng tây ban nha", "espagnol", "spanisch", "spagnolo"),
    "de": ("deutsch", "german", "德文", "德語", "德语", "ドイツ語", "독일어", "ภาษาเยอรมัน", "tiếng đức", "allemand",
           "alemán", "aleman", "tedesco"),
    "it": ("italiano", "italian", "義大利文", "義大利語", "意大利文", "意大利语", "イタリア語", "이탈리아어",
           "ภาษาอิตาลี", "tiếng ý", "italien", "italienisch"),
    "pt": ("português", "portugues", "portuguese", "葡萄牙文", "葡萄牙語", "葡萄牙语", "ポルトガル語", "포르투갈어",
           "portugais", "portugués", "portugiesisch", "portoghese"),
    "id": ("bahasa indonesia", "indonesian", "印尼文", "印尼語", "印尼语", "インドネシア語", "인도네시아어"),
    "ms": ("bahasa melayu", "malay", "馬來文", "马来文", "マレー語", "말레이어"),
    "ru": ("русский", "russian", "俄文", "俄語", "俄语", "ロシア語", "러시아어"),
    "ar": ("العربية", "arabic", "阿拉伯文", "阿拉伯語", "阿拉伯语", "アラビア語", "아랍어"),
    "hi": ("हिन्दी", "हिंदी", "hindi", "印地語", "印地语", "ヒンディー語", "힌디어"),
}
# Tags whose usual written form is another tag: a region or script the engines know.
_CANONICAL = {"zh-hant": "zh-TW", "zh-hant-tw": "zh-TW", "zh-tw": "zh-TW", "zh-hans": "zh-CN",
              "zh-hans-cn": "zh-CN", "zh-cn": "zh-CN", "iw": "he", "in": "id", "jw": "jv"}


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).casefold()
    return "".join(ch for ch in text if ch.isalnum())


_BY_NAME = {_fold(name): tag.rstrip("#") for tag, names in _NAMES.items() for name in names}
# Regions as display names write them: "中文（台灣）", "English (United States)".
_REGIONS = {_fold(name): code for code, names in {
    "TW": ("台灣", "台湾", "臺灣", "taiwan", "대만"), "CN": ("中国", "中國", "china", "mainland china", "중국"),
    "HK": ("香港", "hong kong", "홍콩"), "MO": ("澳門", "澳门", "macau", "macao"), "SG": ("新加坡", "singapore"),
    "US": ("美國", "美国", "united states", "us", "usa", "미국"), "GB": ("英國", "英国", "united kingdom", "uk", "영국"),
    "JP": ("日本", "japan", "일본"), "KR": ("韓國", "韩国", "韓国", "south korea", "korea", "대한민국", "한국"),
    "FR": ("france",), "ES": ("españa", "spain"), "MX": ("méxico", "mexico"), "DE": ("deutschland", "germany"),
    "IT": ("italia", "italy"), "BR": ("brasil", "brazil"), "PT": ("portugal",), "CA": ("canada",),
    "AU": ("australia",), "TH": ("ประเทศไทย", "thailand"), "VN": ("việt nam", "vietnam"),
}.items() for name in names}
# Country codes written where a language code belongs: what a client most likely meant.
_COUNTRY_AS_LANGUAGE = {"jp": "ja", "cn": "zh-CN", "kr": "ko", "vn": "vi", "tw": "zh-TW", "hk": "zh-HK",
                        "gr": "el", "dk": "da", "se": "sv", "cz": "cs", "ua": "uk", "us": "en-US", "gb": "en-GB"}
# ISO 639-1, and the three-letter codes a reader's language may have without a two-letter one: a tag
# whose language is none of these is refused on v2 ("the", "abc" are shaped like tags, and are not).
ISO_639 = frozenset("""aa ab ae af ak am an ar as av ay az ba be bg bh bi bm bn bo br bs ca ce ch co cr cs cu cv
cy da de dv dz ee el en eo es et eu fa ff fi fj fo fr fy ga gd gl gn gu gv ha he hi ho hr ht hu hy hz ia id ie
ig ii ik io is it iu ja jv ka kg ki kj kk kl km kn ko kr ks ku kv kw ky la lb lg li ln lo lt lu lv mg mh mi mk ml
mn mr ms mt my na nb nd ne ng nl nn no nr nv ny oc oj om or os pa pi pl ps pt qu rm rn ro ru rw sa sc sd se sg si
sk sl sm sn so sq sr ss st su sv sw ta te tg th ti tk tl tn to tr ts tt tw ty ug uk ur uz ve vi vo wa wo xh yi
yo za zh zu yue cmn nan hak wuu fil haw ceb hmn ckb kok mai mni sat ast bal bho chr dsb hsb kab lij lmo nap scn
szl vec""".split())
_TEXT_KEEP = frozenset(" ()-'.,")


@dataclass(frozen=True)
class Language:
    """What a caller asked for: `tag` when it maps to one, `text` as the engines should read it."""

    tag: str | None
    text: str
    requested: str

    @property
    def known(self) -> bool:
        return self.tag is not None


def normalise_tag(value: str) -> str | None:
    """A BCP-47-shaped string in canonical case ('ZH_hant_tw' -> 'zh-Hant-TW'), or None if not tag-shaped."""
    m = _TAG.match(value.strip())
    if not m:
        return None
    parts = [m.group(1).lower()] + [p for p in re.split(r"[-_]", m.group(2)) if p]
    canonical = _CANONICAL.get("-".join(p.lower() for p in parts))
    if canonical:
        return canonical
    out = [parts[0]]
    for p in parts[1:]:
        if len(p) == 4 and p.isalpha():
            out.append(p.title())  # script
        elif (len(p) == 2 and p.isalpha()) or (len(p) == 3 and p.isdigit()):
            out.append(p.upper())  # region
        else:
            out.append(p.lower())
    return "-".join(out)


def resolve(raw: object) -> Language:
    """Any value a v1 client sends: a tag, a display name, or text kept as written. Never raises."""
    if not isinstance(raw, str) or not raw.strip():
        return Language(DEFAULT, DEFAULT, "" if raw is None else str(raw)[:MAX_TEXT])
    requested = " ".join(raw.split())[:MAX_TEXT]
    tag = _by_name(requested) or _COUNTRY_AS_LANGUAGE.get(requested.strip().lower()) or normalise_tag(requested)
    if tag and tag.split("-")[0].lower() in ISO_639:
        return Language(tag, tag, requested)
    # Text that names no language reaches Gemini as written, but only as a name: letters, marks,
    # blanks and a little punctuation, on one line.
    text = " ".join("".join(ch if ch.isalpha() or unicodedata.category(ch).startswith("M") or ch in _TEXT_KEEP
                            else " " for ch in requested).split())
    return Language(None, text, requested) if text else Language(DEFAULT, DEFAULT, requested)


def _by_name(text: str) -> str | None:
    """A display name, alone or with its region in brackets: 中文（台灣）, English (United States)."""
    found = _BY_NAME.get(_fold(text))
    if found:
        return found
    m = re.match(r"^(.+?)\s*[（(]\s*(.+?)\s*[)）]\s*$", unicodedata.normalize("NFKC", text))
    if not m:
        return None
    base, region = _BY_NAME.get(_fold(m.group(1))), _REGIONS.get(_fold(m.group(2)))
    if base is None:
        return None
    if region is None:
        return base
    return normalise_tag(f"{base.split('-')[0]}-{region}")


def parse_tag(raw: str) -> str:
    """v2: a BCP-47 tag of a known language only; ValueError naming the accepted forms."""
    tag = normalise_tag(raw) if isinstance(raw, str) else None
    if tag is None or tag.split("-")[0].lower() not in ISO_639:
        raise ValueError(f"must be a BCP-47 language tag such as zh-TW, zh-CN, en, ja or ko (got {str(raw)[:40]!r}); "
                         "display names such as 繁體中文 are accepted on /api/v1 only")
    return tag
