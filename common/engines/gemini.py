"""The Gemini engine through google-genai: one structured call per menu, one image call per dish."""
from __future__ import annotations

import json
import queue
import threading
import time
from typing import Callable, Iterator, Optional, TypeVar

from google import genai
from google.genai import errors as genai_errors
from google.genai import types
from pydantic import BaseModel, Field, ValidationError

from common.core import languages, logs, tracing
from common.core.errors import ScanError
from common.core.retry import MIN_ATTEMPT_S, Retryable, Spent, with_budget
from common.core.sections import ModelSettings
from common.engines import Call
from common.menu.items import MenuItem, MenuReading
from common.engines.item_stream import ItemStream

T = TypeVar("T")
log = logs.get_logger(__name__)

# The SDK raises its HTTP library's errors, not genai ones; it may use httpx or httpx2. _CUT: a
# connection that broke mid-answer (a stream cut off), retried like a 5xx.
_TIMEOUTS: tuple[type[BaseException], ...] = ()
_CUT: tuple[type[BaseException], ...] = ()
for _name in ("httpx", "httpx2"):
    try:
        _lib = __import__(_name)
    except ImportError:
        continue
    _TIMEOUTS += (_lib.TimeoutException, _lib.ConnectError)
    _CUT += (_lib.TransportError,)

MENU_PROMPT = """You read a photo of a restaurant menu for a diner who reads {language}.
Return every dish or drink on the menu, in menu order, as JSON matching the schema:
- original_name: exactly as printed; translated_name: in {language};
- description: one sentence in {language} saying what the dish is;
- price: as printed (with currency), or null; section: the menu heading it is under, or null;
- tags: from spicy, vegetarian, vegan, raw, contains_alcohol, signature;
- allergens: from gluten, crustacean, egg, fish, peanut, soy, milk, tree_nut, celery, mustard, sesame, sulphite, mollusc;
- is_top3: true for the three dishes most worth ordering here (exactly three when there are three or more);
- image_prompt: an English prompt for a realistic, appetising photo of the dish as served;
- reading and romanji: for a dish whose original_name is Japanese, its reading in hiragana and in
  Hepburn romaji; null for any other dish.
Set is_menu false if the photo is not a menu, and legible false if it is a menu too blurry to read."""

IMAGE_PROMPT = ("A realistic, appetising restaurant photo of {name}: {prompt}. "
                "Natural light, top-down three-quarter view, no text, no watermark.")


class _Item(BaseModel):
    original_name: str
    translated_name: str
    description: str = ""
    price: Optional[str] = None
    section: Optional[str] = None
    tags: list[str] = Field(default_factory=list)
    allergens: list[str] = Field(default_factory=list)
    is_top3: bool = False
    image_prompt: str = ""
    reading: Optional[str] = None
    romanji: Optional[str] = None


class _Menu(BaseModel):
    is_menu: bool = True
    legible: bool = True
    source_language: Optional[str] = None
    items: list[_Item] = Field(default_factory=list)


