"""Offline engine accuracy and speed on rendered menus, clean and photo-like.

    .venv/bin/python bench/offline_engine.py [--seeds 2] [--json out.json]

Prints per set: item-name recall, price accuracy, translation hit rate (recognised as the right
dish), seconds per 1500x2000 photo; then the same as JSON. Reports; never fails.
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
from devstack import menu_photos  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, default=2, help="photo-like variants per menu")
    ap.add_argument("--json", help="also write the figures to this file")
    ap.add_argument("--language", default="en")
    ap.add_argument("--verbose", action="store_true", help="print misses")
    args = ap.parse_args()

    from common.engines.local import LocalEngine

    t0 = time.perf_counter()
    engine = LocalEngine()
    load_s = time.perf_counter() - t0
    engine.read_menu(menu_photos.sample_photo(), args.language)  # first-call warm-up, reported separately
    warm_s = time.perf_counter() - t0 - load_s

    sets = {"clean": menu_photos.Score(), "photo-like": menu_photos.Score()}
    seconds = {"clean": [], "photo-like": []}
    per_menu = []
    for m in menu_photos.MENUS:
        clean = menu_photos.render(m)
        variants = [("clean", menu_photos.jpeg(clean))]
        variants += [("photo-like", menu_photos.jpeg(menu_photos.photo_like(clean, seed), 85))
                     for seed in range(args.seeds)]
        for name, data in variants:
            t = time.perf_counter()
            try:
                items = engine.read_menu(data, args.language).items
            except Exception as exc:  # noqa: BLE001 - a benchmark reports failures, it does not stop
                print(f"{m.key} {name}: {type(exc).__name__}: {exc}")
                items = []
            seconds[name].append(time.perf_counter() - t)
            s = menu_photos.score(m, items)
            sets[name] = sets[name].add(s)
            per_menu.append({"menu": m.key, "set": name, "names": round(s.rate("names"), 3),
                             "prices": round(s.rate("prices"), 3), "translated": round(s.rate("translated"), 3)})
            if args.verbose and (s.names < s.total or s.prices < s.priced or s.translated < s.known):
                from common.engines.local.dishes import key
                got = {key(i.original_name): i for i in items}
                for d in m.items:
                    g = got.get(key(d.name))
                    if not g or (d.price and g.price_value != d.amount) or (d.dish_id and g.dish_id != d.dish_id):
                        print(f"  miss {m.key}/{name}: {d.name!r} {d.price!r} -> "
                              f"{(g.original_name, g.price, g.price_value, g.dish_id) if g else None}")
                print("   read:", [(i.original_name, i.price) for i in items])

    rows = []
    for name, s in sets.items():
        secs = sorted(seconds[name])
        if not secs:
            continue  # --seeds 0: no photo-like set
        rows.append({"set": name, "photos": len(secs), "items": s.total,
                     "name_recall": round(s.rate("names"), 4), "price_accuracy": round(s.rate("prices"), 4),
                     "translation_hit_rate": round(s.rate("translated"), 4),
                     "s_per_photo_mean": round(sum(secs) / len(secs), 2), "s_per_photo_max": round(secs[-1], 2)})
    print(f"\noffline engine on {platform.machine()} with {os.cpu_count()} cores; "
          f"engine load {load_s:.2f} s, first call {warm_s:.2f} s; reader language {args.language}")
    print(f"{'set':<11} {'photos':>6} {'items':>5} {'names':>7} {'prices':>7} {'transl.':>7} {'s/photo':>8} {'max s':>6}")
    for r in rows:
        print(f"{r['set']:<11} {r['photos']:>6} {r['items']:>5} {r['name_recall']:>7.1%} {r['price_accuracy']:>7.1%} "
              f"{r['translation_hit_rate']:>7.1%} {r['s_per_photo_mean']:>8.2f} {r['s_per_photo_max']:>6.2f}")
    out = {"benchmark": "offline_engine", "cores": os.cpu_count(), "load_s": round(load_s, 2),
           "first_call_s": round(warm_s, 2), "sets": rows, "per_menu": per_menu}
    return report(out, args.json)


if __name__ == "__main__":
    sys.exit(main())
