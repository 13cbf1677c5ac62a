"""A page photo's perceptual hash, made to survive a re-shot: another framing, a few degrees of tilt,
another light, another phone's resolution and JPEG.

A plain perceptual hash of the photo does not: re-shots of one page differed by 24 of 64 bits while
pages of different menus came as close as 0 (bench/near_duplicates.py's tuning set), because the
table around the page, the light's gradient and the framing dominate a photo's low frequencies.
So the page is put in a canonical form first: found as the largest bright region (Otsu on the paper's
brightness), its four corners straightened to a rectangle, the light divided out (each pixel against
the local paper white), and the printed ink cropped to its extent; then two of imagehash's pHashes of
that ink: `bits` (256, blurred: where the text lies, which a re-shot keeps) finds and ranks
candidates; `fine` (576, barely blurred: the lines' own shapes) tells a restaurant's page 2 from its
page 1, whose layout is the same (their `bits` came as close as 42 of 256 in the evaluation set).

numpy, scipy and imagehash are imported here only, by the run that hashes.
"""
from __future__ import annotations

import io
from dataclasses import dataclass

SIDE = 512          # the photo is looked at this size: enough for text lines, cheap to filter
MARGIN = 0.04       # the page's own edge, trimmed after straightening (its border is not ink)
HASH_SIZE = 16      # 256 bits
BLUR = 4            # px at SIDE: text blocks, not strokes
BITS = HASH_SIZE * HASH_SIZE
FINE_SIZE, FINE_BLUR = 24, 1  # 576 bits of the lines themselves


@dataclass(frozen=True)
class Fingerprint:
    bits: int
    fine: int

    @property
    def hex(self) -> str:
        return f"{self.bits:0{BITS // 4}x}"

    @property
    def fine_hex(self) -> str:
        return f"{self.fine:0{FINE_SIZE * FINE_SIZE // 4}x}"

    @classmethod
    def from_hex(cls, bits: str, fine: str) -> "Fingerprint":
        return cls(int(bits, 16), int(fine, 16))

    def distance(self, other: "Fingerprint") -> int:
        """Hamming distance of the layout hashes: the bits that differ."""
        return (self.bits ^ other.bits).bit_count()

    def fine_distance(self, other: "Fingerprint") -> int:
        return (self.fine ^ other.fine).bit_count()


def fingerprint(jpeg: bytes) -> Fingerprint | None:
    """The page's hash, or None when the photo shows no printed page to hash (blank, or all picture)."""
    import imagehash
    import numpy as np
    from PIL import Image, ImageFilter

    ink = _ink(_straighten(_gray(jpeg)))
    h, w = ink.shape
    mh, mw = int(MARGIN * h), int(MARGIN * w)
    ink[:mh], ink[h - mh:], ink[:, :mw], ink[:, w - mw:] = 0, 0, 0, 0
    strokes = np.where(ink > 0.25, ink, 0)
    if strokes.sum() < 0.002 * h * w:
        return None
    (r0, r1), (c0, c1) = _span(strokes.sum(1)), _span(strokes.sum(0))
    if r1 - r0 < 16 or c1 - c0 < 16:
        return None
    crop = Image.fromarray((ink[r0:r1, c0:c1] * 255).astype(np.uint8))
    coarse = imagehash.phash(crop.filter(ImageFilter.GaussianBlur(BLUR)), HASH_SIZE).hash.flatten()
    fine = imagehash.phash(crop.filter(ImageFilter.GaussianBlur(FINE_BLUR)), FINE_SIZE).hash.flatten()
    return Fingerprint(_int(coarse), _int(fine))


def _int(bits) -> int:
    return int("".join("1" if b else "0" for b in bits), 2)