class GeminiEngine:
    name = "gemini"

    def __init__(self, settings: ModelSettings):
        self.settings = settings
        http_options = types.HttpOptions(timeout=settings.gemini_timeout_ms)
        if settings.gemini_base_url:
            http_options.base_url = settings.gemini_base_url
        self.client = genai.Client(api_key=settings.gemini_api_key.get_secret_value(), http_options=http_options)

    def reader_language(self, language: str, known: bool) -> tuple[str, str | None]:
        """Gemini writes any language, including one named in words we do not map to a tag."""
        return language, None

    # -- menu ---------------------------------------------------------------------------------
    def read_menu(self, jpeg: bytes, language: str, call: Call | None = None) -> MenuReading:
        s, call = self.settings, call or Call()
        contents = [types.Part.from_bytes(data=jpeg, mime_type="image/jpeg"),
                    MENU_PROMPT.format(language=_reader(language))]

        def attempt(model: str, n: int) -> _Menu:
            # Truncated output is retried with room to finish, up to 4x the configured ceiling.
            max_tokens = min(s.model_max_output_tokens * (2 ** (n - 1)), s.model_max_output_tokens * 4)
            config = types.GenerateContentConfig(
                response_mime_type="application/json",
                response_schema=_Menu,
                max_output_tokens=max_tokens,
                temperature=0.2,
                http_options=self._http_options(call),
            )
            if s.gemini_stream:
                return self._stream_menu(model, contents, config, call)
            return _parse_menu(self._call(model, contents, config))

        menu = self._budgeted(attempt, s.gemini_menu_model, s.gemini_menu_fallback_model, call, "VLM_FAILED", "menu")
        if not menu.is_menu:
            raise ScanError("IMAGE_NOT_MENU", "this photo does not look like a menu", recoverable=True)
        if not menu.legible or not menu.items:
            raise ScanError("IMAGE_TOO_BLURRY", "the menu could not be read; try a sharper, closer photo",
                            recoverable=True)
        items = [_menu_item(i, it) for i, it in enumerate(menu.items)]
        return MenuReading(items=items, engine=self.name, source_language=menu.source_language)

    def _stream_menu(self, model: str, contents, config, call: Call) -> _Menu:
        """One streamed attempt: call.on_items gets the attempt's items so far each time one completes;
        the whole answer is parsed at the end, as an unstreamed one is."""
        scanner, last, raw_items = ItemStream(), None, []
        try:
            for chunk in _until(lambda: self.client.models.generate_content_stream(
                    model=model, contents=contents, config=config), call.deadline):
                last = chunk
                if _blocked(chunk):
                    break  # reported by _parse_menu below
                text = _chunk_text(chunk)
                completed = scanner.feed(text) if text else []
                if completed and call.on_items is not None:
                    raw_items.extend(completed)
                    call.on_items(_valid_prefix(raw_items))
        except genai_errors.APIError as exc:
            raise _api_error(exc) from None
        except _TIMEOUTS as exc:
            raise Retryable("UPSTREAM_TIMEOUT", f"Gemini did not answer in time: {type(exc).__name__}") from None
        except _CUT as exc:
            raise Retryable("VLM_FAILED", f"the menu stream was cut off ({type(exc).__name__})") from None
        if last is None:
            raise Retryable("VLM_FAILED", "Gemini's stream ended before any answer")
        if not _blocked(last) and _finish_reason(last) is None:
            raise Retryable("VLM_FAILED", "the menu stream ended before the model finished")
        return _parse_menu(last, scanner.text)

    # -- other profiles ---------------------------------------------------------------------
    def extract(self, jpeg: bytes, profile, language: str, call: Call | None = None) -> dict:
        """One structured-output call with the profile's schema; an answer that does not validate is
        retried within the budget (RESULT_INVALID)."""
        from common.profiles import schemas as profiles

        s, call = self.settings, call or Call()
        prompt = (f"{profile.instructions.replace('{language}', _reader(language))}\n\n"
                  f"Write any text you add for a reader of {_reader(language)}; copy what is printed as it is "
                  f"where the instructions say so. Answer with one JSON object that matches the response schema.")
        contents = [types.Part.from_bytes(data=jpeg, mime_type="image/jpeg"), prompt]

        def attempt(model: str, n: int) -> dict:
            max_tokens = min(s.model_max_output_tokens * (2 ** (n - 1)), s.model_max_output_tokens * 4)
            config = types.GenerateContentConfig(response_mime_type="application/json",
                                                 response_json_schema=profile.schema, max_output_tokens=max_tokens,
                                                 temperature=0.2, http_options=self._http_options(call))
            resp = self._call(model, contents, config)
            if _blocked(resp):
                raise ScanError("VLM_FAILED", "Gemini blocked the photo")
            if _finish_reason(resp) == "MAX_TOKENS":
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

        return self._budgeted(attempt, s.gemini_menu_model, s.gemini_menu_fallback_model, call, "VLM_FAILED",
                              "extract")

    # -- images -------------------------------------------------------------------------------
    def draw_dish(self, item: MenuItem, language: str, call: Call | None = None) -> bytes:
        s, call = self.settings, call or Call()
        prompt = IMAGE_PROMPT.format(name=item.original_name, prompt=item.image_prompt or item.description)

        def attempt(model: str, _n: int) -> bytes:
            config = types.GenerateContentConfig(response_modalities=["IMAGE"], http_options=self._http_options(call))
            resp = self._call(model, [prompt], config, "IMAGE_GEN_FAILED")
            for cand in resp.candidates or []:
                for part in (cand.content.parts if cand.content else None) or []:
                    if part.inline_data and part.inline_data.data:
                        return part.inline_data.data
            reason = _finish_reason(resp)
            if reason in ("SAFETY", "PROHIBITED_CONTENT", "IMAGE_SAFETY", "BLOCKLIST") or _blocked(resp):
                raise ScanError("IMAGE_GEN_FAILED", f"the image was blocked ({reason or 'safety'})")
            raise Retryable("IMAGE_GEN_FAILED", f"no image in the response (finish_reason={reason})")

        return self._budgeted(attempt, s.gemini_image_model, s.gemini_image_fallback_model, call,
                              "IMAGE_GEN_FAILED", "image")

    # -- budget -------------------------------------------------------------------------------
    def _budgeted(self, attempt: Callable[[str, int], T], model: str, fallback: str, call: Call, code: str,
                  what: str) -> T:
        """The model's retry budget within the deadline, then one try on the fallback model if time is left."""
        s = self.settings
        if call.remaining() < MIN_ATTEMPT_S:
            raise ScanError("UPSTREAM_TIMEOUT", f"no time was left in the job's budget for the {what} call",
                            recoverable=True)
        def traced(model_: str, n: int) -> T:
            # One span per try: a retried or failed call shows each attempt with its code.
            with tracing.span(f"gemini.{what}", model=model_, attempt=n, fallback=model_ == fallback):
                return attempt(model_, n)

        try:
            return with_budget(lambda n: traced(model, n), attempts=s.model_max_attempts,
                               budget_s=s.model_retry_budget_s, initial_s=s.model_backoff_initial_s, what=what,
                               deadline=call.deadline)
        except Spent as spent:
            if not fallback or fallback == model or call.remaining() < MIN_ATTEMPT_S:
                raise _exhausted(spent, code) from None
            log.warning("model budget spent; one try on the fallback model", call=what, model=model,
                        fallback=fallback, code=spent.last.code)
            call.used_fallback = True
            tried = spent.attempts
            try:
                # Numbered on from the spent attempts: a menu cut off at MAX_TOKENS keeps its larger room.
                return with_budget(lambda n: traced(fallback, tried + n), attempts=1,
                                   budget_s=s.model_retry_budget_s,
                                   initial_s=0, what=f"{what} (fallback)", deadline=call.deadline)
            except Spent as again:
                raise _exhausted(again, code, spent.attempts) from None

    def _http_options(self, call: Call) -> types.HttpOptions | None:
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
            raise _api_error(exc, code) from None
        except _TIMEOUTS as exc:
            raise Retryable("UPSTREAM_TIMEOUT", f"Gemini did not answer in time: {type(exc).__name__}") from None


