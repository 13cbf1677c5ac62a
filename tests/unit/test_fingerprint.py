"""A page's fingerprint (scan/fingerprint.py) and the strict match (scan/lookalike.py): two phones'
photos of one page match, another draw of the same layout does not, and band keys are scoped."""
from __future__ import annotations

from common.scan import lookalike, photos
from common.scan.fingerprint import fingerprint
from tests.support import reshot_page as _shot


def _fp(jpeg: bytes):
    return fingerprint(photos.normalise(jpeg, 40_000_000).jpeg)


# -- the fingerprint, without the stack ----------------------------------------------------------------
def test_two_phones_photographing_one_page_give_fingerprints_within_the_strict_distance():
    a, b = _fp(_shot("far-price-column", 3, 11)), _fp(_shot("far-price-column", 3, 12))
    assert lookalike.matches(a, b)
    assert set(lookalike.band_keys(a, "s")) & set(lookalike.band_keys(b, "s"))


def test_another_draw_of_the_same_layout_is_not_a_match():
    a, b = _fp(_shot("far-price-column", 3, 11)), _fp(_shot("far-price-column", 4, 11))
    assert not lookalike.matches(a, b)


def test_a_blank_photo_has_no_fingerprint_and_band_keys_are_scoped():
    from PIL import Image

    from devstack import menu_photos

    assert fingerprint(menu_photos.jpeg(Image.new("RGB", (900, 1200), (240, 240, 240)))) is None
    fp = _fp(_shot("variants", 3, 1))
    en, ja = lookalike.band_keys(fp, lookalike.scope("en", "gemini", "v")), lookalike.band_keys(
        fp, lookalike.scope("ja", "gemini", "v"))
    assert len(en) == lookalike.BANDS and not set(en) & set(ja)


def test_two_readings_of_one_page_differing_by_a_dish_are_one_page_and_two_pages_of_a_menu_are_not():
    page1 = [f"dish {n}" for n in range(10)]
    assert lookalike.same_page(page1, page1[:9] + ["dish 99"])
    assert not lookalike.same_page(page1, [f"dish {n}" for n in range(10, 20)])
    assert not lookalike.same_page(page1, page1[:5]) and not lookalike.same_page([], [])
