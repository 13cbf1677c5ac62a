"""Peak memory of one run_scan process decoding 8 large PNGs at once, with and without the decode budget.

    .venv/bin/python bench/decode_memory.py [--photos 8] [--megapixels 40] [--json out.json]

Each mode runs in a fresh process (peak RSS is per process): the photos are decoded concurrently by
images.normalise, as eight concurrent task deliveries would (deploy.sh: concurrency 8, 1 GiB).
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.harness import report  # noqa: E402

DEPLOYED_MIB = 1024  # run-scan-task's --memory in deploy.sh

CHILD = r"""
import io, json, resource, sys, threading, time
from PIL import Image, ImageDraw
sys.path.insert(0, sys.argv[1])
from common.scan import photos as images
n, mp, budget = int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])
w = int((mp * 1e6 * 4 / 3) ** 0.5); h = int(mp * 1e6 / w)
img = Image.new("RGBA", (w, h), (250, 245, 230, 255))
d = ImageDraw.Draw(img)
for y in range(0, h, 97):
    d.line([(0, y), (w, h - y)], fill=(30, 30, 30, 255), width=3)
buf = io.BytesIO(); img.save(buf, "PNG", compress_level=1); data = buf.getvalue(); del img, d
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
t0 = time.perf_counter()
threads = [threading.Thread(target=images.normalise, args=(data, 10**9, budget)) for _ in range(n)]
[t.start() for t in threads]; [t.join() for t in threads]
print(json.dumps({"peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "before_mib": base,
                  "seconds": time.perf_counter() - t0, "size": [w, h], "png_mib": len(data) / 2**20}))
"""


def run(photos: int, mp: float, budget: int) -> dict:
    out = subprocess.run([sys.executable, "-c", CHILD, str(ROOT), str(photos), str(mp), str(budget)],
                         capture_output=True, text=True, timeout=900)
    if out.returncode != 0:
        raise RuntimeError(out.stderr[-2000:])
    return json.loads(out.stdout)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--photos", type=int, default=8)
    ap.add_argument("--megapixels", type=float, default=40)
    ap.add_argument("--json")
    args = ap.parse_args()
    from common.core.settings import Settings

    budget = Settings.from_env({}).decode_budget_pixels
    result = {"date": time.strftime("%Y-%m-%d"), "photos": args.photos, "megapixels": args.megapixels,
              "deployed_mib": DEPLOYED_MIB, "budget_pixels": budget}
    for mode, pixels in (("unbounded", 0), ("budget", budget)):
        r = run(args.photos, args.megapixels, pixels)
        result[mode] = r
        print(f"{mode:>9}: peak {r['peak_mib']:7.1f} MiB ({r['peak_mib'] / DEPLOYED_MIB:4.2f} of {DEPLOYED_MIB} MiB), "
              f"{r['seconds']:.1f} s for {args.photos} x {r['size'][0]}x{r['size'][1]} PNG", flush=True)
    result["peak_ratio"] = round(result["budget"]["peak_mib"] / result["unbounded"]["peak_mib"], 3)
    return report(result, args.json)


if __name__ == "__main__":
    sys.exit(main())
