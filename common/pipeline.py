"""One scan run: claim, read the upload, read the menu, draw the top 3, report every step as an event.

A run resumes from the job's snapshot, so a takeover after a dead run neither repeats a model call
that already produced menu_data nor re-sends events: it continues the same sequence.
"""
from __future__ import annotations

import contextvars
import datetime as dt
import functools
import json
import os
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor, wait
from typing import Literal

from common import (assets, cache, claims, db, events, images, jobs, knowledge, logs, notifications, profiles,
                    storage, tracing)
from common.config import Settings, get_settings
from common.engines import Call, Engine, MenuItem, finalise_top3, get_engine, pictures, usage
from common.errors import LeaseLost, ScanError, Unavailable

log = logs.get_logger(__name__)
Outcome = Literal["completed", "failed", "finished", "busy", "missing", "waiting", "lost", "arrived"]


def analyzing(job_id: str) -> tuple[str, dict]:
    """Stored by the claim itself for a fresh job (jobs.claim's `opening`): the phone sees it a commit sooner."""
    return "status", events.status("analyzing", "Reading the menu", job_id)


DRAW_CUT_MARGIN_S = 0.25
MAX_FAILURES = 5  # crashed or dead runs one job may have before it is failed rather than retried forever


_engine_lock = threading.Lock()


@functools.lru_cache(maxsize=1)
def _engine() -> Engine:
    return get_engine(get_settings())


def engine() -> Engine:
    """The instance's engine, built once; a job that arrives while preload() builds it waits for it."""
    with _engine_lock:
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


def run_job(job_id: str, trigger: str) -> Outcome:
    """Run the job unless it is finished or another live run holds it; safe to call any number of times."""
    token = logs.job_id_var.set(job_id)
    try:
        for _ in range(2):  # a second round only when the upload arrived as the first gave the job back
            owner = f"{trigger}:{uuid.uuid4().hex[:12]}"
            claim = claims.claim(job_id, owner, opening=[analyzing(job_id)])
            log.info("claim", outcome=claim.outcome, trigger=trigger, owner=owner)
            if claim.outcome != "claimed":
                return claim.outcome
            run = _Run(claim.job, claim.log, get_settings())
            try:
                with tracing.job_run(claim.job, trigger), _LeaseKeeper(claim.log, get_settings().lease_s / 3):
                    outcome = run.execute()
                    tracing.annotate(outcome=outcome)
            except LeaseLost:  # raised while recording a failure or giving the job back
                log.warning("lease lost; another run continues this job")
                return "lost"
            finally:
                tracing.flush()  # the run's spans out before the platform may take the CPU away
            if outcome != "arrived":
                return outcome
        return "waiting"
    finally:
        logs.job_id_var.reset(token)


def expire_overdue() -> dict:
    """The watchdog: end every overdue job that no live run holds with error + done(failed)."""
    settings = get_settings()
    counts = {"overdue": 0, "expired": 0, "busy": 0, "errors": 0, "notifications_queued": _queue_due_notifications()}
    # Jobs made long ago and never finished, and running jobs past their deadline whose run died
    # (its lease is over): a redelivered task would end the latter too, but may never come.
    candidates = dict.fromkeys(jobs.find_stale(("pending", "running"), "created_at", settings.job_overdue_s))
    try:
        # deadline_at is stored with the first menu a run sends; a run that died before any has
        # none, so running jobs made longer ago than a deadline and a lease are looked at too.
        candidates.update(dict.fromkeys(jobs.find_stale(("running",), "deadline_at", settings.lease_s)))
        candidates.update(dict.fromkeys(jobs.find_stale(("running",), "created_at",
                                                        settings.job_deadline_s + settings.lease_s)))
    except Exception:  # noqa: BLE001 - e.g. its index still building after a deploy: the rest still runs
        log.exception("could not look for jobs past their deadline")
    for job_id in candidates:
        counts["overdue"] += 1
        token = logs.job_id_var.set(job_id)
        try:
            claim = claims.claim(job_id, f"watchdog:{uuid.uuid4().hex[:12]}")
            if claim.outcome == "busy":
                counts["busy"] += 1
            if claim.outcome != "claimed":
                continue
            with tracing.job_run(claim.job, "watchdog"):
                counts["expired"] += _end_overdue(_Run(claim.job, claim.log, settings), claim.job)
        except LeaseLost:
            counts["busy"] += 1
        except Exception:  # noqa: BLE001 - one job the sweep cannot end must not stop it for every other
            counts["errors"] += 1
            log.exception("the watchdog could not end an overdue job")
        finally:
            logs.job_id_var.reset(token)
    return counts


