"""The fake Gemini's model list, and the requests Google refuses, per model.

Kept apart from the service's own table (common/engines/models.py) on purpose: this is what the API
does, that is what the service sends; a test passes only when the two agree. From Google's pages as
read on 2026-12-07 (the models page, the deprecations page, "What's new in Gemini 3.6 Flash", the
thinking, media resolution and image generation guides; docs/benchmarks.md, "Models"):
- stable: gemini-3.8-flash, 3.7-flash, 3.6-flash, 3.5-flash, 3.5-flash-lite, 3.1-flash-lite, and for
  pictures 3.1-flash-image (Nano Banana 2), 3.1-flash-lite-image (Nano Banana 2 Lite),
  3-pro-image (Nano Banana Pro); preview: 3.1-pro-preview, 3-flash-preview;
- shut down (the endpoint is gone: 404 NOT_FOUND): gemini-2.0-*, gemini-2.5-flash, gemini-2.5-flash-lite
  (Google's deprecations page: July 2026; a third-party notice says it still answers, but the service
  follows Google's page), gemini-2.5-pro, gemini-2.5-flash-image, the 3.x image previews,
  gemini-3-pro-preview.
"""
from __future__ import annotations

from dataclasses import dataclass

LEVELS = ("MINIMAL", "LOW", "MEDIUM", "HIGH")
ASPECTS = ("1:1", "2:3", "3:2", "3:4", "4:3", "4:5", "5:4", "9:16", "16:9", "21:9")


@dataclass(frozen=True)
class Model:
    name: str
    display: str
    output_limit: int = 65_536
    levels: tuple[str, ...] = LEVELS        # thinkingLevel values it takes; () none
    default_level: str | None = "MEDIUM"    # what it thinks at when the request says nothing
    budget: tuple[int, int] | None = None   # thinkingBudget range a 2.5 model takes (0 too: off)
    image_sizes: tuple[str, ...] = ()       # imageConfig.imageSize values; () a text-only model
    gemini3: bool = True                    # penalties refused; a request may not end on a model turn

    def resource(self) -> dict:
        """As models.get and models.list answer."""
        methods = ["generateContent", "streamGenerateContent", "countTokens"]
        return {"name": f"models/{self.name}", "baseModelId": self.name, "version": "001",
                "displayName": self.display, "inputTokenLimit": 131_072 if self.image_sizes else 1_048_576,
                "outputTokenLimit": self.output_limit, "supportedGenerationMethods": methods,
                "temperature": 1.0, "maxTemperature": 2.0, "topP": 0.95, "topK": 64,
                "thinking": bool(self.levels or self.budget)}


_IMAGE = dict(output_limit=32_768, levels=("MINIMAL", "HIGH"), default_level="MINIMAL")
CATALOG = {m.name: m for m in (
    Model("gemini-3.8-flash", "Gemini 3.8 Flash", levels=("LOW", "MEDIUM", "HIGH")),
    Model("gemini-3.7-flash", "Gemini 3.7 Flash", levels=("LOW", "MEDIUM", "HIGH")),
    Model("gemini-3.6-flash", "Gemini 3.6 Flash"),
    Model("gemini-3.5-flash", "Gemini 3.5 Flash"),
    Model("gemini-3.5-flash-lite", "Gemini 3.5 Flash-Lite", default_level="MINIMAL"),
    Model("gemini-3.1-flash-lite", "Gemini 3.1 Flash-Lite", default_level="MINIMAL"),
    Model("gemini-3.1-flash-image", "Nano Banana 2", image_sizes=("512", "1K", "2K", "4K"), **_IMAGE),
    Model("gemini-3.1-flash-lite-image", "Nano Banana 2 Lite", image_sizes=("1K",), **_IMAGE),
    Model("gemini-3-pro-image", "Nano Banana Pro", output_limit=32_768, levels=(), default_level="HIGH",
          image_sizes=("1K", "2K", "4K")),
    Model("gemini-3.1-pro-preview", "Gemini 3.1 Pro Preview", levels=("LOW", "MEDIUM", "HIGH"), default_level="HIGH"),
    Model("gemini-3-flash-preview", "Gemini 3 Flash Preview", default_level="HIGH"),
)}
RETIRED = ("gemini-2.0-flash", "gemini-2.0-flash-001", "gemini-2.0-flash-lite", "gemini-2.0-flash-lite-001",
           "gemini-2.5-flash", "gemini-2.5-flash-lite", "gemini-2.5-pro", "gemini-2.5-flash-image", "gemini-2.5-flash-image-preview",
           "gemini-3.1-flash-image-preview", "gemini-3-pro-image-preview", "gemini-3-pro-preview",
           "gemini-1.5-flash", "gemini-1.5-pro")


