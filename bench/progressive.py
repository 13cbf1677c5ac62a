"""Progressive results: how soon the first dishes reach the phone, streamed against unstreamed, and
whether any job passes its deadline when the model stalls.

    .venv/bin/python bench/progressive.py [--jobs 3] [--tokens-per-s 150] [--first-token-s 1.5] [--json out.json]

Starts the local stack with the fake Gemini pacing a 40-dish menu (about 4,400 output tokens, 17 kB
of JSON) at --tokens-per-s after --first-token-s, and a metering proxy in front of Firestore. For
each mode (streaming on, then off as the baseline; run_scan restarted between them), jobs run one
after another as the app makes them (signed upload, create, events), and the client records, from
the moment create returns: the first dish on screen (any menu_data with items), the whole menu, and
done; plus the model's first token (the fake's clock, the same host's monotonic clock) and the
Firestore writes of the job. Then the stall run: run_scan with a 20 s deadline, and one job each
whose model stalls before its first token, mid-stream, in the images, or answers 429 asking for 10
minutes (the menu then streams at 1,000 tokens/s, so the deadline, not the menu, is what is tested).
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx  # noqa: E402

from bench.harness import fake_model_stack, metered, pct, report, start_job, unique_photo, watch  # noqa: E402
from devstack import menu_photos  # noqa: E402
from devstack.stack import stop_on_signals  # noqa: E402

MENU_ITEMS = 40
STALL_DEADLINE_S = 20
STALL_TOKENS_PER_S = 1000  # the stall cases need a menu that streams well inside their short deadline


def one_job(http: httpx.Client, stack, photo: bytes, meter) -> dict:
    httpx.post(f"{stack.gemini_url}/_control/reset")
    configure(stack)
    before = meter.totals()
    job = start_job(http, photo)
    t0 = time.monotonic()
    res = watch(http, job, t0)
    time.sleep(1.0)  # the cache write lands after done
    res["writes"] = meter.totals()["write_total"] - before["write_total"]
    menu_calls = [r for r in httpx.get(f"{stack.gemini_url}/_control/calls").json()["requests"] if r["kind"] == "menu"]
    first_token = menu_calls[-1].get("first_token_t") if menu_calls else None
    res["first_token_s"] = (first_token - t0) if first_token else None
    return res


ARGS: argparse.Namespace


def configure(stack, tokens_per_s: float | None = None) -> None:
    httpx.post(f"{stack.gemini_url}/_control/menu", json={"items": MENU_ITEMS})
    httpx.post(f"{stack.gemini_url}/_control/stream", json={"tokens_per_s": tokens_per_s or ARGS.tokens_per_s,
                                                            "first_token_s": ARGS.first_token_s, "chunk_tokens": 20})


def summarise(rows: list[dict]) -> dict:
    def p50(key):
        vals = [r[key] for r in rows if r[key] is not None]
        return round(pct(vals, 50), 2) if vals else None

    return {k: p50(k) for k in ("first_item_s", "menu_s", "done_s", "first_token_s", "writes", "partials")}


def stall_run(http: httpx.Client, stack, photos) -> list[dict]:
    """One job per way a model can stall, under a short deadline: when each one ended, and how."""
    scripts = {
        "stalls before its first token": [("menu", [{"delay_s": 600}] * 2)],
        "stalls mid-stream": [("menu", [{"stall_s": 600, "stall_at": 0.5}, {"delay_s": 600}])],
        "images stall": [("image", [{"delay_s": 600}] * 3)],
        "429 asking for 10 minutes": [("menu", [{"status": 429, "retry_delay": 600}])],
    }
    results = []
    for name, entries in scripts.items():
        httpx.post(f"{stack.gemini_url}/_control/reset")
        configure(stack, tokens_per_s=STALL_TOKENS_PER_S)
        for kind, responses in entries:
            httpx.post(f"{stack.gemini_url}/_control/script", json={"kind": kind, "responses": responses})
        job = start_job(http, next(photos))
        res = watch(http, job, time.monotonic())
        results.append({"case": name, **res})
    return results


def main() -> int:
    global ARGS
    ap = argparse.ArgumentParser()
    ap.add_argument("--jobs", type=int, default=3)
    ap.add_argument("--tokens-per-s", type=float, default=150.0)
    ap.add_argument("--first-token-s", type=float, default=1.5)
    ap.add_argument("--json")
    ARGS = args = ap.parse_args()
    stop_on_signals()

    stack = fake_model_stack(8400)
    modes: dict[str, list[dict]] = {}
    with metered(stack) as meter:
        with stack:
            http = httpx.Client(base_url=stack.gateway_url, timeout=30)
            page = menu_photos.render(menu_photos.menu("en-diner"))
            photos = (unique_photo(page, n) for n in range(10_000))
            for mode, env in (("streaming", {}), ("unstreamed", {"GEMINI_STREAM": "false"})):
                stack.restart("run-scan-task", env=env)
                one_job(http, stack, next(photos), meter)  # warm-up, not counted
                modes[mode] = [one_job(http, stack, next(photos), meter) for _ in range(args.jobs)]
            stack.restart("run-scan-task", env={"JOB_DEADLINE_S": str(STALL_DEADLINE_S), "IMAGE_MIN_REMAINING_S": "5",
                                                "GEMINI_TIMEOUT_MS": "600000", "MODEL_RETRY_BUDGET_S": "600"})
            stalls = stall_run(http, stack, photos)

    on, off = summarise(modes["streaming"]), summarise(modes["unstreamed"])
    gap = [r["first_item_s"] - r["first_token_s"] for r in modes["streaming"]
           if r["first_item_s"] is not None and r["first_token_s"] is not None]
    res = {
        "benchmark": "progressive", "cores": os.cpu_count(), "jobs_per_mode": args.jobs,
        "model": {"menu_items": MENU_ITEMS, "tokens_per_s": args.tokens_per_s, "first_token_s": args.first_token_s,
                  "output_tokens_approx": 4400},
        "streaming": on, "unstreamed": off,
        "first_item_after_first_token_s": {"p50": round(pct(gap, 50), 2) if gap else None,
                                          "max": round(max(gap), 2) if gap else None},
        "full_menu_over_first_item": round(on["menu_s"] / on["first_item_s"], 1) if on["first_item_s"] else None,
        "extra_writes_per_job": (on["writes"] - off["writes"]) if on["writes"] is not None else None,
        "stalls": {"deadline_s": STALL_DEADLINE_S, "jobs": stalls,
                   "past_deadline": sum(1 for r in stalls if r["done_s"] is None or r["done_s"] > STALL_DEADLINE_S)},
    }
    print(f"\nlocal stack, {os.cpu_count()} cores; fake Gemini: {MENU_ITEMS} dishes (~4,400 output tokens) at "
          f"{args.tokens_per_s:.0f} tokens/s after {args.first_token_s} s; p50 of {args.jobs} jobs per mode, "
          "seconds from job creation")
    print(f"{'':<12} {'first dish':>10} {'menu':>8} {'done':>8} {'1st token':>10} {'writes':>7} {'partials':>9}")
    for name, row in (("streaming", on), ("unstreamed", off)):
        print(f"{name:<12} {row['first_item_s']:>10} {row['menu_s']:>8} {row['done_s']:>8} "
              f"{row['first_token_s'] if row['first_token_s'] is not None else '-':>10} {row['writes']:>7} "
              f"{row['partials']:>9}")
    print(f"first dish after the model's first token: p50 {res['first_item_after_first_token_s']['p50']} s, "
          f"max {res['first_item_after_first_token_s']['max']} s; whole menu / first dish = "
          f"{res['full_menu_over_first_item']}x; extra writes per job {res['extra_writes_per_job']}")
    for r in stalls:
        print(f"stall ({STALL_DEADLINE_S} s deadline): {r['case']:<30} done at {r['done_s'] and round(r['done_s'], 1)} s "
              f"({r['status']})")
    print(f"jobs past their deadline: {res['stalls']['past_deadline']} of {len(stalls)}")
    return report(res, args.json)


if __name__ == "__main__":
    sys.exit(main())
