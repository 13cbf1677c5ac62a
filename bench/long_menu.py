"""Long menus on the production path: whether every dish comes back inside the job's deadline, how
soon the first one shows, and what the scan costs in tokens (and dollars at list prices).

    .venv/bin/python bench/long_menu.py [--items 150] [--tokens-per-s 150] [--first-token-s 1.5]
                                        [--thinking LOW=600] [--jobs 1] [--deadline-s 170] [--env K=V]
                                        [--json out.json]

Starts the local stack (the deployed defaults: 170 s deadline, output cap, models) with the fake
Gemini writing a synthetic menu of --items dishes at --tokens-per-s after --first-token-s, thinking
first at its level's cost in tokens (--thinking LEVEL=TOKENS, repeatable; the fake's defaults
otherwise) and counting it against the output cap, as the API does. Jobs run one after another as
the app makes them; the client records, from the moment create returns, the first dish on screen,
the whole menu and done. Prints items_expected, items_returned, done_s (the slowest job's; per_job
has each), past_deadline, the first
dish after the model's first token, the menu calls it took, and the job's tokens and cost from
done.summary (menu and pictures apart; absent on code that does not report them).
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx  # noqa: E402

from bench.harness import fake_model_stack, report, start_job, unique_photo, watch  # noqa: E402
from devstack import menu_photos  # noqa: E402
from devstack.stack import stop_on_signals  # noqa: E402


def one_job(http: httpx.Client, stack, photo: bytes, args) -> dict:
    gemini = stack.gemini_url
    httpx.post(f"{gemini}/_control/reset")
    httpx.post(f"{gemini}/_control/menu", json={"items": args.items})
    thinking = dict(t.split("=") for t in args.thinking)
    httpx.post(f"{gemini}/_control/stream", json={
        "tokens_per_s": args.tokens_per_s, "first_token_s": args.first_token_s, "chunk_tokens": 20,
        "thinking": {k: int(v) for k, v in thinking.items()}})
    job = start_job(http, photo)
    t0 = time.monotonic()
    res = watch(http, job, t0, args.deadline_s + 120)
    res["incomplete"] = res["summary"].get("incomplete")
    calls = [r for r in httpx.get(f"{gemini}/_control/calls").json()["requests"] if r["kind"] == "menu"]
    first_token = next((r["first_token_t"] for r in calls if r.get("first_token_t")), None)
    res["first_token_s"] = (first_token - t0) if first_token else None
    res["menu_calls"] = len(calls)
    res["thinking_tokens_per_call"] = [r.get("thoughts") for r in calls]
    res["past_deadline"] = res["done_s"] is None or res["done_s"] > args.deadline_s
    return res


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--items", type=int, default=150)
    ap.add_argument("--tokens-per-s", type=float, default=150.0)
    ap.add_argument("--first-token-s", type=float, default=1.5)
    ap.add_argument("--thinking", action="append", default=[], help="LEVEL=TOKENS, e.g. LOW=600")
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--deadline-s", type=float, default=170.0, help="JOB_DEADLINE_S (the deployed default)")
    ap.add_argument("--env", action="append", default=[], help="KEY=VALUE for the functions, e.g. MENU_TILES=2")
    ap.add_argument("--json")
    args = ap.parse_args()
    stop_on_signals()

    stack = fake_model_stack(8500)
    stack.extra_env.update({"JOB_DEADLINE_S": str(args.deadline_s), **dict(e.split("=", 1) for e in args.env)})
    with stack:
        http = httpx.Client(base_url=stack.gateway_url, timeout=30)
        page = menu_photos.render(menu_photos.menu("en-diner"))
        rows = [one_job(http, stack, unique_photo(page, n), args) for n in range(args.jobs)]

    worst = max(rows, key=lambda r: r["done_s"] or float("inf"))
    gaps = [r["first_item_s"] - r["first_token_s"] for r in rows if r["first_item_s"] and r["first_token_s"]]
    summary = worst["summary"]
    res = {"benchmark": "long_menu", "cores": os.cpu_count(), "jobs": args.jobs,
           "model": {"items": args.items, "tokens_per_s": args.tokens_per_s, "first_token_s": args.first_token_s,
                     "thinking": args.thinking or "fake defaults"},
           "deadline_s": args.deadline_s, "env": args.env, "items_expected": args.items,
           "items_returned": min(r["items_returned"] for r in rows),
           "done_s": round(worst["done_s"], 1) if worst["done_s"] else None,
           "menu_s": round(worst["menu_s"], 1) if worst["menu_s"] else None,
           "per_job": {k: [round(r[k], 2) if r[k] is not None else None for r in rows]
                       for k in ("first_item_s", "menu_s", "done_s", "first_token_s")},
           "past_deadline": sum(r["past_deadline"] for r in rows), "status": [r["status"] for r in rows],
           "incomplete": [r["incomplete"] for r in rows],
           "first_item_after_first_token_s": round(max(gaps), 2) if gaps else None,
           "menu_calls": [r["menu_calls"] for r in rows],
           "thinking_tokens_per_call": worst["thinking_tokens_per_call"],
           "tokens": summary.get("tokens"), "cost_usd": summary.get("cost_usd")}
    print(f"\nlocal stack, {os.cpu_count()} cores; fake Gemini: {args.items} dishes at {args.tokens_per_s:.0f} "
          f"tokens/s after {args.first_token_s} s, thinking {args.thinking or 'at the fake defaults'}; "
          f"deadline {args.deadline_s:.0f} s")
    print(f"items returned {res['items_returned']} of {args.items}; whole menu at {res['menu_s']} s, done at "
          f"{res['done_s']} s ({res['status']}); past the deadline: {res['past_deadline']} of {args.jobs}")
    print(f"per job: {res['per_job']}")
    print(f"first dish {res['first_item_after_first_token_s']} s after the model's first token; menu calls "
          f"{res['menu_calls']}; tokens {res['tokens']}; cost {res['cost_usd']}")
    return report(res, args.json)


if __name__ == "__main__":
    sys.exit(main())
