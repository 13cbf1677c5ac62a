"""Menus as people photograph them: a 3-page scan against a 1-page one, the first dish with and without a
near-duplicate hint, and a workload where half the top dishes were drawn before.

    nice -n 10 .venv/bin/python bench/pages.py [--jobs 3] [--tokens-per-s 300] [--first-token-s 1.0] [--json out.json]

Starts the local stack with the fake Gemini streaming each page's menu (20 dishes, ~2,200 output tokens)
at --tokens-per-s after --first-token-s; seconds are from the moment create_job answered, on the
client's clock, as the app sees the events. Then:
- pages: 1-page and 3-page v2 scans alternate (--jobs of each; every photo new, hints and reused
  pictures off, so only the pages count): first dish on screen, whole menu, done;
- hint: a page read once, then re-shots of it (devstack/reshoot.py) with hints off and on: first dish
  on screen (the hint, when there is one) and whole menu;
- pictures: 6 jobs one after another whose top three share 9 of 18 dishes with earlier jobs, image
  calls taking --image-s each, with reuse off and on: image-model calls, time to done, and how long
  after the menu each picture was ready (drawn or reused).
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx  # noqa: E402

from bench.harness import fake_model_stack, pct, report  # noqa: E402
from devstack import fake_menu, menu_photos, menu_templates  # noqa: E402
from devstack.reshoot import reshoot  # noqa: E402
from devstack.stack import stop_on_signals  # noqa: E402

DISHES = 20
OFF = {"LOOKALIKE_HINTS": "false", "REUSE_PICTURES": "false"}


class Client:
    def __init__(self, stack):
        self.stack = stack
        self.http = httpx.Client(base_url=stack.gateway_url, timeout=60)
        self.n = 0

    def control(self, what: str, body: dict) -> None:
        httpx.post(f"{self.stack.gemini_url}/_control/{what}", json=body).raise_for_status()

    def upload(self, photo: bytes) -> str:
        signed = self.http.post("/api/v2/uploads/signed-url", json={"content_type": "image/jpeg"}).json()
        httpx.put(signed["upload_url"], content=photo, headers=signed["headers"]).raise_for_status()
        return signed["gcs_uri"]

    def scan(self, photos: list[bytes]) -> dict:
        """One v2 scan as a new client makes it, its events read to done; seconds from create's answer."""
        uris = [self.upload(p) for p in photos]
        where = {"gcs_uri": uris[0]} if len(uris) == 1 else {"gcs_uris": uris}
        body = self.http.post("/api/v2/scan/jobs", json={**where, "user_preferences": {"language": "en"}}).json()
        t0, event = time.monotonic(), None
        out = {"first_item_s": None, "menu_s": None, "done_s": None, "hint": False, "pictures": []}
        with self.http.stream("GET", f"/api/v2/scan/jobs/{body['job_id']}/events",
                              headers={"Authorization": f"Bearer {body['access_token']}"}, timeout=300) as r:
            for line in r.iter_lines():
                if line.startswith("event: "):
                    event = line[7:]
                elif line.startswith("data: ") and event == "image_update":
                    data = json.loads(line[6:])
                    if data["image_status"] == "ready":  # (seconds after the whole menu, reused)
                        out["pictures"].append((time.monotonic() - t0 - out["menu_s"], bool(data.get("reused"))))
                elif line.startswith("data: ") and event in ("menu_data", "done"):
                    now, data = time.monotonic() - t0, json.loads(line[6:])
                    if event == "menu_data":
                        if data.get("items") and out["first_item_s"] is None:
                            out["first_item_s"], out["hint"] = now, bool(data.get("is_hint"))
                        if not data.get("is_partial"):
                            out["menu_s"] = now
                    else:
                        out["done_s"], out["status"] = now, data["status"]
                        break
        return out

    def image_calls(self) -> int:
        return httpx.get(f"{self.stack.gemini_url}/_control/calls").json()["calls"].get("image", 0)


def page_photo(n: int, size: tuple[int, int]) -> bytes:
    """A distinct rendered menu page (so no hint and no cache) at a size the fake keys its menu on."""
    t = menu_templates.TEMPLATES[n % len(menu_templates.TEMPLATES)]
    img, _ = menu_templates.render(t, 100 + n)
    return menu_photos.jpeg(img.resize(size), 85)


def pages_run(c: Client, jobs: int) -> dict:
    c.stack.restart("run-scan-task", env=OFF)
    sizes = [(1500, 2000 + k) for k in range(3)]
    c.control("pages", {"pages": {f"{w}x{h}": {"items": DISHES, "first": 100 * k} for k, (w, h) in enumerate(sizes)}})
    rows: dict[str, list[dict]] = {"1 page": [], "3 pages": []}
    c.scan([page_photo(c.n, sizes[0])])  # warm-up
    for _ in range(jobs):
        for name, count in (("1 page", 1), ("3 pages", 3)):
            c.n += 3
            rows[name].append(c.scan([page_photo(c.n + k, sizes[k]) for k in range(count)]))
    return {name: summarise(r) for name, r in rows.items()}


