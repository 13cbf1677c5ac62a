"""Photo decoding: memory bounded for every format, orientation kept."""
from __future__ import annotations

import io
import threading
import time

import pytest

from common.scan import photos as images
from tests.support import png_bomb, render_photo


def test_concurrent_full_size_decodes_never_hold_more_pixels_than_the_budget():
    budget = images.DecodeBudget(100)
    peak, lock = [0], threading.Lock()

    def decode(pixels):
        with budget.hold(pixels):
            with lock:
                peak[0] = max(peak[0], budget.in_use)
            time.sleep(0.02)

    threads = [threading.Thread(target=decode, args=(60,)) for _ in range(8)]
    threads.append(threading.Thread(target=decode, args=(500,)))  # larger than the budget: still runs, alone
    [t.start() for t in threads]
    [t.join(10) for t in threads]
    assert not any(t.is_alive() for t in threads)
    assert peak[0] <= 100 and budget.in_use == 0


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_a_photo_keeps_its_orientation_whatever_its_format(fmt):
    from PIL import Image

    img = Image.new("RGB", (400, 200), (200, 30, 30))
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise to view
    buf = io.BytesIO()
    img.save(buf, fmt, exif=exif.tobytes())
    photo = images.normalise(buf.getvalue(), 10**8, budget_pixels=50_000)
    assert (photo.width, photo.height) == (200, 400)


@pytest.mark.parametrize("payload, code", [
    (lambda: b"", "UPLOAD_EMPTY"),
    (lambda: b"this is a text file, not a photo", "UNSUPPORTED_IMAGE"),
    (lambda: render_photo()[:3000], "IMAGE_CORRUPT"),
    (png_bomb, "IMAGE_TOO_LARGE"),
], ids=["empty", "text", "truncated JPEG", "30000x30000 PNG bomb"])
def test_a_hostile_upload_is_refused_with_its_code_before_it_is_decoded_whole(payload, code):
    from common.core.errors import ScanError

    with pytest.raises(ScanError) as refused:
        images.normalise(payload(), 25_000_000, budget_pixels=80_000_000)  # the test stack's MAX_IMAGE_PIXELS
    assert refused.value.code == code