def _end_overdue(run: "_Run", job: dict) -> int:
    """End one overdue job the watchdog holds: 1 once it is ended."""
    if run._resume_safely() and run._remaining_s() < 0 and (run.items or run._keep_partial()):
        # The menu is on the phone: finish with it, the images not drawn marked DEADLINE.
        run._draw_pending()
        run._finish()
        log.warning("job past its deadline completed by the watchdog", reason="deadline")
        return 1
    arrived = storage.upload_arrived(job.get("bucket", ""), job.get("object_name", ""))
    # Only a definite "not there" is UPLOAD_NOT_FOUND: storage that cannot say is no proof.
    err = (ScanError("UPLOAD_NOT_FOUND", "no photo arrived for this scan") if arrived is False else
           ScanError("JOB_EXPIRED", "the scan did not finish in time; please try again", recoverable=True))
    if run._fail(err) != "failed":
        return 0
    log.warning("overdue job ended by the watchdog", reason="overdue", code=err.code, status=job.get("status"))
    return 1


def _queue_due_notifications() -> int:
    """Queue the notifications of finished jobs whose run could not reach the queue (or died first)."""
    queued = 0
    # A run queues its own right after done, within its lease's span.
    for job_id in jobs.find_notify_due(older_than_s=get_settings().lease_s):
        try:
            job = jobs.get(job_id)
            if notifications.schedule(job, job["status"]):
                db.client().collection(db.JOBS).document(job_id).update({"notify_due": False}, **db.fast())
                queued += 1
        except Exception:  # noqa: BLE001 - the next sweep tries again
            log.exception("could not queue a finished job's notifications", job_id=job_id)
    return queued


class _LeaseKeeper:
    """Renews the lease in the background while a long model call is in flight."""

    def __init__(self, log_: events.EventLog, every_s: float):
        self._log, self._every = log_, every_s
        self._stop = threading.Event()
        # In this context: its renewals log with the job's id and show in the run's trace.
        self._thread = threading.Thread(target=contextvars.copy_context().run, args=(self._loop,),
                                        name="lease-keeper", daemon=True)

    def _loop(self) -> None:
        while not self._stop.wait(self._every):
            try:
                self._log.renew()
            except LeaseLost:
                log.warning("lease lost while running")
                return
            except Exception as exc:  # noqa: BLE001 - a failed renewal is retried on the next tick
                log.warning("lease renewal failed", error=str(exc)[:200])

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


