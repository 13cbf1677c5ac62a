"""Checks and normalises uploaded photos before any model sees them; Pillow is imported lazily."""
from __future__ import annotations

import io
from dataclasses import dataclass

from common.errors import ScanError

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


@dataclass
class Photo:
    jpeg: bytes
    width: int
    height: int
    source_type: str


def normalise(data: bytes, max_pixels: int) -> Photo:
    """Validate and return an upright RGB JPEG no larger than MAX_SIDE on its long side."""
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
        img.load()
        img = ImageOps.exif_transpose(img)
        if img.mode != "RGB":
            img = img.convert("RGB")
        img.thumbnail((MAX_SIDE, MAX_SIDE))
        out = io.BytesIO()
        img.save(out, "JPEG", quality=88)
    except ScanError:
        raise
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise ScanError("IMAGE_CORRUPT", f"the photo could not be decoded: {exc}") from None
    return Photo(jpeg=out.getvalue(), width=img.width, height=img.height, source_type=kind)


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
