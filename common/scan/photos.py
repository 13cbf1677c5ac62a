"""Checks and normalises uploaded photos before any model sees them; Pillow is imported lazily."""
from __future__ import annotations

import io
import threading
from dataclasses import dataclass

from common.core.errors import ScanError

MAX_SIDE = 3072  # enough for a menu's small print; keeps model upload and OCR time bounded


def sniff(data: bytes) -> str | None:
    """The image type from magic bytes, never from a name or a declared header."""
    if data[:3] == b"\xff\xd8\xff":
        return "image/jpeg"
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return "image/png"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data[4:8] == b"ftyp" and data[8:12] in (b"heic", b"heix", b"mif1", b"msf1", b"heim", b"heis"):
        return "image/heic"
    return None


class DecodeBudget:
    """Pixels being decoded at once in this process, bounded: a PNG, WebP or HEIC decodes at full
    size (4 bytes a pixel), so eight 40-megapixel photos at once would need 1.3 GB before any copy.
    A decode waits until its pixels fit; one photo alone always fits."""

    def __init__(self, pixels: int):
        self.pixels, self.in_use = pixels, 0
        self._cond = threading.Condition()

    def hold(self, pixels: int):
        need = min(pixels, self.pixels)
        budget = self

        class _Held:
            def __enter__(self):
                with budget._cond:
                    budget._cond.wait_for(lambda: budget.in_use + need <= budget.pixels)
                    budget.in_use += need
                return self

            def __exit__(self, *exc):
                with budget._cond:
                    budget.in_use -= need
                    budget._cond.notify_all()

        return _Held()


_budget: DecodeBudget | None = None
_budget_lock = threading.Lock()


def decode_budget(pixels: int) -> DecodeBudget:
    global _budget
    with _budget_lock:
        if _budget is None or _budget.pixels != pixels:
            _budget = DecodeBudget(pixels)
        return _budget


@dataclass
class Photo:
    jpeg: bytes
    width: int
    height: int
    source_type: str


def normalise(data: bytes, max_pixels: int, budget_pixels: int = 0) -> Photo:
    """Validate and return an upright RGB JPEG no larger than MAX_SIDE on its long side.

    `budget_pixels` bounds the pixels this process decodes at full size at once (0: no bound).
    """
    from PIL import Image, ImageOps

    if not data:
        raise ScanError("UPLOAD_EMPTY", "the uploaded photo is empty (0 bytes)")
    kind = sniff(data)
    if kind is None:
        raise ScanError("UNSUPPORTED_IMAGE", "the upload is not a JPEG, PNG, WebP or HEIC image")
    if kind == "image/heic":
        try:
            import pillow_heif

            pillow_heif.register_heif_opener()
        except ImportError:
            raise ScanError("UNSUPPORTED_IMAGE", "HEIC photos need pillow-heif, which is not installed") from None
    Image.MAX_IMAGE_PIXELS = None  # we apply our own bound below, before decoding
    try:
        img = Image.open(io.BytesIO(data))
        width, height = img.size
        if width * height > max_pixels:
            raise ScanError("IMAGE_TOO_LARGE",
                            f"the photo is {width}x{height} pixels; the limit is {max_pixels} pixels")
        if img.format == "JPEG":
            # Let libjpeg decode at a reduced scale: cheaper in time and memory for big photos.
            img.draft("RGB", (MAX_SIDE, MAX_SIDE))
            full = img.size[0] * img.size[1]
        else:
            full = width * height  # other formats decode at full size
        with (decode_budget(budget_pixels).hold(full) if budget_pixels and full > MAX_SIDE * MAX_SIDE
              else _nothing()):
            img.load()
            orientation = img.getexif().get(0x0112)
            # Shrink first: every later copy (rotation, mode) is of the small image, not the full one.
            img.thumbnail((MAX_SIDE, MAX_SIDE))
        if orientation:
            img.getexif()[0x0112] = orientation
        img = ImageOps.exif_transpose(img)
        if img.mode != "RGB":
            img = img.convert("RGB")
        out = io.BytesIO()
        img.save(out, "JPEG", quality=88)
    except ScanError:
        raise
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise ScanError("IMAGE_CORRUPT", f"the photo could not be decoded: {exc}") from None
    return Photo(jpeg=out.getvalue(), width=img.width, height=img.height, source_type=kind)


class _nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return None


def to_jpeg(data: bytes) -> bytes:
    """Re-encode a generated image (often PNG) as the JPEG our asset keys promise."""
    from PIL import Image

    img = Image.open(io.BytesIO(data))
    img.load()
    if img.mode != "RGB":
        img = img.convert("RGB")
    out = io.BytesIO()
    img.save(out, "JPEG", quality=86)
    return out.getvalue()