class _Run:
    def __init__(self, job: dict, log_: events.EventLog, settings: Settings):
        self.job = job
        self.job_id = job["job_id"]
        self.log = log_
        self.settings = settings
        self.language = job["language"]
        self.language_known = job.get("language_known", True)
        self.language_used: str = job.get("language_used") or self.language
        self.language_fallback: dict | None = job.get("language_fallback")
        # Jobs stored before asset ids existed get one now; it is kept with the snapshot for a takeover.
        self.asset_id = job.get("asset_id") or uuid.uuid4().hex
        self.items: list[MenuItem] = []
        self.timings: dict[str, int] = {}
        self.used_cache = False
        self.engine_name = job.get("engine") or settings.engine_name
        self.unknown = 0
        self._cache_key: str | None = None
        self._lock = threading.Lock()
        self._held: list[tuple[str, dict]] = []  # the last image_update, stored with done in one commit
        self._started = time.monotonic()
        self.used_fallback = bool(job.get("used_fallback"))
        self.incomplete = bool(job.get("incomplete"))  # the menu was not read to its end (done.summary says so)
        self.usage: dict = dict(job.get("usage") or {})  # tokens by part (menu, images) and model
        # The job's time budget: stored with the first menu a run sends, so a takeover keeps it.
        self.deadline_at: dt.datetime | None = job.get("deadline_at")
        self._partials = _Partials(self, int(job.get("partial_items") or 0), int(job.get("partial_events") or 0))
        self._cut: set[str] = set()  # items whose drawing ran past the deadline: their results are dropped
        self._announced = False  # whether this run told the client drawing started ("generating")
        self.profile = profiles.Pinned.from_job(job)  # None: the menu

    def execute(self) -> Outcome:
        try:
            resumed = self._resume_safely()  # first: a failure below must keep the menu the job already sent
            if self.job.get("failures", 0) >= MAX_FAILURES:
                raise ScanError("INTERNAL_ERROR", f"the scan crashed {MAX_FAILURES} times; giving up")
            if self.job.get("fail_with"):  # an earlier run decided the failure but could not store it
                raise ScanError(**self.job["fail_with"])
            if not resumed:
                self._resume()  # the snapshot cannot be read back: a crash, counted and bounded
            if self.profile is not None:
                self._extract()
                return "completed"
            if not self.items:
                self._read_menu()
            self._draw_pending()
            self._finish()
            return "completed"
        except ScanError as exc:
            return self._fail(exc)
        except Unavailable as exc:
            if exc.code == "UPLOAD_PENDING":
                return self._wait_for_upload(exc)
            return self._give_back(exc)
        except LeaseLost:
            log.warning("lease lost; another run continues this job")
            return "lost"
        except events.TRANSIENT as exc:
            if self.log.closed:
                return "completed"  # done is stored; what failed came after it
            # The store is down, not the scan: give the job back without counting a failure (the
            # watchdog bounds how long a job can wait for the store to come back).
            log.warning("store unavailable mid-run; giving the job back", error=f"{type(exc).__name__}: "
                        f"{str(exc)[:150]}")
            try:
                self.log.release({"status": "pending"})
            except (events.TRANSIENT, LeaseLost):
                pass  # the lease runs out instead; the next delivery takes the job over
            return "waiting"
        except Exception:
            if self.log.closed:
                # done is stored: the job is over whatever failed after it (a log line, the cache).
                log.exception("error after done; the job stays finished")
                return "completed"
            # A bug or an outage: hand the job back so the next delivery retries it (bounded by MAX_FAILURES).
            log.exception("run crashed; releasing the job for a retry")
            try:
                self.log.release({"status": "pending", "failures": self.job.get("failures", 0) + 1})
            except Exception:  # noqa: BLE001
                pass
            raise

    # -- stages -------------------------------------------------------------------------------
    def _resume_safely(self) -> bool:
        """_resume, or False (with nothing resumed) when the stored snapshot cannot be read back."""
        try:
            self._resume()
            return True
        except Exception:  # noqa: BLE001 - e.g. items stored by an older schema; the caller decides
            log.exception("the job's snapshot could not be read back")
            self.items, self.timings = [], {}
            return False

    def _resume(self) -> None:
        if int(self.job.get("last_seq") or 0) <= 1:
            return  # only create_job's first status exists: nothing to resume
        view = self.job  # the claim's read: the job document carries the snapshot
        # Items from partial menus are what the client has seen, not a menu read: read it again.
        self.items = [] if view.get("items_partial") else [MenuItem(**i) for i in view.get("items") or []]
        self.timings = dict(view.get("timings") or {})
        self.used_cache = bool(view.get("used_cache"))
        self.unknown = int(view.get("unknown_items_count") or 0)
        if self.items:
            log.info("resuming after menu_data", pending=sum(i.image_status == "pending" for i in self.items))

    def _keep_partial(self) -> bool:
        """A dead run's partial menu, past the deadline: the job completes with the dishes the phone
        has (incomplete) rather than failing; False when it sent none."""
        shown = self.job.get("items") if self.job.get("items_partial") else None
        if not shown:
            return False
        self.items, self.incomplete = finalise_top3([MenuItem(**i) for i in shown]), True
        self.log.append("menu_data", self._menu_event(partial=False), job_fields=self._snapshot("running"))
        return True

    def _photo(self) -> tuple[storage.Upload, images.Photo]:
        """The upload and the photo to read from it; the job's deadline from the later of the two starts."""
        with tracing.span("upload.read"):
            upload = storage.read_upload(self.job["bucket"], self.job["object_name"])
        if self.deadline_at is None:
            start = max(t for t in (self.job["created_at"], upload.created) if isinstance(t, dt.datetime))
            self.deadline_at = start + dt.timedelta(seconds=self.settings.job_deadline_s)
        with tracing.span("photo.normalise", bytes=len(upload.data)):
            photo = images.normalise(upload.data, self.settings.max_image_pixels, self.settings.decode_budget_pixels)
        if not self._last_status_is("analyzing") and not self._partials.events:
            self.log.append(*analyzing(self.job_id))  # a job claimed by an older deploy, before claims stored it
        self._choose_language()
        return upload, photo

    def _extract(self) -> None:
        """A profile other than menu: the photo's data, checked against the profile's schema, goes out
        as one `result` event in done's commit."""
        profile = self.profile
        _, photo = self._photo()
        call = Call(deadline=self._engine_deadline())
        t0 = time.monotonic()
        try:
            with tracing.span("model.extract", engine=self.engine_name, profile=profile.id, version=profile.version):
                data = engine().extract(photo.jpeg, profile, self.language_used, call)
        finally:
            self.used_fallback = self.used_fallback or call.used_fallback
            self.timings["vlm_ms"] = int((time.monotonic() - t0) * 1000)
        # An engine's answer is checked where it is made; this is the last guard, before and after the
        # server's own additions (which read the answer's fields).
        for stage in ("answer", "result"):
            problems = profiles.validate_result(data, profile.schema)
            if problems:
                raise ScanError("RESULT_INVALID", f"the {stage} does not match the profile's schema: "
                                + "; ".join(problems), recoverable=True)
            if stage == "answer":
                data = profiles.finish(profile, data, self.settings.bookshelf_review_threshold)
        raw = json.dumps(data, ensure_ascii=False)
        if len(raw.encode()) > profiles.MAX_RESULT_BYTES:
            raise ScanError("RESULT_TOO_LARGE", f"the result is over {profiles.MAX_RESULT_BYTES} bytes")
        result = {"session_id": self.job_id, "profile": profile.id, "version": profile.version, "data": data}
        log.info("result read", engine=self.engine_name, profile=profile.id, version=profile.version,
                 bytes=len(raw), **self.timings)
        # Stored as text: a result may hold what a Firestore map cannot (arrays of arrays, odd keys).
        self._finish(extra=[("result", result)], fields={"result_json": raw})

    def _read_menu(self) -> None:
        upload, photo = self._photo()
        ckey = cache.key(upload.data, self.language_used, self.settings.prompt_version, self.engine_name)
        with tracing.span("cache.lookup") as sp:
            hit = cache.get(ckey)
            if sp is not None:
                sp.set_attribute("cache.hit", bool(hit))
        if hit:
            self.used_cache = True
            self.items = [MenuItem(**i) for i in hit["items"]]
            self.unknown = sum(1 for i in self.items if not i.known)
            cached_urls = {i.id: i.image_url for i in self.items if i.image_status == "ready"}
            for item in self.items:
                item.image_status = "pending" if item.is_top3 else "none"
                item.image_url = cached_urls.get(item.id) if item.is_top3 else None
                item.image_error = None
        else:
            t0 = self._partials.started = time.monotonic()
            # A takeover continues after the dishes the dead run sent, rather than reading them again.
            seed = [MenuItem(**i) for i in self.job.get("items") or []] if self.job.get("items_partial") else []
            call = Call(deadline=self._engine_deadline(), on_items=self._partials.offer, seed=seed)
            try:
                with tracing.span("model.read_menu", engine=self.engine_name, language=self.language_used) as sp:
                    reading = engine().read_menu(photo.jpeg, self.language_used, call)
                    if sp is not None:
                        sp.set_attribute("items", len(reading.items))
            finally:
                self.used_fallback = self.used_fallback or call.used_fallback
                self._add_usage("menu", call.tokens)
                self.timings["vlm_ms"] = int((time.monotonic() - t0) * 1000)
            self.incomplete = reading.incomplete
            # Knowledge is optional: its read (2 s at most) is skipped when the deadline has no room for it.
            if self.settings.knowledge and self._remaining_s() > self.settings.deadline_reserve_s + 2 * 2.0:
                with tracing.span("knowledge.fill", items=len(reading.items)):
                    knowledge.fill(reading.items, self.language_used)
            self.items = finalise_top3(reading.items)
            self.unknown = reading.unknown_items_count
        self._cache_key = ckey
        batch = []
        drawn = [i for i in self.items if i.is_top3]
        if drawn and not self._partials.events:
            # After a partial menu no status may follow (docs/events.md, order): image_update
            # "generating" says the same, and the snapshot's progress moves on all the same.
            batch.append(("status", events.status("generating_images", "Drawing the top dishes", self.job_id)))
        batch.append(("menu_data", self._menu_event(partial=False)))
        if self._time_for_images():
            # Drawing starts as this commit lands: "generating" goes with it, at no extra write.
            batch += [self._generating(i) for i in drawn if not i.image_url]
        self.log.append_many(batch, job_fields=self._snapshot("running"))
        created = self.job["created_at"]
        log.info("menu read", engine=self.engine_name, items=len(self.items), used_cache=self.used_cache,
                 time_to_menu_ms=int((db.now() - created).total_seconds() * 1000)
                 if isinstance(created, dt.datetime) else None,
                 partials=self._partials.events, used_fallback=self.used_fallback, incomplete=self.incomplete,
                 **self.timings)
        self._announced = True

    def _draw_pending(self) -> None:
        pending = [i for i in self.items if i.is_top3 and i.image_status == "pending"]
        if not pending:
            return
        if not self._time_for_images():
            for item in pending:  # reported with done, in one commit
                self._settle(item, "failed", None, {"code": "DEADLINE", "message": "not drawn: the scan's time "
                                                    "budget was nearly spent"})
            log.warning("images skipped for the time budget", items=len(pending))
            return
        restarted = [self._generating(i) for i in pending if not i.image_url]
        if restarted and not self._announced:  # a takeover: say again that drawing (re)starts
            self.log.append_many(restarted, job_fields=self._snapshot("running"))
        t0 = time.monotonic()
        pool = ThreadPoolExecutor(max_workers=3, thread_name_prefix="draw")
        try:
            # Each drawing in a copy of this context: its log lines and spans belong to the job.
            futures = {pool.submit(contextvars.copy_context().run, self._draw_one, item): item for item in pending}
            # A little before the calls' own deadline, so a drawing still out is cut here (and says
            # DEADLINE) rather than failing on its timeout a moment later.
            cut_at = self._engine_deadline() - DRAW_CUT_MARGIN_S
            finished, late = wait(futures, timeout=max(0.0, cut_at - time.monotonic()))
            for fut in finished:
                fut.result()  # LeaseLost propagates; per-image failures were already reported
            with self._lock:
                for item in (futures[f] for f in late):
                    self._cut.add(item.id)
                    if item.image_status != "pending":
                        continue  # it settled between the wait and the lock
                    self._settle(item, "failed", None, {"code": "DEADLINE", "message": "not finished within the "
                                                        "scan's time budget"})
            if late:
                log.warning("images cut at the deadline", items=len(late))
        finally:
            # A late drawing finishes on its own (its call is bounded by the deadline) and is dropped.
            pool.shutdown(wait=False, cancel_futures=True)
        self.timings["image_gen_ms"] = int((time.monotonic() - t0) * 1000)

    def _draw_one(self, item: MenuItem) -> None:
        url, error = item.image_url, None  # a cached image from an identical earlier scan
        call = Call(deadline=self._engine_deadline())
        try:
            with tracing.span("image", item_id=item.id, cached=bool(url)):
                if not url:
                    with tracing.span("model.draw_dish", engine=self.engine_name):
                        data = images.to_jpeg(engine().draw_dish(item, self.language_used, call))
                    with tracing.span("assets.upload", bytes=len(data)):
                        url = assets.put_jpeg(self.asset_id, item.id, data)
            status_ = "ready"
        except LeaseLost:
            raise
        except ScanError as exc:
            log.warning("image failed", item_id=item.id, code=exc.code, error=exc.message)
            status_, url, error = "failed", None, {"code": exc.code, "message": exc.message}
        except Exception as exc:  # noqa: BLE001 - one image must never sink the job
            log.exception("image crashed", item_id=item.id, error=str(exc)[:200])
            status_, url, error = "failed", None, {"code": "IMAGE_GEN_FAILED", "message": "the image could not be made"}
        with self._lock:
            self._add_usage("images", call.tokens)
            if item.id in self._cut:
                return  # the deadline came first: already reported failed
            self.used_fallback = self.used_fallback or call.used_fallback
            self._settle(item, status_, url, error)

    def _settle(self, item: MenuItem, status_: str, url: str | None, error: dict | None) -> None:
        """Record one image's outcome; the last one waits to go with done in _finish's commit."""
        item.image_status, item.image_url, item.image_error = status_, url, error
        item.image_kind = pictures.KIND if status_ == "ready" else None  # both engines draw, neither photographs
        # One line per image (docs/observability.md: the images_failed metric counts these by code).
        log.info("image settled", item_id=item.id, image_status=status_, code=(error or {}).get("code"))
        update = ("image_update", events.image_update(self.job_id, item.id, status_, url, error=error,
                                                      kind=item.image_kind))
        if any(i.is_top3 and i.image_status == "pending" for i in self.items):
            self.log.append(*update, job_fields=self._snapshot("running"))
        else:
            self._held.append(update)

    def _finish(self, extra: tuple | list = (), fields: dict | None = None) -> None:
        """done, with the last image_update held for it and any `extra` events, in one commit."""
        summary = self._summary()
        done = ("done", events.done("completed", self.job_id, summary, engine=self.engine_name, **self._profile_ref()))
        # EventLog retries store faults and tells an unreported commit from a takeover: done is stored once.
        self.log.append_many([*self._held, *extra, done],
                             job_fields={**self._snapshot("completed"), "summary": summary,
                                         **self._final_job_fields("completed"), **self._notify_due("completed"),
                                         **(fields or {})})
        self._held = []
        log.info("job completed", outcome="completed", engine=self.engine_name,
                 images_failed=sum(i.is_top3 and i.image_status == "failed" for i in self.items), **summary)
        self._queue_notifications("completed")
        if self._cache_key and not self.used_cache:
            cache.put(self._cache_key, self._public_items(), self.engine_name, None)
        if self.settings.knowledge and not self.used_cache and self.profile is None:  # a cached one was learned first
            knowledge.record(self.items, self.language_used, self.engine_name)

    def _fail(self, exc: ScanError) -> Outcome:
        tracing.fail_current(exc)
        summary = self._summary()
        err = {"code": exc.code, "message": exc.message}
        pairs = [*self._held, ("error", events.error(exc.code, exc.message, exc.recoverable)),
                 ("done", events.done("failed", self.job_id, summary, engine=self.engine_name, **self._profile_ref()))]
        try:
            self.log.append_many(pairs, job_fields={**self._snapshot("failed"), "summary": summary, "error": err,
                                                    **self._final_job_fields("failed"), **self._notify_due("failed")})
        except events.TRANSIENT:
            # The store is down: give the job back with the verdict, so the next delivery records
            # it at once instead of scanning again with a full model budget.
            log.exception("could not record the failure; the next delivery will")
            self.log.release({"status": "pending", "fail_with": {"code": exc.code, "message": exc.message,
                                                                 "recoverable": exc.recoverable}})
            return "busy"
        # Once, after done is stored: the jobs-by-outcome metric counts these lines (docs/observability.md).
        log.warning("job failed", outcome="failed", code=exc.code, error=exc.message, engine=self.engine_name,
                    **summary)
        self._queue_notifications("failed")
        return "failed"

    def _profile_ref(self) -> dict:
        """done names the profile a job ran with (nothing for a menu: the event stays as it was)."""
        return {"profile": self.profile.public} if self.profile else {}

    def _notify_due(self, status_: str) -> dict:
        """Stored with done: the job has notifications to queue (cleared once they are queued; the
        watchdog queues any still due, so a run that dies right after done loses none)."""
        return {"notify_due": True} if notifications.channels({**self.job, "status": status_}) else {}

    def _queue_notifications(self, status_: str) -> None:
        """After done: queue them (never before: the deadline is for done, not for the queue)."""
        if not notifications.channels({**self.job, "status": status_}):
            return
        try:
            if notifications.schedule(self.job, status_):
                db.client().collection(db.JOBS).document(self.job_id).update({"notify_due": False}, **db.fast())
        except Exception:  # noqa: BLE001 - done is stored; the watchdog queues what is still due
            log.exception("could not clear notify_due; the watchdog will look at it")

    def _give_back(self, exc: Unavailable) -> Outcome:
        """A dependency is down (not the upload missing): release the job for a later delivery."""
        self.log.release({"status": "pending"})
        log.warning("dependency unavailable; released for a retry", code=exc.code, error=exc.message[:200])
        return "waiting"

    def _wait_for_upload(self, exc: Unavailable) -> Outcome:
        waited = (db.now() - self.job["created_at"]).total_seconds()
        if waited > self.settings.upload_wait_s:
            return self._fail(ScanError("UPLOAD_NOT_FOUND",
                                        f"no photo arrived within {int(self.settings.upload_wait_s)} s of the job"))
        self.log.release({"status": "pending"})
        log.info("upload not there yet; released", waited_s=round(waited, 1), code=exc.code)
        # The upload may have landed while we held the job: its finalize event then found no
        # pending job to run. Look once more now that the job is pending again.
        if storage.upload_arrived(self.job["bucket"], self.job["object_name"]) is True:
            log.info("upload arrived while the job was held; running it now")
            return "arrived"
        return "waiting"

    def _choose_language(self) -> None:
        """The language the engine writes in; when it is not the one asked for, the reader is told why."""
        self.language_used, reason = engine().reader_language(self.language, self.language_known)
        if reason:
            self.language_fallback = {"requested": self.job.get("language_requested") or self.language,
                                      "used": self.language_used, "reason": reason}
            log.info("language fallback", **self.language_fallback)

    # -- time ---------------------------------------------------------------------------------
    def _remaining_s(self) -> float:
        """Seconds left of the job's time budget (the store's clock, as created_at is)."""
        if self.deadline_at is None:
            created = self.job["created_at"]
            self.deadline_at = created + dt.timedelta(seconds=self.settings.job_deadline_s)
        return (self.deadline_at - db.now()).total_seconds()

    def _engine_deadline(self) -> float:
        """The monotonic time by which a model call must be over: the deadline less the reserve for storing."""
        return time.monotonic() + self._remaining_s() - self.settings.deadline_reserve_s

    def _time_for_images(self) -> bool:
        return self._remaining_s() >= self.settings.image_min_remaining_s

    # -- shapes -------------------------------------------------------------------------------
    def _menu_event(self, partial: bool, items: list[MenuItem] | None = None) -> dict:
        extra = {"language_fallback": self.language_fallback} if self.language_fallback else {}
        if self.incomplete and not partial:
            extra["incomplete"] = True
        return events.menu_data(self.job_id, [i.model_dump() for i in (self.items if items is None else items)],
                                is_partial=partial, engine=self.engine_name, used_cache=self.used_cache,
                                language=self.language_used, **extra)

    def _generating(self, item: MenuItem) -> tuple[str, dict]:
        return "image_update", events.image_update(self.job_id, item.id, "generating", None)

    def _last_status_is(self, step: str) -> bool:
        """Whether the job's latest stored event is this status (the claim stores `analyzing` itself)."""
        tail = self.job.get("tail")
        last = events.decode_page(tail)[-1] if tail else None
        return bool(last and last.type == "status" and last.data.get("step") == step)

    def _public_items(self) -> list[dict]:
        return [i.model_dump() for i in self.items]

    def _snapshot(self, status_: str) -> dict:
        return {"job_id": self.job_id, "status": status_, "items": self._public_items(),
                "timings": self.timings, "used_cache": self.used_cache,
                "unknown_items_count": self.unknown, "engine": self.engine_name, "progress": self._progress(status_),
                "asset_id": self.asset_id, "language_used": self.language_used,
                "language_fallback": self.language_fallback, "items_partial": False,
                "used_fallback": self.used_fallback, "deadline_at": self.deadline_at,
                "incomplete": self.incomplete, "usage": self.usage}

    def _progress(self, status_: str) -> int:
        """The snapshot's progress: the step's share, then an equal share per image finished."""
        if status_ in jobs.TERMINAL:
            return 100
        top = [i for i in self.items if i.is_top3]
        if not top:
            return events.PROGRESS["analyzing"]
        drawn = sum(i.image_status in ("ready", "failed") for i in top)
        span = events.PROGRESS["finalizing"] - events.PROGRESS["generating_images"]
        return events.PROGRESS["generating_images"] + span * drawn // len(top)

    def _summary(self) -> dict:
        created = self.job["created_at"]
        elapsed = int((db.now() - created).total_seconds() * 1000) if isinstance(created, dt.datetime) else 0
        return {"elapsed_ms": elapsed, "items_count": len(self.items), "used_cache": self.used_cache,
                "used_fallback": self.used_fallback, "unknown_items_count": self.unknown,
                "incomplete": self.incomplete, **usage.summary(self.usage), **self.timings}

    def _add_usage(self, part: str, tokens: dict) -> None:
        """A call's tokens into the job's tally (kept with the snapshot: a takeover adds to it)."""
        for model, counts in tokens.items():
            usage.add(self.usage.setdefault(part, {}), model, counts)

    def _final_job_fields(self, status_: str) -> dict:
        return {"status": status_, "lease_owner": None, "lease_expires_at": None, "engine": self.engine_name,
                **self.timings}


