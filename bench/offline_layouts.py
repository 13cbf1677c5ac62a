"""Offline engine on generated menu layouts (devstack/layouts): recall and precision per layout family,
clean and photographed.

    nice -n 10 .venv/bin/python bench/offline_layouts.py                 # the evaluation seeds
    nice -n 10 .venv/bin/python bench/offline_layouts.py --set fresh     # the second round's evaluation seeds
    nice -n 10 .venv/bin/python bench/offline_layouts.py --set fourth    # the fourth stop's evaluation seeds
    nice -n 10 .venv/bin/python bench/offline_layouts.py --set seventh   # fifth .. seventh: later stops' seeds
    nice -n 10 .venv/bin/python bench/offline_layouts.py --dev 6 --verbose  # development seeds, misses shown
                                                 [--family NAME ...] [--phone] [--json out.json] [--cache DIR]

The evaluation seeds (devstack/layouts.HELD_SEEDS) are reported only as figures: --verbose is refused
with them, so their misses are never read while the engine is changed. --cache keeps each page's OCR
reading, so a rerun replays layout and parsing only (OCR is deterministic for a page). Reports; never fails.
"""
from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.harness import report  # noqa: E402
from common.scan import photos as images# noqa: E402
from devstack import layouts, menu_photos, menu_templates  # noqa: E402
from devstack.layouts.content import Unfillable  # noqa: E402
from devstack.layouts.score import Score, score  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--set", choices=sorted(layouts.HELD_SEEDS), default="eval", help="which evaluation seeds")
    ap.add_argument("--dev", type=int, help="this many development seeds instead of the evaluation seeds")
    ap.add_argument("--start", type=int, default=1, help="the first development seed")
    ap.add_argument("--family", nargs="*", help="families to run (default: all)")
    ap.add_argument("--kind", nargs="*", default=["clean", "photographed"],
                    choices=["clean", "photographed", "angled"], help="angled: from aside, turned (at_an_angle)")
    ap.add_argument("--verbose", action="store_true", help="print misses and non-dishes (development seeds only)")
    ap.add_argument("--phone", action="store_true", help="photographed pages sent as a phone does (3024x4032 JPEG, "
                                                         "q92), timed from the upload's bytes, normalising included")
    ap.add_argument("--json", help="also write the figures to this file")
    ap.add_argument("--cache", type=Path, help="keep each page and its OCR reading in this folder, so a rerun "
                                               "replays layout and parsing only (not timed; not with --phone)")
    args = ap.parse_args()
    if args.verbose and not args.dev:
        ap.error("--verbose lists misses: only with --dev seeds, never the evaluation seeds")
    if args.cache and args.phone:
        ap.error("--cache replays OCR readings and times nothing: not with --phone")
    seeds = layouts.dev_seeds(args.dev, args.start) if args.dev else list(layouts.HELD_SEEDS[args.set])

    from common.engines.local import LocalEngine

    engine = LocalEngine()
    engine.warm_up()
    rows, totals, times = [], {}, {}
    for family in args.family or layouts.FAMILIES:
        for kind in args.kind:
            total, secs, cpu = Score(), [], []
            for seed in seeds:
                try:
                    if args.cache:
                        page, items = _replay(engine, family, seed, kind, args.cache)
                        wall = used = 0.0
                    else:
                        page = layouts.generate(family, seed)
                        items, wall, used = _read(engine, page, kind, args.phone)
                except Unfillable as exc:
                    print(f"{family}/{kind}/{seed}: left out: {exc}")
                    continue
                secs.append(wall)
                cpu.append(used)
                s, missed, junk = score(page.dishes, items)
                total = total.add(s)
                if args.verbose and (missed or junk):
                    print(f"{family}/{kind}/{seed} ({page.lang}{', landscape' if page.landscape else ''}): "
                          f"recall {s.recall:.0%} precision {s.precision:.0%}\n  missed: {missed}\n  not dishes: {junk}")
            totals[kind] = totals.get(kind, Score()).add(total)
            times.setdefault(kind, []).extend(zip(secs, cpu))
            rows.append({"family": family, "set": kind, "pages": len(seeds), "dishes": total.dishes,
                         "recall": round(total.recall, 4), "precision": round(total.precision, 4),
                         "strict_precision": round(total.strict_precision, 4), "prices": round(total.prices, 4),
                         "median_s": round(sorted(secs)[len(secs) // 2], 2), "max_s": round(max(secs), 2),
                         "cpu_s": round(sum(cpu) / len(cpu), 2)})
    print(f"\noffline engine on {platform.machine()} with {os.cpu_count()} cores; "
          f"{'development' if args.dev else args.set + ' evaluation'} seeds {seeds[0]}..{seeds[-1]} ({len(seeds)} a family)")
    print(f"{'family':<14} {'set':<13} {'dishes':>6} {'recall':>7} {'precis':>7} {'strict':>7} {'prices':>7} "
          f"{'p50 s':>6} {'max s':>6} {'cpu s':>6}")
    for r in rows:
        print(f"{r['family']:<14} {r['set']:<13} {r['dishes']:>6} {r['recall']:>7.1%} {r['precision']:>7.1%} "
              f"{r['strict_precision']:>7.1%} {r['prices']:>7.1%} {r['median_s']:>6.2f} {r['max_s']:>6.2f} "
              f"{r['cpu_s']:>6.2f}")
    summary = []
    for kind, t in totals.items():
        walls = sorted(w for w, _ in times[kind])
        cpus = sorted(c for _, c in times[kind])
        summary.append({"set": kind, "dishes": t.dishes, "recall": round(t.recall, 4),
                        "precision": round(t.precision, 4), "strict_precision": round(t.strict_precision, 4),
                        "prices": round(t.prices, 4), "median_s": round(walls[len(walls) // 2], 2),
                        "max_s": round(walls[-1], 2), "median_cpu_s": round(cpus[len(cpus) // 2], 2),
                        "max_cpu_s": round(cpus[-1], 2)})
        print(f"{'ALL':<14} {kind:<13} {t.dishes:>6} {t.recall:>7.1%} {t.precision:>7.1%} {t.strict_precision:>7.1%} "
              f"{t.prices:>7.1%} {walls[len(walls) // 2]:>6.2f} {walls[-1]:>6.2f} {cpus[len(cpus) // 2]:>6.2f}"
              f"  (cpu max {cpus[-1]:.2f})")
    return report({"benchmark": "offline_layouts", "cores": os.cpu_count(), "seeds": seeds, "families": rows,
                   "totals": summary}, args.json)


def _upload(page, kind: str, phone: bool) -> bytes:
    shoot = {"photographed": menu_templates.photographed, "angled": menu_templates.at_an_angle}.get(kind)
    photo = shoot(page.image, page.seed) if shoot else page.image
    if phone and kind != "clean":
        return menu_photos.jpeg(photo.resize((4032, 3024) if page.landscape else (3024, 4032)), 92)
    return menu_photos.jpeg(photo, 85)


def _replay(engine, family: str, seed: int, kind: str, cache: Path) -> tuple:
    """(page, items) from the page and OCR reading kept in `cache` (made on first use). The file name
    carries a digest of ocr.py, so a change to how OCR runs reads the pages again."""
    import hashlib
    import pickle

    import cv2
    import numpy as np

    from common.engines.local import ocr
    from common.engines.local.layout import Box

    digest = hashlib.sha256(Path(ocr.__file__).read_bytes()).hexdigest()[:8]
    path = cache / f"{family}-{seed}-{kind}-{digest}.pkl"
    if path.exists():
        page, upload, boxes, weak, sharpness = pickle.loads(path.read_bytes())
    else:
        page = layouts.generate(family, seed)
        upload = _upload(page, kind, False)
        reading = engine.ocr.read(upload)
        boxes, weak, sharpness = [(b.text, b.score, b.points) for b in reading.boxes], reading.weak, reading.sharpness
        page.image = None
        cache.mkdir(parents=True, exist_ok=True)
        path.write_bytes(pickle.dumps((page, upload, boxes, weak, sharpness)))
    image = cv2.imdecode(np.frombuffer(upload, np.uint8), cv2.IMREAD_COLOR)
    reading = ocr.Reading([Box(*b) for b in boxes], weak, sharpness, image)
    try:
        return page, engine.menu_of(reading, "en").items
    except Exception as exc:  # noqa: BLE001 - a benchmark reports failures, it does not stop
        print(f"{family}/{kind}/{seed}: {type(exc).__name__}: {exc}")
        return page, []


def _read(engine, page, kind: str, phone: bool) -> tuple[list, float, float]:
    """The engine's items for one page, with wall and CPU seconds."""
    upload = _upload(page, kind, phone)
    started, cpu0 = time.perf_counter(), time.process_time()
    try:
        if phone and kind != "clean":
            upload = images.normalise(upload, 50_000_000).jpeg
        items = engine.read_menu(upload, "en").items
    except Exception as exc:  # noqa: BLE001 - a benchmark reports failures, it does not stop
        print(f"{page.family}/{kind}/{page.seed}: {type(exc).__name__}: {exc}")
        items = []
    return items, time.perf_counter() - started, time.process_time() - cpu0


if __name__ == "__main__":
    sys.exit(main())