def hint_run(c: Client, jobs: int) -> dict:
    page = menu_templates.render(menu_templates.TEMPLATES[3], 77)[0]
    c.control("menu", {"items": DISHES})
    rows = {}
    for mode, env in (("without hint", {"LOOKALIKE_HINTS": "false"}), ("with hint", {})):
        c.stack.restart("run-scan-task", env={**env, "REUSE_PICTURES": "false"})
        if mode == "with hint":
            c.scan([reshoot(page, 1)])  # the page read once: its record is what later re-shots find
            time.sleep(1.0)
        rows[mode] = [c.scan([reshoot(page, 10 + k + (0 if mode == "with hint" else 50))]) for k in range(jobs)]
    return {mode: {**summarise(r), "hinted": sum(x["hint"] for x in r)} for mode, r in rows.items()}


def pictures_run(c: Client, image_s: float) -> dict:
    """6 jobs, 3 top dishes each; jobs 2-6 repeat 1, 2, 2, 2 and 2 dishes of earlier jobs: 9 of 18."""
    tops = [["a", "b", "c"], ["a", "d", "e"], ["b", "d", "f"], ["c", "e", "g"], ["f", "g", "h"], ["h", "a", "i"]]
    out = {}
    for mode, env in (("reuse off", {"REUSE_PICTURES": "false"}), ("reuse on", {})):
        c.stack.restart("run-scan-task", env={**env, "LOOKALIKE_HINTS": "false"})
        c.control("script", {"kind": "image", "responses": [{"delay_s": image_s}] * 40})
        before, rows = c.image_calls(), []
        for k, top in enumerate(tops):
            dishes = [dict(d, is_top3=False) for d in fake_menu.synthetic_menu(6, 500 + 10 * k)]
            dishes[:3] = [{**dishes[i], "original_name": f"dish-{mode.replace(' ', '-')}-{name}", "is_top3": True}
                          for i, name in enumerate(top)]
            c.control("menu", {"dishes": dishes})
            c.n += 1
            rows.append(c.scan([page_photo(c.n, (1500, 2100))]))
        drawn = [t for r in rows for t, reused in r["pictures"] if not reused]
        reused = [t for r in rows for t, was in r["pictures"] if was]
        out[mode] = {"image_calls": c.image_calls() - before, "done_s_p50": round(pct([r["done_s"] for r in rows], 50), 2),
                     "done_s_total": round(sum(r["done_s"] for r in rows), 2),
                     "drawn_picture_after_menu_s_p50": round(pct(drawn, 50), 2) if drawn else None,
                     "reused_picture_after_menu_s_p50": round(pct(reused, 50), 2) if reused else None}
    return out


def summarise(rows: list[dict]) -> dict:
    return {k: round(pct([r[k] for r in rows if r[k] is not None], 50), 2) for k in ("first_item_s", "menu_s", "done_s")}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--jobs", type=int, default=3)
    ap.add_argument("--tokens-per-s", type=float, default=300.0)
    ap.add_argument("--first-token-s", type=float, default=1.0)
    ap.add_argument("--image-s", type=float, default=2.0)
    ap.add_argument("--json")
    args = ap.parse_args()
    stop_on_signals()
    stack = fake_model_stack(8600)
    with stack:
        c = Client(stack)
        c.control("stream", {"tokens_per_s": args.tokens_per_s, "first_token_s": args.first_token_s, "chunk_tokens": 20})
        pages = pages_run(c, args.jobs)
        hint = hint_run(c, args.jobs)
        pictures = pictures_run(c, args.image_s)
    one, three = pages["1 page"], pages["3 pages"]
    res = {"benchmark": "pages", "cores": os.cpu_count(), "jobs_per_mode": args.jobs,
           "model": {"dishes_per_page": DISHES, "tokens_per_s": args.tokens_per_s, "first_token_s": args.first_token_s,
                     "image_s": args.image_s},
           "pages": pages, "first_dish_3_over_1": round(three["first_item_s"] / one["first_item_s"], 2),
           "menu_3_over_1": round(three["menu_s"] / one["menu_s"], 2), "hint": hint, "pictures": pictures}
    print(f"\nlocal stack, {os.cpu_count()} cores; fake Gemini: {DISHES} dishes a page at {args.tokens_per_s:.0f} "
          f"tokens/s after {args.first_token_s} s; p50 of {args.jobs} jobs, seconds from create's answer")
    print(f"{'':<14} {'first dish':>10} {'menu':>8} {'done':>8}")
    for name, row in (*pages.items(), *hint.items()):
        print(f"{name:<14} {row['first_item_s']:>10} {row['menu_s']:>8} {row['done_s']:>8}"
              + (f"   hinted {row['hinted']} of {args.jobs}" if "hinted" in row else ""))
    print(f"3 pages over 1: first dish {res['first_dish_3_over_1']}x, whole menu {res['menu_3_over_1']}x")
    for mode, row in pictures.items():
        print(f"pictures, {mode}: {row['image_calls']} image calls for 18 top dishes; done p50 {row['done_s_p50']} s, "
              f"all 6 jobs {row['done_s_total']} s; a picture after the menu: drawn "
              f"{row['drawn_picture_after_menu_s_p50']} s, reused {row['reused_picture_after_menu_s_p50']} s (p50)")
    return report(res, args.json)


if __name__ == "__main__":
    sys.exit(main())
