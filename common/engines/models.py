"""Which parameters each Gemini model family takes, chosen by model name (never hard-coded once).

Read from Google's documentation (docs/benchmarks.md, "Models", lists the pages and the dates read):
- Gemini 3 models take `thinking_level` (the levels differ by model) and reject it together with
  `thinking_budget` (400 INVALID_ARGUMENT); Google asks to leave temperature at its default, 1.0
  (lower can loop; 3.6 Flash ignores a custom value), so none is sent; `media_resolution` sets an
  image's token budget (HIGH: up to 1,120 tokens).
- Gemini 2.5 models take `thinking_budget` (tokens; 0 turns thinking off on Flash-Lite) and a
  temperature; of them only 2.5 Flash-Lite is still served.
- Image models take `image_config` (aspect ratio, size). Nano Banana 2 and 2 Lite are said to take
  a thinking level of MINIMAL or HIGH, but only third-party pages say so; their default is left
  alone (a level they refused would fail every picture), as for Nano Banana Pro, which always thinks.
Thinking tokens count against `max_output_tokens`, so the menu's thinking is kept low: reading a
menu is transcription and translation, not reasoning, and every thinking token delays the first dish.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from google.genai import types


@dataclass(frozen=True)
class Family:
    """What one family of models accepts, and what this service sends it."""

    name: str
    thinking: Optional[str] = None          # "level", "budget" or None (no thinking setting)
    menu_thinking: object = None            # the level (str) or budget (int) for reading a menu
    temperature: Optional[float] = None     # None: Google's default (Gemini 3: 1.0)
    media_resolution: bool = False          # takes generation_config.media_resolution
    output_limit: int = 65_536              # max_output_tokens it accepts
    image_sizes: tuple[str, ...] = ()       # an image family's image_config sizes; () for text models


# Longest prefix wins; names are matched without the "models/" prefix.
FAMILIES: dict[str, Family] = {
    # 3.8 and 3.7 Flash have no MINIMAL level: LOW is their least.
    "gemini-3.8-flash": Family("gemini-3.8-flash", "level", "LOW", media_resolution=True),
    "gemini-3.7-flash": Family("gemini-3.7-flash", "level", "LOW", media_resolution=True),
    "gemini-3.6-flash": Family("gemini-3.6-flash", "level", "LOW", media_resolution=True),
    "gemini-3.5-flash-lite": Family("gemini-3.5-flash-lite", "level", "MINIMAL", media_resolution=True),
    "gemini-3.5-flash": Family("gemini-3.5-flash", "level", "LOW", media_resolution=True),
    "gemini-3.1-flash-lite-image": Family("gemini-3.1-flash-lite-image", output_limit=32_768, image_sizes=("1K",)),
    "gemini-3.1-flash-image": Family("gemini-3.1-flash-image", output_limit=32_768, image_sizes=("1K", "2K", "4K")),
    "gemini-3.1-flash-lite": Family("gemini-3.1-flash-lite", "level", "MINIMAL", media_resolution=True),
    "gemini-3-pro-image": Family("gemini-3-pro-image", None, output_limit=32_768, image_sizes=("1K", "2K", "4K")),
    "gemini-3": Family("gemini-3", "level", "LOW", media_resolution=True),
}
# A name no row knows (a model newer than this table): no thinking or sampling setting at all, so the
# request is one every family accepts; the model's own defaults apply (every text model since 2.5
# takes 65,536 output tokens).
UNKNOWN = Family("unknown", None)

PICTURE_SIZE = "1K"       # about 1 MP: sharp on a phone card, the cheapest size every image model takes
PICTURE_ASPECT = "4:3"    # the page's and the app's card shape (landscape, like a plated dish)


def family(model: str) -> Family:
    """The family row for a model name (longest matching prefix), or UNKNOWN."""
    name = model.removeprefix("models/")
    best = max((p for p in FAMILIES if name == p or name.startswith(p + "-") or name.startswith(p + ".")),
               key=len, default=None)
    return FAMILIES[best] if best else UNKNOWN


def _thinking(fam: Family, setting: object) -> Optional[types.ThinkingConfig]:
    if fam.thinking == "level" and isinstance(setting, str):
        return types.ThinkingConfig(thinking_level=setting)
    if fam.thinking == "budget" and isinstance(setting, int):
        return types.ThinkingConfig(thinking_budget=setting)
    return None


def text_config(model: str, max_tokens: int, *, schema=None, json_schema=None,
                http_options=None) -> types.GenerateContentConfig:
    """A structured-output call's config for this model: its thinking, temperature and media resolution."""
    fam = family(model)
    config = types.GenerateContentConfig(
        response_mime_type="application/json", response_schema=schema, response_json_schema=json_schema,
        max_output_tokens=min(max_tokens, fam.output_limit), temperature=fam.temperature,
        thinking_config=_thinking(fam, fam.menu_thinking), http_options=http_options)
    if fam.media_resolution:
        config.media_resolution = types.MediaResolution.MEDIA_RESOLUTION_HIGH
    return config


def image_config(model: str, http_options=None) -> types.GenerateContentConfig:
    """A picture call's config: the image alone, in a phone card's shape and size."""
    fam = family(model)
    size = PICTURE_SIZE if PICTURE_SIZE in fam.image_sizes else None
    return types.GenerateContentConfig(
        response_modalities=["IMAGE"], image_config=types.ImageConfig(aspect_ratio=PICTURE_ASPECT, image_size=size),
        http_options=http_options)