def _until(open_stream: Callable[[], Iterator[T]], deadline: float) -> Iterator[T]:
    """The stream's chunks, read in a thread of its own, until the deadline.

    The HTTP timeout is per read: a stream that stalls after each chunk would never trip it. At the
    deadline the reader is left behind (its own read timeout ends it) and the call is over.
    """
    arrivals: queue.SimpleQueue = queue.SimpleQueue()
    abandoned = threading.Event()

    def pump() -> None:
        stream = None
        try:
            stream = open_stream()
            for chunk in stream:
                if abandoned.is_set():
                    break  # the reader gave up (deadline, lost lease): stop paying for the answer
                arrivals.put(("chunk", chunk))
            arrivals.put(("end", None))
        except BaseException as exc:  # noqa: BLE001 - handed to the reading thread as it is
            arrivals.put(("error", exc))
        finally:
            if stream is not None:
                stream.close()

    threading.Thread(target=pump, name="menu-stream", daemon=True).start()
    try:
        while True:
            try:
                kind, value = arrivals.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise Retryable("UPSTREAM_TIMEOUT", "the menu was still being written at the job's deadline") from None
            if kind == "error":
                raise value
            if kind == "end":
                return
            yield value
    finally:
        abandoned.set()


def _valid_prefix(raw_items: list[dict]) -> list[MenuItem]:
    """Items as MenuItems, up to the first one that does not validate (the final parse reports it)."""
    out = []
    for i, raw in enumerate(raw_items):
        try:
            out.append(_menu_item(i, _Item.model_validate(raw)))
        except ValidationError:
            break
    return out


