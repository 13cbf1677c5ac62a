"""Many phones behind one address (a carrier NAT): one of them guessing job ids never locks the others
out of the jobs they hold. Misses are charged to the miss bucket alone."""
from __future__ import annotations

import dataclasses
import random
import uuid
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from common.api import readlimits
from common.api.auth import Caller
from common.core.errors import TooManyRequests
from common.core.sections import LimitSettings
from tests.support import make_job


def test_the_reviews_reproduction_a_guessers_seventy_misses_leave_its_neighbours_reads_alone():
    limiter = readlimits.ReadLimiter(120, 60, 10, 10, 50)
    guesser, neighbour = Caller("203.0.113.7"), Caller("203.0.113.7")  # one address, two phones
    answers = []
    for _ in range(70):
        try:
            limiter.admit(guesser)
            limiter.missed(guesser)
            answers.append(404)
        except TooManyRequests:
            answers.append(429)
    assert answers == [404] * 10 + [429] * 60
    for _ in range(60):  # the neighbour's own job, read a whole burst's worth: never refused
        limiter.admit(neighbour)
        limiter.found(neighbour)


def test_reads_that_found_their_job_are_limited_apart_from_misses():
    limiter = readlimits.ReadLimiter(per_min=60, burst=5, miss_per_min=1, miss_burst=2, max_open_streams=0)
    me = Caller("198.51.100.9")
    for _ in range(5):
        limiter.admit(me)
        limiter.found(me)
    with pytest.raises(TooManyRequests) as refused:
        limiter.admit(me)  # the sixth read of a job in the burst
    assert refused.value.retry_after_s >= 1


def test_the_default_read_allowance_holds_a_hundred_phones_polling_behind_one_address():
    limits = LimitSettings()
    assert limits.rate_read_per_min >= 100 * 6 and limits.rate_read_burst >= 100


def _deployed_read_limits() -> dict:
    """The read limits a deployment gets by default (the test stack's are raised for its one address)."""
    names = ("rate_read_per_min", "rate_read_burst", "rate_read_miss_per_min", "rate_read_miss_burst",
             "max_open_streams_per_caller")
    defaults = dataclasses.asdict(LimitSettings())
    return {n.upper(): str(defaults[n]) for n in names}


@pytest.fixture
def deployed_read_limits(stack):
    stack.restart("events", env=_deployed_read_limits())
    yield
    stack.restart("events")


def test_a_nat_of_fifty_honest_readers_beside_one_guesser_reads_every_job_and_stops_the_guesser(
        stack, deployed_read_limits, campaign):
    nat = {"CF-Connecting-IP": "198.51.100.77"}
    jobs = [make_job(f"gs://menu-uploads/uploads/{uuid.uuid4().hex}.jpg").job_id for _ in range(50)]
    http = httpx.Client(base_url=stack.gateway_url, timeout=30, headers=nat)
    guesses = [f"/api/v1/scan/jobs/{uuid.uuid4().hex}" for _ in range(300)]
    polls = [f"/api/v1/scan/jobs/{job_id}" for job_id in jobs for _ in range(4)]  # four polls each
    work = [("guess", p) for p in guesses] + [("poll", p) for p in polls]
    random.Random(27).shuffle(work)
    with ThreadPoolExecutor(16) as pool:
        answers = list(pool.map(lambda w: (w[0], http.get(w[1]).status_code), work))
    guessed = [status for kind, status in answers if kind == "guess"]
    polled = [status for kind, status in answers if kind == "poll"]
    assert set(polled) == {200}, sorted(set(polled))  # not one of the honest phones refused
    assert guessed.count(404) <= 10 + 2 and set(guessed) <= {404, 429}  # probing stops after ten misses
    assert max(status for _, status in answers) < 500
    campaign.count("NAT requests sent (50 readers, 1 guesser)", len(answers))
    campaign.count("NAT guesses refused 429 as they should be", guessed.count(429))
    campaign.count("NAT honest reads refused", len(polled) - polled.count(200))
    campaign.count("NAT 5xx", sum(status >= 500 for _, status in answers))
