"""worker/index.js under workerd, Cloudflare's Workers runtime (npm package `workerd`), as the stack's origin.

The config gives the Worker what Cloudflare would: its modules (the route table, the origins the stack
writes, the page as text modules, as wrangler.toml's rules bundle them), ORIGIN_SECRET, CORS_ORIGINS,
UPLOAD_ORIGIN, and ASSETS: a wrapped binding (devstack/r2_local.js) reading the stack's S3 server, since
workerd's own R2 binding stores objects itself. The Worker's outbound network is loopback only.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORKER = ROOT / "worker"
JS_MODULES = ("index.js", "cors.js", "page.js", "bodies.js")
SEP = ",\n    "


def binary() -> Path:
    """The workerd executable `npm ci` put in worker/node_modules (per machine architecture)."""
    arch = "linux-arm64" if os.uname().machine in ("aarch64", "arm64") else "linux-64"
    return WORKER / "node_modules" / "@cloudflare" / f"workerd-{arch}" / "bin" / "workerd"


def _compat_date() -> str:
    for line in (WORKER / "wrangler.toml").read_text().splitlines():
        if line.startswith("compatibility_date"):
            return json.loads(line.split("=", 1)[1].strip())
    raise RuntimeError("worker/wrangler.toml has no compatibility_date")


def write_config(workdir: Path, port: int, origins_file: Path, bindings: dict[str, str], s3: dict[str, str]) -> Path:
    """Write workerd's Cap'n Proto config into workdir; embed paths are relative to it."""
    def embed(path: Path) -> str:
        return json.dumps(os.path.relpath(path, workdir))

    modules = [f'(name = "{m}", esModule = embed {embed(WORKER / m)})' for m in JS_MODULES]
    modules.append(f'(name = "routes.json", json = embed {embed(WORKER / "routes.json")})')
    modules.append(f'(name = "origins.json", json = embed {embed(origins_file)})')
    modules += [f'(name = "public/{f.name}", text = embed {embed(f)})'
                for f in sorted((WORKER / "public").iterdir()) if f.is_file()]
    texts = [f"(name = {json.dumps(k)}, text = {json.dumps(v)})" for k, v in bindings.items()]
    inner = ", ".join(f"(name = {json.dumps(k)}, text = {json.dumps(v)})" for k, v in s3.items())
    assets = f'(name = "ASSETS", wrapped = (moduleName = "omakase-local:r2", innerBindings = [{inner}]))'
    config = f"""using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [
    (name = "main", worker = .worker),
    # Loopback only: the functions, and the S3 server behind ASSETS.
    (name = "loopback", network = (allow = ["local"])),
  ],
  sockets = [(name = "http", address = "127.0.0.1:{port}", http = (), service = "main")],
  extensions = [(modules = [
    (name = "omakase-local:r2", esModule = embed {embed(ROOT / "devstack" / "r2_local.js")}, internal = true),
  ])],
);

const worker :Workerd.Worker = (
  modules = [
    {(","+chr(10)+"    ").join(modules)},
  ],
  compatibilityDate = "{_compat_date()}",
  bindings = [
    {SEP.join(texts + [assets])},
  ],
  globalOutbound = "loopback",
);
"""
    path = workdir / "workerd.capnp"
    path.write_text(config)
    return path


def command(config: Path) -> list[str]:
    return [str(binary()), "serve", str(config), "--verbose"]
