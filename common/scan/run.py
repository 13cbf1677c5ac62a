"""One scan run, start to end: claim the job, run its stages, and decide what every way of ending
means for the job and for the delivery that brought it (the outcome policy, here only)."""
from __future__ import annotations

import uuid
from typing import Literal

from common.core import clock, faults, logs, tracing
from common.core.errors import LeaseLost, ScanError, Unavailable
from common.core.settings import Settings, get_settings
from common.jobs import lease
from common.jobs.model import F
from common.scan import extract, finish, menu, pages, upload
from common.scan.drawing import Drawing
from common.scan.state import RunState

log = logs.get_logger(__name__)
Outcome = Literal["completed", "failed", "finished", "busy", "missing", "waiting", "lost", "arrived"]
MAX_FAILURES = 5  # crashed or dead runs one job may have before it is failed rather than retried forever


def run_job(job_id: str, trigger: str) -> Outcome:
    """Run the job unless it is finished or another live run holds it; safe to call any number of times."""
    token = logs.job_id_var.set(job_id)
    outcome: Outcome = "busy"
    try:
        outcome = _deliver(job_id, trigger, get_settings())
        return outcome
    finally:
        # The one line that says this delivery's run is over and how (a run writes its cache entry and
        # dish knowledge after done; the local stack waits for this line before it wipes the store).
        log.info("run over", outcome=outcome, trigger=trigger)
        logs.job_id_var.reset(token)


def _deliver(job_id: str, trigger: str, settings: Settings) -> Outcome:
    for _ in range(2):  # a second round only when the upload arrived as the first gave the job back
        owner = f"{trigger}:{uuid.uuid4().hex[:12]}"
        claim = lease.claim(job_id, owner, settings.run.lease_s, opening=[upload.analyzing(job_id)])
        log.info("claim", outcome=claim.outcome, trigger=trigger, owner=owner)
        if claim.outcome != "claimed":
            return claim.outcome
        state = RunState(claim.job, claim.lease, claim.log, settings.run, settings.models.engine_name)
        try:
            with tracing.job_run(claim.job.traceparent, trigger), claim.lease.kept(settings.run.lease_s / 3):
                outcome = Run(state, settings).execute()
                tracing.annotate(outcome=outcome)
        except LeaseLost:  # raised while recording a failure or giving the job back
            log.warning("lease lost; another run continues this job")
            return "lost"
        finally:
            tracing.flush()  # the run's spans out before the platform may take the CPU away
        if outcome != "arrived":
            return outcome
    return "waiting"


class Run:
    """The stages in order, and the outcome policy for every way they can end."""

    def __init__(self, state: RunState, settings: Settings):
        self.state, self.settings = state, settings
        self.drawing = Drawing(state)

    def execute(self) -> Outcome:
        state = self.state
        try:
            resumed = state.resume_safely()  # first: a failure below must keep the menu the job already sent
            if state.job.failures >= MAX_FAILURES:
                raise ScanError("INTERNAL_ERROR", f"the scan crashed {MAX_FAILURES} times; giving up")
            if state.job.fail_with:  # an earlier run decided the failure but could not store it
                raise ScanError(**state.job.fail_with)
            if not resumed:
                state.resume()  # the snapshot cannot be read back: a crash, counted and bounded
            if state.profile is not None:
                extract.extract(state, self.settings.uploads)
                return "completed"
            if not state.items:
                read = pages.read if state.job.page_objects else menu.read
                read(state, self.settings.uploads, self.settings.models.prompt_version)
            self.drawing.draw_pending()
            finish.complete(state)
            return "completed"
        except ScanError as exc:
            return finish.fail(state, exc)
        except Unavailable as exc:
            if exc.code == "UPLOAD_PENDING":
                return self._wait_for_upload(exc)
            return self._give_back(exc)
        except LeaseLost:
            log.warning("lease lost; another run continues this job")
            return "lost"
        except faults.store_unsure() as exc:
            if state.log.closed:
                return "completed"  # done is stored; what failed came after it
            # The store is down, not the scan: give the job back without counting a failure (the
            # watchdog bounds how long a job can wait for the store to come back).
            log.warning("store unavailable mid-run; giving the job back", error=f"{type(exc).__name__}: "
                        f"{str(exc)[:150]}")
            try:
                state.lease.release({F.STATUS: "pending"})
            except (*faults.store_unsure(), LeaseLost):
                pass  # the lease runs out instead; the next delivery takes the job over
            return "waiting"
        except Exception:
            if state.log.closed:
                # done is stored: the job is over whatever failed after it (a log line, the cache).
                log.exception("error after done; the job stays finished")
                return "completed"
            # A bug or an outage: hand the job back so the next delivery retries it (bounded by MAX_FAILURES).
            log.exception("run crashed; releasing the job for a retry")
            try:
                state.lease.release({F.STATUS: "pending", F.FAILURES: state.job.failures + 1})
            except Exception:  # noqa: BLE001 - the lease runs out instead
                pass
            raise

    def _give_back(self, exc: Unavailable) -> Outcome:
        """A dependency is down (not the upload missing): release the job for a later delivery."""
        self.state.lease.release({F.STATUS: "pending"})
        log.warning("dependency unavailable; released for a retry", code=exc.code, error=exc.message[:200])
        return "waiting"

    def _wait_for_upload(self, exc: Unavailable) -> Outcome:
        state, wait_s = self.state, self.settings.run.upload_wait_s
        waited = (clock.now() - state.job.created_at).total_seconds()
        if waited > wait_s:
            return finish.fail(state, ScanError("UPLOAD_NOT_FOUND", f"no photo arrived within {int(wait_s)} s of the job"))
        state.lease.release({F.STATUS: "pending"})
        log.info("upload not there yet; released", waited_s=round(waited, 1), code=exc.code)
        # The upload may have landed while we held the job: its finalize event then found no
        # pending job to run. Look once more now that the job is pending again.
        if pages.any_arrived(state.job) is True:
            log.info("upload arrived while the job was held; running it now")
            return "arrived"
        return "waiting"
