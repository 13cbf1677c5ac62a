"""Tokens each model call used, summed per job, and what they cost at Google's list prices.

Every response carries usage_metadata: prompt tokens (the photo at its media resolution, the
prompt, the items a continuation is told), output tokens, and thinking tokens, which are billed as
output. The job's sum goes in done.summary (menu and pictures apart) and in the "job completed" log
line; "model call" log lines carry each call's own.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

KINDS = ("prompt", "output", "thinking", "image")


@dataclass(frozen=True)
class Price:
    """USD per 1M tokens, Gemini Developer API, paid tier, standard (not batch, not flex)."""

    input: float
    output: float            # text output, thinking included
    image_output: float = 0  # image output tokens (a 1K picture is 1,120 of them)


# List prices as read on 2026-12-07 (docs/benchmarks.md, "Cost", names the page each comes from). A model missing here has no cost estimate (None), never a guessed one.
PRICES = {
    "gemini-3.6-flash": Price(1.50, 7.50),
    "gemini-3.5-flash-lite": Price(0.30, 2.50),
    "gemini-3.5-flash": Price(1.50, 9.00),
    "gemini-3.8-flash": Price(0.75, 3.75),  # through 2026-12-31; $1.50 / $7.50 from 2027-01-01
    "gemini-3.1-flash-image": Price(0.50, 3.00, 60.00),
}


def count(response) -> dict:
    """One response's tokens: {prompt, output, thinking, image} (image: output tokens that are pictures)."""
    meta = getattr(response, "usage_metadata", None)
    if meta is None:
        return {}
    image = sum(d.token_count or 0 for d in (meta.candidates_tokens_details or [])
                if getattr(d.modality, "value", d.modality) == "IMAGE")
    return {"prompt": meta.prompt_token_count or 0, "output": (meta.candidates_token_count or 0) - image,
            "thinking": meta.thoughts_token_count or 0, "image": image}


def add(into: dict, model: str, tokens: dict) -> dict:
    """Add one call's tokens to a {model: {kind: n}} tally; returns the tally."""
    row = into.setdefault(model, {})
    for k in KINDS:
        if tokens.get(k):
            row[k] = row.get(k, 0) + int(tokens[k])
    return into


def cost(by_model: dict) -> Optional[float]:
    """USD at list prices for a {model: tokens} tally; None when a model used has no known price."""
    total = 0.0
    for model, t in by_model.items():
        price = PRICES.get(model.removeprefix("models/"))
        if price is None:
            return None
        total += (t.get("prompt", 0) * price.input + (t.get("output", 0) + t.get("thinking", 0)) * price.output
                  + t.get("image", 0) * price.image_output) / 1e6
    return round(total, 6)


def summary(tally: dict) -> dict:
    """done.summary's tokens and cost_usd from a job's {part: {model: tokens}} tally (part: menu, images)."""
    tokens, costs = {}, {}
    for part in ("menu", "images"):
        by_model = tally.get(part) or {}
        tokens[part] = {k: sum(t.get(k, 0) for t in by_model.values()) for k in KINDS}
        costs[part] = cost(by_model) if by_model else 0.0
    costs["total"] = None if None in costs.values() else round(costs["menu"] + costs["images"], 6)
    return {"tokens": tokens, "cost_usd": costs}
