"""What one job-making request spends: the caller's rate limit and day (a Firestore bucket), and one
job of the deployment's daily budget, whose reserve depends on how many jobs the caller made today.

An entry point charges the caller's limits as its first step (a refused request costs nothing
else). The Worker's repeat of a create-job is the exception: it first looks for the job its first
send made, and is charged only when there is none (the first send never arrived), at the moment
jobs.create spends the budget. That is why spending the budget charges the limits when they are not
charged yet. A multi-page scan's day counts every page (a page is a model read, as a one-photo job
is): the pages past the first are counted as the budget is spent, without a token of the rate limit.
"""
from __future__ import annotations

from common.api import ratelimit
from common.api.auth import Caller
from common.api.budget import DailyBudget


class JobCharge:
    """A request's charge: `limit()` once, then the budget's `check()`, `spend()` and `refund()`
    (jobs.create's Budget)."""

    def __init__(self, caller: Caller, scope: str, per_min: float, burst: int, daily_cap: int, budget: DailyBudget):
        self.caller, self.scope, self.per_min, self.burst, self.daily_cap = caller, scope, per_min, burst, daily_cap
        self.budget = budget
        self.photos = 1  # what the job reads: a multi-page scan's pages each count as a job of the day
        self._pages_counted = False
        self._today: int | None = None  # the caller's jobs today before this request, once charged

    def limit(self) -> None:
        """Charge the caller's rate limit and day (429 past either); once per request."""
        if self._today is None:
            self._today = ratelimit.take(self.caller, self.scope, self.per_min, self.burst,
                                         key=self.caller.wide_key, daily_cap=self.daily_cap)

    def check(self) -> None:
        """429 when the budget is spent for this caller, counting nothing."""
        self.limit()
        self.budget.check(self._today or 0)

    def spend(self) -> None:
        self.limit()
        if self.photos > 1 and not self._pages_counted:  # the caller's day counts every page, as the budget does
            ratelimit.take(self.caller, self.scope, self.per_min, self.burst, key=self.caller.wide_key,
                           daily_cap=self.daily_cap, units=self.photos - 1, day_only=True)
            self._pages_counted = True
        self.budget.spend(self._today or 0, self.photos)

    def refund(self) -> None:
        self.budget.refund(self.photos)
