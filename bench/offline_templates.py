"""Offline engine on menus laid out as real ones are (devstack/menu_templates.py), clean and photographed.

    nice -n 10 .venv/bin/python bench/offline_templates.py [--draws 2] [--only KEY ...] [--phone] [--holdout]
                                                            [--json out.json]

Prints per template: names read (the printed name, after NFKC), prices right (amount), seconds per
1500x2000 photo, clean and photographed; then the totals. Reports; never fails.
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
from common.scan import photos as images  # noqa: E402
from devstack import menu_photos, menu_templates  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--draws", type=int, default=2, help="seeded draws of dishes per template")
    ap.add_argument("--only", nargs="*", help="template keys to run")
    ap.add_argument("--json", help="also write the figures to this file")
    ap.add_argument("--verbose", action="store_true", help="print misses")
    ap.add_argument("--phone", action="store_true",
                    help="photographed pages as a phone sends them (3024x4032 JPEG, q92), timed from the upload's "
                         "bytes: normalising (common/scan/photos.py) and reading")
    ap.add_argument("--holdout", action="store_true",
                    help="the held-out layouts (menu_templates.HOLDOUT), never tuned on, instead of TEMPLATES")
    args = ap.parse_args()

    from common.engines.local import LocalEngine

    engine = LocalEngine()
    engine.warm_up()
    rows, totals = [], {"clean": [menu_photos.Score(), []], "photographed": [menu_photos.Score(), []]}
    for t in (menu_templates.HOLDOUT if args.holdout else menu_templates.TEMPLATES):
        if args.only and t.key not in args.only:
            continue
        missing = menu_templates.font_missing(t)
        if missing:
            print(missing)
            continue
        for kind in ("clean", "photographed"):
            score, secs, cpu = menu_photos.Score(), [], []
            for draw in range(args.draws):
                img, dishes = menu_templates.render(t, draw)
                photo = menu_templates.photographed(img, draw) if kind == "photographed" else img
                page = menu_photos.Menu(t.key, t.language, "", [("", dishes)])
                upload = (menu_photos.jpeg(photo.resize((3024, 4032)), 92) if args.phone and kind == "photographed"
                          else menu_photos.jpeg(photo, 85))
                started, cpu0 = time.perf_counter(), time.process_time()
                try:
                    if args.phone and kind == "photographed":
                        upload = images.normalise(upload, 50_000_000).jpeg
                    items = engine.read_menu(upload, "en").items
                except Exception as exc:  # noqa: BLE001 - a benchmark reports failures, it does not stop
                    print(f"{t.key} {kind} draw {draw}: {type(exc).__name__}: {exc}")
                    items = []
                secs.append(time.perf_counter() - started)
                cpu.append(time.process_time() - cpu0)
                s = menu_photos.score(page, items)
                score = score.add(s)
                if args.verbose and (s.names < s.total or s.prices < s.priced):
                    _misses(t.key, kind, page, items)
            totals[kind][0] = totals[kind][0].add(score)
            totals[kind][1] += secs
            rows.append({"template": t.key, "set": kind, "items": score.total,
                         "names": round(score.rate("names"), 4), "prices": round(score.rate("prices"), 4),
                         "s_per_photo": round(sum(secs) / len(secs), 2), "max_s": round(max(secs), 2),
                         "cpu_s_per_photo": round(sum(cpu) / len(cpu), 2)})
    print(f"\noffline engine on {platform.machine()} with {os.cpu_count()} cores; {args.draws} draws per template")
    # Wall seconds depend on what else the machine runs; CPU seconds (all threads) do not: on an idle
    # machine with 2 cores the wall time is about half of them, onnxruntime using both.
    print(f"{'template':<18} {'set':<13} {'items':>5} {'names':>7} {'prices':>7} {'s/photo':>8} {'max s':>6} {'cpu s':>6}")
    for r in rows:
        print(f"{r['template']:<18} {r['set']:<13} {r['items']:>5} {r['names']:>7.1%} {r['prices']:>7.1%} "
              f"{r['s_per_photo']:>8.2f} {r['max_s']:>6.2f} {r['cpu_s_per_photo']:>6.2f}")
    summary = []
    for kind, (score, secs) in totals.items():
        if secs:
            summary.append({"set": kind, "items": score.total, "names": round(score.rate("names"), 4),
                            "prices": round(score.rate("prices"), 4),
                            "s_per_photo": round(sum(secs) / len(secs), 2),
                            "median_s": round(sorted(secs)[len(secs) // 2], 2)})
            print(f"{'ALL':<18} {kind:<13} {score.total:>5} {score.rate('names'):>7.1%} {score.rate('prices'):>7.1%} "
                  f"{summary[-1]['s_per_photo']:>8.2f} {max(secs):>6.2f}")
    return report({"benchmark": "offline_templates", "cores": os.cpu_count(), "draws": args.draws,
                   "templates": rows, "totals": summary}, args.json)


def _misses(key: str, kind: str, page, items) -> None:
    from common.engines.local.dishes import key as name_key

    got = {name_key(i.original_name): i for i in items}
    for d in page.items:
        g = got.get(name_key(d.name))
        if not g or (d.price and g.price_value != d.amount):
            print(f"  miss {key}/{kind}: {d.name!r} {d.price!r} -> {(g.original_name, g.price) if g else None}")
    print("   read:", [(i.original_name, i.price) for i in items])


if __name__ == "__main__":
    sys.exit(main())
