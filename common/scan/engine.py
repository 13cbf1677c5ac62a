"""The instance's engine: built once, warmed off the request path, shared by every run."""
from __future__ import annotations

import functools
import os
import threading
import time

from common.core import logs
from common.core.settings import get_settings
from common.engines import Engine, get_engine

log = logs.get_logger(__name__)
_lock = threading.Lock()


@functools.lru_cache(maxsize=1)
def _engine() -> Engine:
    return get_engine(get_settings().models)


def engine() -> Engine:
    """The instance's engine, built once; a job that arrives while preload() builds it waits for it."""
    with _lock:
        return _engine()


def preload_in_worker() -> None:
    """Preload in each server worker once it is forked; never in the parent.

    functions-framework imports main.py in gunicorn's master and forks the worker from it: a thread
    started at import would run in the master only, and a model or lock built there is unusable (or
    held forever) in the forked worker. Servers that do not fork build the engine on the first job.
    """
    os.register_at_fork(after_in_child=preload)


def preload() -> threading.Thread:
    """Build and warm the engine off the request path, so the first job does not pay for it."""
    def run() -> None:
        t0 = time.monotonic()
        try:
            e = engine()
            warm = getattr(e, "warm_up", None)
            if warm:
                warm()
            log.info("engine ready", engine=e.name, ready_ms=int((time.monotonic() - t0) * 1000))
        except Exception as exc:  # noqa: BLE001 - the first job reports it again, as a job error
            log.error("engine preload failed", error=str(exc)[:300])

    thread = threading.Thread(target=run, name="engine-preload", daemon=True)
    thread.start()
    return thread
