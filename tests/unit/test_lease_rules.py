"""The lease's judgement of time, on a clock the test moves (no emulator, no sleeping)."""
from __future__ import annotations

import datetime as dt

from common.core.clock import FrozenClock
from common.jobs import lease
from common.jobs.model import Job


def _held(clock: FrozenClock, lease_s: float) -> Job:
    return Job(job_id="d" * 32, status="running", lease_owner="run-a",
               lease_expires_at=clock() + dt.timedelta(seconds=lease_s))


def test_a_lease_is_alive_until_its_end_and_the_renewal_record_is_not_read_before():
    clock, reads = FrozenClock(), []
    job = _held(clock, 60)
    clock.advance(59)
    assert lease.alive(job, clock(), lambda: reads.append(1))
    assert reads == []


def test_past_its_end_a_lease_lives_on_only_through_a_renewal_by_the_same_owner():
    clock = FrozenClock()
    job = _held(clock, 60)
    clock.advance(61)
    later = clock() + dt.timedelta(seconds=30)
    assert lease.alive(job, clock(), lambda: {"owner": "run-a", "expires_at": later})
    assert not lease.alive(job, clock(), lambda: {"owner": "run-b", "expires_at": later})
    assert not lease.alive(job, clock(), lambda: None)
    clock.advance(31)
    assert not lease.alive(job, clock(), lambda: {"owner": "run-a", "expires_at": later})
