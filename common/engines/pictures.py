"""The picture of a top-3 dish: what is asked of the image model, in one fixed illustration style.

The reader has not seen the plate, and the model has not either: a "realistic restaurant photo"
would pass a guess off as this kitchen's dish. So the picture is plainly an illustration (the page
and image_update say so), built from what the reader is shown (translated name, description) and
the menu's cuisine, never from the original name, which invites the model to letter it onto the
picture. No text, no hands, no people: nothing that ages or misleads a phone card.
"""
from __future__ import annotations

from common.menu.items import MenuItem

KIND = "illustration"  # image_update.image_kind and MenuItem.image_kind once a picture is ready

STYLE = ("A warm hand-painted gouache illustration of a single dish: {subject}. One serving on a plain "
         "plate or bowl, seen from a three-quarter angle on a light, uncluttered table, soft daylight, "
         "generous empty space around it, in a landscape card format. Clearly an illustration, not a "
         "photograph. No text, letters, numbers, labels, menus, logos or watermarks anywhere; no hands, "
         "no people.")


def subject(item: MenuItem, cuisine: str | None) -> str:
    """What the dish is, in the reader's words (the engine stores it as the item's image_prompt)."""
    what = item.translated_name.strip() or item.description.strip()
    if item.description.strip() and item.description.strip() != what:
        what = f"{what} ({item.description.strip().rstrip('.')})"
    return f"{what}, {cuisine.strip()} cuisine" if cuisine and cuisine.strip() else what


def prompt(item: MenuItem) -> str:
    """The whole request for one picture: the fixed style around the dish's subject."""
    return STYLE.format(subject=item.image_prompt or subject(item, None))