def not_found(name: str, method: str = "generateContent") -> dict:
    """The API's answer for a model it does not serve (unknown, or shut down)."""
    return {"error": {"code": 404, "status": "NOT_FOUND", "message": (
        f"models/{name} is not found for API version v1beta, or is not supported for {method}. Call ListModels "
        "to see the list of available models and their supported methods.")}}


def refusal(model: Model, req: dict) -> str | None:
    """Why Google answers this request 400 INVALID_ARGUMENT, or None when it takes it."""
    config = req.get("generationConfig") or {}
    thinking = config.get("thinkingConfig") or {}
    level, budget = thinking.get("thinkingLevel"), thinking.get("thinkingBudget")
    if level is not None and budget is not None:
        return "Thinking level and thinking budget cannot both be set. Use thinking_level for Gemini 3 models."
    if level is not None and level not in model.levels:
        return (f"Thinking level {level} is not supported for this model."
                + (f" Supported levels: {', '.join(model.levels)}." if model.levels else ""))
    if budget is not None and model.budget and not (budget in (0, -1) or model.budget[0] <= budget <= model.budget[1]):
        return f"The thinking budget ({budget}) is invalid."
    if budget is not None and not model.budget and not model.gemini3:
        return "Thinking is not supported for this model."
    limit = config.get("maxOutputTokens")
    if limit is not None and not 1 <= int(limit) <= model.output_limit:
        return (f"The requested maxOutputTokens ({limit}) is out of range: the supported range is from 1 "
                f"(inclusive) to {model.output_limit + 1} (exclusive).")
    if model.gemini3 and ("presencePenalty" in config or "frequencyPenalty" in config):
        return "Presence and frequency penalties are not supported for this model."
    contents = req.get("contents") or []
    if model.gemini3 and contents and contents[-1].get("role") == "model":
        return "Requests whose last content has the role 'model' are not supported for this model."
    wants_image = "IMAGE" in (config.get("responseModalities") or [])
    if wants_image and not model.image_sizes:
        return "Model does not support the requested response modalities: image"
    image = config.get("imageConfig") or {}
    if image and not model.image_sizes:
        return "Image config is not supported for this model."
    if image.get("imageSize") and image["imageSize"] not in model.image_sizes:
        return f"Image size {image['imageSize']} is not supported for this model."
    if image.get("aspectRatio") and image["aspectRatio"] not in ASPECTS:
        return f"Aspect ratio {image['aspectRatio']} is not supported."
    if (config.get("responseSchema") or config.get("responseJsonSchema")) and model.image_sizes:
        return "Structured output is not supported for this model."
    return None


def thinking_tokens(model: Model, req: dict, costs: dict) -> int:
    """Thinking tokens this request spends: by its level (or the model's default), or its budget."""
    thinking = (req.get("generationConfig") or {}).get("thinkingConfig") or {}
    if "thinkingBudget" in thinking:
        budget = int(thinking["thinkingBudget"])
        return costs["dynamic"] if budget == -1 else min(budget, costs["dynamic"])
    level = thinking.get("thinkingLevel") or model.default_level
    return int(costs.get(level, 0)) if level else 0
