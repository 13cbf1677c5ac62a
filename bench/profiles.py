"""The offline profiles on rendered sets: recipe ingredient accuracy, bookshelf title recall, speed.

    .venv/bin/python bench/profiles.py [--seeds 2] [--json out.json]

Recipe cards (devstack/profile_photos.RECIPES, English, Japanese, Chinese): an ingredient counts as
right when its quantity, unit and item all equal the card's; steps and servings are counted too.
Bookshelves (SHELVES: Latin titles turned both ways, CJK titles stacked): a title counts when a book
has exactly that title; false books are the extra ones. Each clean, then as `--seeds` phone photos
(menu_photos.photo_like). Seconds per photo on this machine. Reports; never fails.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.harness import report  # noqa: E402
from devstack import menu_photos, profile_photos  # noqa: E402


def _recipe_score(recipe: profile_photos.Recipe, out: dict) -> dict:
    want = [(i.quantity, i.unit, i.item) for i in recipe.ingredients]
    got = [(i["quantity"], i["unit"], i["item"]) for i in out["ingredients"]]
    right = sum(1 for w in want if w in got)
    return {"ingredients": len(want), "right": right, "extra": max(0, len(got) - right),
            "steps_right": sum(1 for s in recipe.steps if s in out["steps"]), "steps": len(recipe.steps),
            "servings_right": out["servings"] == recipe.servings}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, default=2, help="photo-like variants per image")
    ap.add_argument("--json")
    args = ap.parse_args()

    from common.engines.local import LocalEngine
    from common.profiles.builtin import BUILTIN

    engine = LocalEngine()
    engine.warm_up()
    rows, seconds = [], {"recipe": [], "bookshelf": []}
    for variant in ["clean", *(f"photo-{s}" for s in range(args.seeds))]:
        seed = None if variant == "clean" else int(variant.split("-")[1])
        for recipe in profile_photos.RECIPES:
            img = profile_photos.render_recipe(recipe)
            img = img if seed is None else menu_photos.photo_like(img, seed)
            t0 = time.perf_counter()
            try:
                out = engine.extract(menu_photos.jpeg(img), BUILTIN["recipe"], "en")
            except Exception as exc:  # noqa: BLE001 - a refused card scores zero, and says why
                out = {"ingredients": [], "steps": [], "servings": None, "error": str(exc)}
            seconds["recipe"].append(time.perf_counter() - t0)
            rows.append({"profile": "recipe", "key": recipe.key, "variant": variant, **_recipe_score(recipe, out)})
        for shelf in profile_photos.SHELVES:
            img = profile_photos.render_shelf(shelf, seed or 0)
            img = img if seed is None else menu_photos.photo_like(img, seed)
            t0 = time.perf_counter()
            try:
                out = engine.extract(menu_photos.jpeg(img), BUILTIN["bookshelf"], "en")
            except Exception:  # noqa: BLE001
                out = {"books": []}
            seconds["bookshelf"].append(time.perf_counter() - t0)
            got = [b["title"] for b in out["books"]]
            want = [b.title for b in shelf.books]
            rows.append({"profile": "bookshelf", "key": shelf.key, "variant": variant, "titles": len(want),
                         "found": sum(1 for t in want if t in got), "false": sum(1 for t in got if t not in want)})

    def pct(a: int, b: int) -> float:
        return round(100 * a / b, 1) if b else 0.0

    summary = {}
    for variant in ("clean", "photo"):
        rec = [r for r in rows if r["profile"] == "recipe" and r["variant"].startswith(variant)]
        shelf = [r for r in rows if r["profile"] == "bookshelf" and r["variant"].startswith(variant)]
        summary[variant] = {
            "recipe_ingredients_pct": pct(sum(r["right"] for r in rec), sum(r["ingredients"] for r in rec)),
            "recipe_extra_ingredients": sum(r["extra"] for r in rec),
            "recipe_steps_pct": pct(sum(r["steps_right"] for r in rec), sum(r["steps"] for r in rec)),
            "recipe_servings_pct": pct(sum(r["servings_right"] for r in rec), len(rec)),
            "bookshelf_title_recall_pct": pct(sum(r["found"] for r in shelf), sum(r["titles"] for r in shelf)),
            "bookshelf_false_titles": sum(r["false"] for r in shelf),
        }
    print(f"offline profiles on rendered sets; {os.cpu_count()} cores; {args.seeds} photo-like seeds")
    for r in rows:
        if r["profile"] == "recipe":
            print(f"  recipe    {r['key']:<16} {r['variant']:<8} ingredients {r['right']}/{r['ingredients']} "
                  f"(+{r['extra']} extra)  steps {r['steps_right']}/{r['steps']}  servings {r['servings_right']}")
        else:
            print(f"  bookshelf {r['key']:<16} {r['variant']:<8} titles {r['found']}/{r['titles']} "
                  f"(+{r['false']} false)")
    for variant, s in summary.items():
        print(f"{variant}: " + ", ".join(f"{k} {v}" for k, v in s.items()))
    speed = {k: {"median_s": round(statistics.median(v), 2), "max_s": round(max(v), 2)} for k, v in seconds.items()}
    print("seconds per photo: " + ", ".join(f"{k} median {v['median_s']} (max {v['max_s']})" for k, v in speed.items()))
    return report({"benchmark": "profiles", "cores": os.cpu_count(), "seeds": args.seeds, "summary": summary,
                   "seconds": speed, "rows": rows}, args.json)


if __name__ == "__main__":
    sys.exit(main())
