"""Read limits in memory: per caller, misses apart, open streams capped; callers keyed as a network holds them."""
from __future__ import annotations

import pytest

from common.api import readlimits
from common.api.auth import Caller
from common.core.errors import TooManyRequests


def test_an_ipv6_caller_is_one_caller_across_its_whole_64_and_v4_mapped_addresses_are_v4():
    a, b, c = Caller("2001:db8:1:2:aaaa::1"), Caller("2001:db8:1:2:ffff:1:2:3"), Caller("2001:db8:1:3::1")
    assert a.key == b.key != c.key
    assert Caller("::ffff:203.0.113.9").key == Caller("203.0.113.9").key == "ip:203.0.113.9"
    assert Caller("unknown").key == "ip:unknown" and Caller("x", "alice").key == "user:alice"


def test_reads_are_refused_past_the_burst_and_misses_only_turn_misses_into_429():
    limiter = readlimits.ReadLimiter(per_min=60, burst=5, miss_per_min=1, miss_burst=2, max_open_streams=0)
    me, other = Caller("198.51.100.1"), Caller("198.51.100.2")
    for _ in range(2):
        limiter.admit(me)
        limiter.missed(me)
    limiter.admit(me)
    with pytest.raises(TooManyRequests):
        limiter.missed(me)  # the third miss: 429 instead of 404
    for _ in range(5):  # a hit still reads: misses do not lock the caller out of its own jobs
        limiter.admit(me)
        limiter.found(me)
    with pytest.raises(TooManyRequests) as refused:
        limiter.admit(me)  # the sixth read of a job found
    assert refused.value.retry_after_s >= 1
    limiter.admit(other)


def test_open_streams_are_capped_per_caller_and_released_once_whatever_ends_them():
    limiter = readlimits.ReadLimiter(per_min=0, burst=1, miss_per_min=0, miss_burst=1, max_open_streams=2)
    me = Caller("198.51.100.3")
    first, second = limiter.open_stream(me), limiter.open_stream(me)
    with pytest.raises(TooManyRequests):
        limiter.open_stream(me)
    first()
    first()  # released twice (the stream's end and its finaliser): counted once
    assert limiter.open_streams(me) == 1
    third = limiter.open_stream(me)
    second(), third()
    assert limiter.open_streams(me) == 0


def test_the_memory_of_callers_is_bounded():
    buckets = readlimits.LocalBuckets("reads", per_min=60, burst=1, max_keys=100)
    for n in range(1000):
        buckets.take(f"ip:{n}")
    assert len(buckets._buckets) == 100
