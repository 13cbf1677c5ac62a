"""The Gemini engine through google-genai: the menu (common/engines/gemini_menu.py), a profile's
extraction, one picture per top-3 dish; the retry budget and fallback every call shares.

Each call's parameters come from its model's family (common/engines/models.py); a model Google no
longer serves sends every call to its fallback at once.
"""
from __future__ import annotations

import json
import threading
import time
from typing import Callable, Optional, TypeVar

from google import genai
from google.genai import errors as genai_errors
from google.genai import types

from common.core import logs, tracing
from common.core.sections import ModelSettings
from common.engines import Call, models, pictures, usage
from common.menu.items import MenuItem, MenuReading
from common.engines.gemini_calls import (BLOCKS, TIMEOUTS, ModelUnavailable, api_error, blocked, exhausted,
                                         finish_reason)
from common.engines.gemini_menu import MenuReader
from common.engines.menu_prompt import reader
from common.core.errors import ScanError
from common.core.retry import MIN_ATTEMPT_S, Retryable, Spent, with_budget

T = TypeVar("T")
log = logs.get_logger(__name__)

GONE_FOR_S = 600.0     # a model that answered NOT_FOUND is not asked again by this instance for this long


class GeminiEngine:
    name = "gemini"

    def __init__(self, settings: ModelSettings):
        self.settings = settings
        http_options = types.HttpOptions(timeout=settings.gemini_timeout_ms)
        if settings.gemini_base_url:
            http_options.base_url = settings.gemini_base_url
        self.client = genai.Client(api_key=settings.gemini_api_key.get_secret_value(), http_options=http_options)
        self._gone: dict[str, float] = {}
        self._tally = threading.Lock()

    def reader_language(self, language: str, known: bool) -> tuple[str, str | None]:
        """Gemini writes any language, including one named in words we do not map to a tag."""
        return language, None

    # -- menu ---------------------------------------------------------------------------------
    def read_menu(self, jpeg: bytes, language: str, call: Call | None = None) -> MenuReading:
        """The whole menu, or as much of it as was read when a failure or the deadline came."""
        return MenuReader(self).read(jpeg, language, call or Call())

    # -- other profiles ---------------------------------------------------------------------
    def extract(self, jpeg: bytes, profile, language: str, call: Call | None = None) -> dict:
        """One structured-output call with the profile's schema; an answer that does not validate is
        retried within the budget (RESULT_INVALID)."""
        from common.profiles import schemas as profiles

        s, call = self.settings, call or Call()
        prompt = (f"{profile.instructions.replace('{language}', reader(language))}\n\n"
                  f"Write any text you add for a reader of {reader(language)}; copy what is printed as it is "
                  f"where the instructions say so. Answer with one JSON object that matches the response schema.")
        contents = [types.Part.from_bytes(data=jpeg, mime_type="image/jpeg"), prompt]

        def attempt(model: str, n: int) -> dict:
            # Truncated output is retried with room to finish, up to 4x the configured ceiling.
            max_tokens = min(s.model_max_output_tokens * (2 ** (n - 1)), s.model_max_output_tokens * 4)
            config = models.text_config(model, max_tokens, json_schema=profile.schema,
                                        http_options=self.http_options(call))
            resp = self._call(model, contents, config)
            self.count(call, model, "extract", resp, finish_reason(resp), None)
            if blocked(resp):
                raise ScanError("VLM_FAILED", "Gemini blocked the photo")
            if finish_reason(resp) == "MAX_TOKENS":
                raise Retryable("RESULT_INVALID", "the answer was cut off at the output limit")
            try:
                data = json.loads(resp.text or "")
            except ValueError:
                raise Retryable("RESULT_INVALID", "the answer is not JSON") from None
            problems = profiles.validate_result(data, profile.schema)
            if problems:
                raise Retryable("RESULT_INVALID", "the answer does not match the profile's schema: "
                                + "; ".join(problems))
            return data

        return self.budgeted(attempt, s.gemini_menu_model, s.gemini_menu_fallback_model, call, "VLM_FAILED",
                             "extract")

    # -- images -------------------------------------------------------------------------------
    def draw_dish(self, item: MenuItem, language: str, call: Call | None = None) -> bytes:
        """One illustration of the dish (common/engines/pictures.py), a phone card's shape and size."""
        s, call = self.settings, call or Call()
        text = pictures.prompt(item)

        def attempt(model: str, _n: int) -> bytes:
            resp = self._call(model, [text], models.image_config(model, self.http_options(call)), "IMAGE_GEN_FAILED")
            reason = finish_reason(resp)
            self.count(call, model, "image", resp, reason, None)
            for cand in resp.candidates or []:
                for part in (cand.content.parts if cand.content else None) or []:
                    if part.inline_data and part.inline_data.data:
                        return part.inline_data.data
            if reason in BLOCKS or blocked(resp):
                raise ScanError("IMAGE_GEN_FAILED", f"the image was blocked ({reason or blocked(resp)})")
            raise Retryable("IMAGE_GEN_FAILED", f"no image in the response (finish_reason={reason})")

        return self.budgeted(attempt, s.gemini_image_model, s.gemini_image_fallback_model, call,
                             "IMAGE_GEN_FAILED", "image")

    # -- budget -------------------------------------------------------------------------------
    def budgeted(self, attempt: Callable[[str, int], T], model: str, fallback: str, call: Call, code: str,
                  what: str) -> T:
        """The model's retry budget within the deadline, then one try on the fallback model if time is
        left. A model that is gone (NOT_FOUND, retired) is not retried: the fallback takes its place at
        once, with the whole budget, and the line logged for it is what the retired-model alert counts."""
        s = self.settings
        if call.remaining() < MIN_ATTEMPT_S:
            raise ScanError("UPSTREAM_TIMEOUT", f"no time was left in the job's budget for the {what} call",
                            recoverable=True)

        def traced(model_: str, n: int) -> T:
            # One span per try: a retried or failed call shows each attempt with its code.
            with tracing.span(f"gemini.{what}", model=model_, attempt=n, fallback=model_ == fallback):
                return attempt(model_, n)

        def budget(model_: str, attempts: int, first: int) -> T:
            return with_budget(lambda n: traced(model_, first + n), attempts=attempts,
                               budget_s=s.model_retry_budget_s, initial_s=s.model_backoff_initial_s if attempts > 1
                               else 0, what=what if not first else f"{what} (fallback)", deadline=call.deadline)

        tried, attempts = 0, 1
        try:
            if self._is_gone(model):
                raise ModelUnavailable(model, f"{model!r} answered NOT_FOUND within the last {int(GONE_FOR_S)} s")
            return budget(model, s.model_max_attempts, 0)
        except Spent as spent:
            if not fallback or fallback == model or call.remaining() < MIN_ATTEMPT_S:
                raise exhausted(spent, code) from None
            log.warning("model budget spent; one try on the fallback model", call=what, model=model,
                        fallback=fallback, code=spent.last.code)
            # Numbered on from the spent attempts: a profile answer cut off keeps its larger room.
            tried = spent.attempts
        except ModelUnavailable as gone:
            self._gone.setdefault(model, time.monotonic())
            log.error("model retired or unknown; falling back", call=what, model=model, fallback=fallback or None,
                      error=gone.message[:300])
            if not fallback or fallback == model:
                raise ScanError(code, f"{gone.message}; no fallback model is set", recoverable=True) from None
            attempts = s.model_max_attempts  # the fallback is now the model: its whole budget
        call.used_fallback = True
        try:
            return budget(fallback, attempts, tried or 0)
        except Spent as again:
            raise exhausted(again, code, tried) from None
        except ModelUnavailable as gone:
            self._gone.setdefault(fallback, time.monotonic())
            log.error("model retired or unknown; falling back", call=what, model=fallback, fallback=None,
                      error=gone.message[:300])
            raise ScanError(code, f"{gone.message}; the fallback model is unavailable too", recoverable=True) from None

    def _is_gone(self, model: str) -> bool:
        since = self._gone.get(model)
        if since is not None and time.monotonic() - since > GONE_FOR_S:
            del self._gone[model]  # asked again now and then: a wrong 404 must not last the instance's life
            return False
        return since is not None

    def http_options(self, call: Call) -> types.HttpOptions | None:
        """Per request: the configured timeout, cut to what is left of the job's budget."""
        left_ms = int(call.remaining() * 1000)
        if left_ms >= self.settings.gemini_timeout_ms:
            return None
        options = types.HttpOptions(timeout=max(left_ms, int(MIN_ATTEMPT_S * 1000)))
        if self.settings.gemini_base_url:
            options.base_url = self.settings.gemini_base_url
        return options

    # -- transport ----------------------------------------------------------------------------
    def _call(self, model: str, contents, config, code: str = "VLM_FAILED") -> types.GenerateContentResponse:
        try:
            return self.client.models.generate_content(model=model, contents=contents, config=config)
        except genai_errors.APIError as exc:
            raise api_error(exc, code, model) from None
        except TIMEOUTS as exc:
            raise Retryable("UPSTREAM_TIMEOUT", f"Gemini did not answer in time: {type(exc).__name__}") from None

    def count(self, call: Call, model: str, what: str, resp, reason: Optional[str], items: Optional[int]) -> None:
        """One line per model call with its tokens (thinking apart), added to the call's tally. A
        response from another model than the one asked for (a retired name Google routes on) is said."""
        tokens = usage.count(resp) if resp is not None else {}
        with self._tally:  # strips are read at once
            usage.add(call.tokens, model, tokens)
        answered = getattr(resp, "model_version", None) or model
        fields = {"call": what, "model": model, "finish_reason": reason, **tokens}
        if items is not None:
            fields["items"] = items
        log.info("model call", **fields)
        if not answered.removeprefix("models/").startswith(model.removeprefix("models/")):
            # Google routes some retired names to another model: the same alert as a NOT_FOUND.
            log.error("model answered as another model", call=what, model=model, answered_by=answered)
