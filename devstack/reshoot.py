"""The same menu page photographed again by someone else: the page on a table, framed elsewhere, turned
a few degrees, the phone not held quite flat, another light (level, fall-off, colour), another phone's
resolution, sharpness, noise and JPEG. For the near-duplicate hint's tests and bench/near_duplicates.py.

`harsh=True` adds what a careless re-shot also has: a steeper angle, a curled page, a shadow across it
and glare (devstack/menu_templates.photographed), and a frame that cuts an edge off.
"""
from __future__ import annotations

import io
import random

TABLES = [(70, 60, 50), (120, 90, 60), (40, 40, 45), (150, 140, 130)]


def reshoot(page, seed: int, harsh: bool = False) -> bytes:
    """A JPEG of the page (a PIL image) as one more phone photo of it; the seed decides every choice."""
    import numpy as np
    from PIL import Image, ImageFilter

    rnd = random.Random(seed * 7919 + 3)
    w, h = page.size
    margins = [rnd.uniform(0.01, 0.10) for _ in range(4)]  # left, right, top, bottom: the framing
    table = rnd.choice(TABLES)
    canvas = Image.new("RGB", (int(w * (1 + margins[0] + margins[1])), int(h * (1 + margins[2] + margins[3]))), table)
    canvas.paste(page, (int(w * margins[0]), int(h * margins[2])))
    canvas = canvas.rotate(rnd.uniform(-3, 3), resample=Image.BICUBIC, fillcolor=table)
    if harsh:
        from devstack import menu_templates

        img = menu_templates.photographed(canvas, seed)  # 5 % perspective, curl, shadow, glare, blur, JPEG
        if rnd.random() < 0.3:
            W, H = img.size
            cut = int(rnd.uniform(0, 0.03) * min(W, H))
            img = img.crop(rnd.choice([(cut, 0, W, H), (0, 0, W - cut, H), (0, cut, W, H), (0, 0, W, H - cut)]))
    else:
        W, H = canvas.size
        d = 0.02
        quad = [rnd.uniform(0, d) * W, rnd.uniform(0, d) * H, rnd.uniform(0, d) * W, H - rnd.uniform(0, d) * H,
                W - rnd.uniform(0, d) * W, H - rnd.uniform(0, d) * H, W - rnd.uniform(0, d) * W, rnd.uniform(0, d) * H]
        img = canvas.transform((W, H), Image.QUAD, quad, resample=Image.BICUBIC, fillcolor=table)
        a = np.asarray(img).astype(np.float32)
        yy, xx = np.mgrid[0:H, 0:W].astype(np.float32)
        cx, cy = rnd.uniform(0, W), rnd.uniform(0, H)
        light = 1.0 - rnd.uniform(0.1, 0.4) * np.sqrt(((xx - cx) / W) ** 2 + ((yy - cy) / H) ** 2) / np.sqrt(2)
        a = a * light[..., None] * rnd.uniform(0.6, 1.0)
        a = a * np.array([rnd.uniform(0.9, 1.05), 1.0, rnd.uniform(0.85, 1.05)], np.float32)  # warm or cool light
        a += np.random.default_rng(seed).normal(0, rnd.uniform(2, 6), a.shape)
        img = Image.fromarray(np.clip(a, 0, 255).astype(np.uint8)).filter(ImageFilter.GaussianBlur(rnd.uniform(0.3, 1.2)))
    scale = rnd.choice([0.5, 0.7, 0.9, 1.3])  # another phone's resolution
    img = img.resize((int(img.width * scale), int(img.height * scale)), Image.BICUBIC)
    out = io.BytesIO()
    img.save(out, "JPEG", quality=rnd.randint(60, 92))
    return out.getvalue()