class _Partials:
    """Sends the items read so far as menu_data {is_partial: true} while the model writes.

    Each partial is one write (events.EventLog.post). One goes out for the first item, then one per
    MENU_PARTIAL_EVERY_ITEMS new items at most every MENU_PARTIAL_MIN_INTERVAL_S, up to
    MENU_PARTIAL_MAX per job. Only items beyond what the client has make a partial: a retried or
    taken-over stream repeats nothing until it passes them.
    """

    def __init__(self, run: "_Run", sent_items: int, sent_events: int):
        self.run, self.sent, self.events = run, sent_items, sent_events
        self._last_at = self.started = 0.0

    def offer(self, items: list[MenuItem]) -> None:
        s = self.run.settings
        n, now = len(items), time.monotonic()
        if n <= self.sent or self.events >= s.menu_partial_max:
            return
        if self.sent and (n - self.sent < s.menu_partial_every_items
                          or now - self._last_at < s.menu_partial_min_interval_s):
            return
        shown = [i.model_copy(update={"is_top3": False, "image_status": "none", "image_url": None}) for i in items]
        run = self.run
        # The first partial comes with a status: no status may follow a menu_data, and the app's
        # progress bar would otherwise stay at `analyzing` until done.
        lead = [] if self.events else [("status", events.status("analyzing", "Reading the dishes", run.job_id,
                                                                 progress=events.PROGRESS["reading"]))]
        run.log.post_many([*lead, ("menu_data", run._menu_event(partial=True, items=shown))],
                          job_fields={"items": [i.model_dump() for i in shown], "items_partial": True,
                                      "partial_items": n, "partial_events": self.events + 1,
                                      "deadline_at": run.deadline_at, "progress": events.PROGRESS["reading"]})
        self.sent, self.events, self._last_at = n, self.events + 1, now
        run.timings.setdefault("first_item_ms", int((now - self.started) * 1000))
        log.info("partial menu sent", items=n, partial=self.events)
