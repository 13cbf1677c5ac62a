"""The deployment's daily job budget: a cap on model spend, shared by every instance.

Each job created adds its photos (one, or a multi-page scan's pages: each is one model read) to a
counter for the UTC day, spread over shards so a burst of jobs does
not queue on one document (Firestore sustains about one write a second per document). Reading all
shards on every request would cost ten reads a job, so each instance reads the day's total at most
every `refresh_s` and adds what it spent since: the cap can be passed by what the instances spend
within one refresh, never by more. The counters carry expire_at like every other document.

A share of the budget (the reserve) is kept for callers under their usual volume: once the day's
total reaches the budget less the reserve, only a caller with fewer than `light` jobs that day is
let in, so a flood from a few addresses cannot take the whole day from everyone else. Who made how
many comes from the caller's rate-limit bucket, which counts its day (api/ratelimit.py).
"""
from __future__ import annotations

import datetime as dt
import random
import threading
import time

from common.core import clock, logs
from common.core.errors import TooManyRequests
from common.core.sections import LimitSettings
from common.gcp import db

log = logs.get_logger(__name__)
BUDGET = "scan_budget"  # the daily job budget's counters, sharded
SHARDS = 10


class DailyBudget:
    def __init__(self, limit: int, refresh_s: float = 5.0, reserve_share: float = 0.0, light: int = 0):
        self.limit, self.refresh_s = limit, refresh_s
        # Past limit - reserved, only callers with fewer than `light` jobs today are let in.
        self.reserved, self.light = (int(limit * reserve_share), light) if light > 0 else (0, 0)
        self._lock = threading.Lock()
        self._day = ""
        self._total = 0
        self._read_at = float("-inf")

    @classmethod
    def from_settings(cls, limits: LimitSettings) -> "DailyBudget":
        return cls(limits.daily_job_budget, reserve_share=limits.daily_job_reserve,
                   light=limits.daily_job_light_caller)

    def check(self, caller_today: int = 0) -> None:
        """429 DAILY_BUDGET_SPENT when today's budget is spent for this caller (who made `caller_today`
        jobs today), without counting anything."""
        self._admit(0, caller_today)

    def spend(self, caller_today: int = 0, photos: int = 1) -> None:
        """Count a job of `photos` photos against today's budget; 429 DAILY_BUDGET_SPENT once it is spent
        for this caller."""
        self._admit(photos, caller_today)

    def _admit(self, count: int, caller_today: int) -> None:
        if self.limit <= 0:
            return
        now = clock.now()
        day = now.strftime("%Y-%m-%d")
        if day != self._day or time.monotonic() - self._read_at >= self.refresh_s:
            total = self._read(day)  # outside the lock: a slow read must not queue every other request
            with self._lock:
                if day > self._day:
                    self._total, self._day = total, day
                elif day == self._day:
                    # max: what this instance counted since the read began is not in the read yet
                    self._total = max(self._total, total)
                self._read_at = time.monotonic()
        with self._lock:
            if day < self._day:
                day = self._day  # a request that began before midnight counts in the new day
            heavy = self.reserved and caller_today >= self.light
            if self._total + max(count, 1) > self.limit - (self.reserved if heavy else 0):  # never past it
                midnight = dt.datetime.combine(now.date() + dt.timedelta(days=1), dt.time(), dt.timezone.utc)
                what = (f"the service's daily scan budget ({self.limit} photos) is spent" if not heavy else
                        f"the service's daily scan budget is spent but for {self.reserved} photos kept for callers "
                        f"with fewer than {self.light} scans today")
                raise TooManyRequests(f"{what}; it renews at 00:00 UTC",
                                      retry_after_s=int((midnight - now).total_seconds()) + 1, code="DAILY_BUDGET_SPENT")
            if not count:
                return
            self._total += count
        self._add(day, count)

    def refund(self, photos: int = 1) -> None:
        """Give back the job counted by spend() when it could not be made after all."""
        if self.limit <= 0:
            return
        with self._lock:
            self._total = max(0, self._total - photos)
        self._add(clock.now().strftime("%Y-%m-%d"), -photos)

    def _add(self, day: str, n: int) -> None:
        from google.cloud import firestore

        shard = db.client().collection(BUDGET).document(f"{day}-{random.randrange(SHARDS)}")
        shard.set({"day": day, "jobs": firestore.Increment(n), "expire_at": db.expiry()}, merge=True, **db.fast_write())

    def _read(self, day: str) -> int:
        refs = [db.client().collection(BUDGET).document(f"{day}-{n}") for n in range(SHARDS)]
        return sum(int((s.to_dict() or {}).get("jobs") or 0) for s in db.client().get_all(refs, **db.fast()))
