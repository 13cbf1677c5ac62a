"""What re-reading Chinese runner-up glyphs (`hanwords`) costs: parsing and re-reading CPU seconds a page,
without it (the budget it had before, 24 boxes) and with it, alternating page by page in one process.

    .venv/bin/python bench/offline_layouts.py --dev 22 --kind photographed --cache /tmp/ocr   # fills the cache
    .venv/bin/python bench/reread_cost.py --cache /tmp/ocr [--kind photographed]

Reads the page readings bench/offline_layouts.py keeps in --cache (no OCR runs). Reports; never fails.
"""
from __future__ import annotations

import argparse
import pickle
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cache", type=Path, required=True, help="bench/offline_layouts.py's --cache folder")
    ap.add_argument("--kind", default="photographed", help="clean, photographed or angled pages")
    args = ap.parse_args()

    import cv2
    import numpy as np

    from common.engines.local import LocalEngine, hanwords, lexicon, ocr
    from common.engines.local.layout import Box

    engine = LocalEngine()
    engine.warm_up()
    hanwords.doubtful("田維", engine.kb.cjk_names())  # the word list loads once, outside the timing
    doubtful, budget = hanwords.doubtful, lexicon.MAX_BOXES
    times: dict[str, list[tuple[float, str]]] = {"without": [], "with": []}
    for path in sorted(args.cache.glob(f"*-{args.kind}-*.pkl")):
        page, upload, boxes, weak, sharpness = pickle.loads(path.read_bytes())
        image = cv2.imdecode(np.frombuffer(upload, np.uint8), cv2.IMREAD_COLOR)
        reading = ocr.Reading([Box(*b) for b in boxes], weak, sharpness, image)
        for mode in times:
            hanwords.doubtful = doubtful if mode == "with" else (lambda *a: [])
            lexicon.MAX_BOXES = budget if mode == "with" else 24
            started = time.process_time()
            engine.menu_of(reading, "en")
            times[mode].append((time.process_time() - started, page.lang))
    hanwords.doubtful, lexicon.MAX_BOXES = doubtful, budget
    print(f"parsing and re-reading, CPU s a page ({args.kind}, {len(times['with'])} pages in {args.cache})")
    for lang in ("all", "zh"):
        for mode, rows in times.items():
            secs = sorted(s for s, page_lang in rows if lang == "all" or page_lang == lang)
            if secs:
                print(f"{lang:>4} {mode:<8} pages {len(secs):>4}  median {secs[len(secs) // 2]:.3f}  "
                      f"p90 {secs[int(len(secs) * 0.9)]:.3f}  max {secs[-1]:.3f}  sum {sum(secs):.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