def _gray(jpeg: bytes):
    """The photo in grey at SIDE, dark boards turned light (the page's middle decides)."""
    import numpy as np
    from PIL import Image

    img = Image.open(io.BytesIO(jpeg))
    img.draft("L", (SIDE * 2, SIDE * 2))  # a JPEG decodes at a fraction of its size: far cheaper
    img = img.convert("L")
    img.thumbnail((SIDE, SIDE))
    a = np.asarray(img)
    h, w = a.shape
    if np.median(a[h // 4: 3 * h // 4, w // 4: 3 * w // 4]) < 100:  # chalk on a board
        img = Image.fromarray(255 - a)
    return img


def _paper(img):
    """The paper's brightness where the page is: a local maximum, smoothed (text is narrower than it).
    scipy's maximum filter is separable: Pillow's MaxFilter took 0.24 s a photo, this a few ms."""
    import numpy as np
    from PIL import Image, ImageFilter
    from scipy import ndimage

    local_max = Image.fromarray(ndimage.maximum_filter(np.asarray(img), size=11))
    return np.asarray(local_max.filter(ImageFilter.GaussianBlur(6)), np.float32)


def _straighten(img):
    """The page's quadrilateral warped to a rectangle; the photo as it is when no page stands out."""
    import numpy as np
    from PIL import Image
    from scipy import ndimage

    paper = _paper(img)
    mask = paper > _otsu(paper)
    labels, n = ndimage.label(mask)
    if not n:
        return img
    sizes = ndimage.sum(mask, labels, range(1, n + 1))
    page = labels == 1 + int(np.argmax(sizes))
    if page.mean() < 0.3:
        return img
    ys, xs = np.nonzero(page)
    s, d = xs + ys, xs - ys
    tl, br = (xs[s.argmin()], ys[s.argmin()]), (xs[s.argmax()], ys[s.argmax()])
    tr, bl = (xs[d.argmax()], ys[d.argmax()]), (xs[d.argmin()], ys[d.argmin()])
    top, bottom = np.hypot(tr[0] - tl[0], tr[1] - tl[1]), np.hypot(br[0] - bl[0], br[1] - bl[1])
    left, right = np.hypot(bl[0] - tl[0], bl[1] - tl[1]), np.hypot(br[0] - tr[0], br[1] - tr[1])
    corners = np.array([tl, tr, br, bl], np.float64)
    area = 0.5 * abs(np.dot(corners[:, 0], np.roll(corners[:, 1], 1)) - np.dot(corners[:, 1], np.roll(corners[:, 0], 1)))
    # Not a page seen at a modest angle (a light table merged into it, a shadow cutting it): better
    # not straightened at all than straightened wrong.
    if (min(top, bottom) < 0.85 * max(top, bottom) or min(left, right) < 0.85 * max(left, right)
            or page.sum() < 0.9 * area or min(top, left) < 64):
        return img
    width, height = int(max(top, bottom)), int(max(left, right))
    return img.transform((width, height), Image.QUAD, (*tl, *bl, *br, *tr), resample=Image.BILINEAR)


def _ink(img):
    """How dark each pixel is against the paper around it (0 paper, 1 black): the light divided out."""
    import numpy as np

    a = np.asarray(img, np.float32)
    paper = _paper(img)
    return np.clip((paper - a) / np.maximum(paper, 16), 0, 1)


def _otsu(values) -> float:
    """The threshold that best splits values in two (paper from table)."""
    import numpy as np

    hist, edges = np.histogram(values, bins=64, range=(0, 256))
    below = np.cumsum(hist)
    mass = np.cumsum(hist * (edges[:-1] + 2))
    total, total_mass = below[-1], mass[-1]
    above = total - below
    between = np.where((below > 0) & (above > 0),
                       (total_mass * below / total - mass) ** 2 / np.maximum(below * above, 1), 0)
    return float(edges[int(np.argmax(between)) + 1])


def _span(profile, lo: float = 0.005, hi: float = 0.995) -> tuple[int, int]:
    """Where the ink lies along one axis: its mass between the lo and hi quantiles (specks ignored)."""
    import numpy as np

    c = np.cumsum(profile)
    c = c / max(float(c[-1]), 1e-6)
    return int(np.searchsorted(c, lo)), int(np.searchsorted(c, hi)) + 1