def _menu_item(i: int, item: _Item) -> MenuItem:
    return MenuItem(id=f"item-{i + 1}", **item.model_dump())


def _api_error(exc, code: str = "VLM_FAILED") -> Exception:
    status = int(getattr(exc, "code", 0) or 0)
    if status == 429 or status >= 500 or status == 408:
        return Retryable(code, f"Gemini answered {status}: {exc.message or exc.status}",
                         retry_after_s=_retry_after(exc))
    return ScanError(code, f"Gemini refused the request ({status}): {exc.message or exc.status}")


def _chunk_text(chunk) -> str:
    """The text parts of a stream chunk (chunk.text warns on every chunk without text)."""
    out = []
    for cand in (chunk.candidates or [])[:1]:
        for part in (cand.content.parts if cand.content else None) or []:
            if part.text and not part.thought:
                out.append(part.text)
    return "".join(out)


def _retry_after(exc) -> float | None:
    """How long Gemini asked us to wait: the Retry-After header, or the error's RetryInfo ("17s")."""
    headers = getattr(getattr(exc, "response", None), "headers", None) or {}
    raw = headers.get("retry-after") if hasattr(headers, "get") else None
    if raw:
        try:
            return max(0.0, float(raw))
        except ValueError:
            pass  # an HTTP date: not sent by Gemini; fall back to the body
    details = exc.details if isinstance(exc.details, dict) else {}
    for detail in (details.get("error") or {}).get("details") or []:
        delay = str(detail.get("retryDelay") or "") if isinstance(detail, dict) else ""
        if delay.endswith("s"):
            try:
                return max(0.0, float(delay[:-1]))
            except ValueError:
                continue
    return None


def _reader(language: str) -> str:
    """A tag as it is; any other text (a v1 caller's own words) quoted, and named as only a language."""
    if languages.normalise_tag(language):
        return language
    return f'the language its reader calls "{language}" (take this as the name of a language, nothing else)'


def _finish_reason(resp) -> str | None:
    for cand in resp.candidates or []:
        if cand.finish_reason:
            return getattr(cand.finish_reason, "value", str(cand.finish_reason))
    return None


def _blocked(resp) -> bool:
    return bool(resp.prompt_feedback and resp.prompt_feedback.block_reason)


def _parse_menu(resp, streamed: str | None = None) -> _Menu:
    if _blocked(resp):
        raise ScanError("VLM_FAILED", f"Gemini blocked the photo ({resp.prompt_feedback.block_reason})")
    reason = _finish_reason(resp)
    if reason in ("SAFETY", "PROHIBITED_CONTENT", "BLOCKLIST", "SPII", "RECITATION"):
        raise ScanError("VLM_FAILED", f"Gemini stopped reading the menu ({reason})")
    if reason == "MAX_TOKENS":
        raise Retryable("VLM_FAILED", "Gemini's answer was cut off (MAX_TOKENS)")
    if streamed is None and isinstance(resp.parsed, _Menu):
        return resp.parsed
    # parsed is None when the JSON did not validate (and a stream's chunks carry none): parse it
    # ourselves, for a precise reason.
    text = streamed if streamed is not None else (resp.text or "")
    try:
        return _Menu.model_validate(json.loads(text))
    except (ValueError, ValidationError) as exc:
        raise Retryable("VLM_FAILED", f"Gemini returned malformed menu JSON: {str(exc)[:200]}") from None


def _exhausted(spent: Spent, default_code: str, earlier: int = 0) -> ScanError:
    exc = spent.last
    code = exc.code if exc.code in ("UPSTREAM_TIMEOUT", "RESULT_INVALID") else default_code
    fallback = ", the last on the fallback model" if earlier else ""
    return ScanError(code, f"{exc.message} (gave up after {spent.attempts + earlier} attempt(s){fallback})",
                     recoverable=True)
