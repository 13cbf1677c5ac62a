"""The built-in profiles, recipe and bookshelf, and what the server adds to their answers."""
from __future__ import annotations

from common.profiles.pinned import Pinned

_STRING, _NUMBER = {"type": "string"}, {"type": ["number", "null"]}
RECIPE_SCHEMA = {
    "type": "object",
    "required": ["title", "ingredients", "steps"],
    "properties": {
        "title": _STRING,
        "servings": _NUMBER,
        "prep_minutes": _NUMBER,
        "cook_minutes": _NUMBER,
        "total_minutes": _NUMBER,
        "ingredients": {"type": "array", "items": {
            "type": "object", "required": ["item"],
            "properties": {"quantity": _NUMBER, "quantity_max": _NUMBER, "unit": {"type": ["string", "null"]},
                           "item": _STRING, "text": _STRING}}},
        "steps": {"type": "array", "items": _STRING},
    },
}
BOOKSHELF_SCHEMA = {
    "type": "object",
    "required": ["books"],
    "properties": {
        "books": {"type": "array", "items": {
            "type": "object", "required": ["title", "confidence"],
            "properties": {"title": _STRING, "authors": {"type": "array", "items": _STRING},
                           "confidence": {"type": "number", "minimum": 0, "maximum": 1}}}},
        "needs_review": {"type": "array", "items": {
            "type": "object", "properties": {"title": _STRING, "confidence": {"type": "number"}}}},
    },
}
BUILTIN = {
    "recipe": Pinned("recipe", 1, "builtin", (
        "Read the recipe in the photo. Give its title, servings, preparation, cooking and total time in "
        "minutes, every ingredient with its quantity (a number; quantity_max for a range), unit and item, "
        "and the steps in order. Write the title, items and steps in {language}; keep quantities as printed."),
        RECIPE_SCHEMA, "json"),
    "bookshelf": Pinned("bookshelf", 1, "builtin", (
        "List every book whose spine or cover is visible in the photo, left to right: its title and "
        "authors as printed, and your confidence from 0 to 1 that the title is read right. Do not guess "
        "titles you cannot read; give them a low confidence instead."), BOOKSHELF_SCHEMA, "json"),
}

OFFLINE = ("menu", *BUILTIN)  # what the offline engine reads; a custom profile needs a model


def finish(profile: Pinned, data: dict, review_below: float) -> dict:
    """What the server adds to an engine's answer: the bookshelf's books to review, by its own threshold."""
    if profile.kind == "builtin" and profile.id == "bookshelf":
        data = {**data, "needs_review": [{"title": b.get("title", ""), "confidence": b.get("confidence", 0)}
                                         for b in data.get("books") or [] if b.get("confidence", 0) < review_below]}
    return data
