"""The Gemini engine through google-genai: one structured call per menu, one image call per dish."""
from __future__ import annotations

import json
from typing import Optional

from google import genai
from google.genai import errors as genai_errors
from google.genai import types
from pydantic import BaseModel, Field, ValidationError

from common import languages
from common.config import Settings
from common.engines import MenuItem, MenuReading
from common.errors import ScanError
from common.retry import Retryable, with_budget

try:  # the SDK raises its HTTP library's timeout, not a genai error; it may use httpx or httpx2
    import httpx

    _TIMEOUTS: tuple[type[BaseException], ...] = (httpx.TimeoutException, httpx.ConnectError)
except ImportError:  # pragma: no cover
    _TIMEOUTS = ()
try:
    import httpx2

    _TIMEOUTS = _TIMEOUTS + (httpx2.TimeoutException, httpx2.ConnectError)
except ImportError:
    pass

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

    def __init__(self, settings: Settings):
        self.settings = settings
        http_options = types.HttpOptions(timeout=settings.gemini_timeout_ms)
        if settings.gemini_base_url:
            http_options.base_url = settings.gemini_base_url
        self.client = genai.Client(api_key=settings.gemini_api_key.get_secret_value(), http_options=http_options)

    def reader_language(self, language: str, known: bool) -> tuple[str, str | None]:
        """Gemini writes any language, including one named in words we do not map to a tag."""
        return language, None

    # -- menu ---------------------------------------------------------------------------------
    def read_menu(self, jpeg: bytes, language: str) -> MenuReading:
        s = self.settings

        def attempt(n: int) -> _Menu:
            # Truncated output is retried with room to finish, up to 4x the configured ceiling.
            max_tokens = min(s.model_max_output_tokens * (2 ** (n - 1)), s.model_max_output_tokens * 4)
            config = types.GenerateContentConfig(
                response_mime_type="application/json",
                response_schema=_Menu,
                max_output_tokens=max_tokens,
                temperature=0.2,
            )
            contents = [types.Part.from_bytes(data=jpeg, mime_type="image/jpeg"),
                        MENU_PROMPT.format(language=_reader(language))]
            resp = self._call(s.gemini_menu_model, contents, config)
            return _parse_menu(resp)

        menu = with_budget(attempt, attempts=s.model_max_attempts, budget_s=s.model_retry_budget_s,
                           initial_s=s.model_backoff_initial_s, on_exhausted=_exhausted("VLM_FAILED"),
                           what="menu")
        if not menu.is_menu:
            raise ScanError("IMAGE_NOT_MENU", "this photo does not look like a menu", recoverable=True)
        if not menu.legible or not menu.items:
            raise ScanError("IMAGE_TOO_BLURRY", "the menu could not be read; try a sharper, closer photo",
                            recoverable=True)
        items = [MenuItem(id=f"item-{i + 1}", **it.model_dump()) for i, it in enumerate(menu.items)]
        return MenuReading(items=items, engine=self.name, source_language=menu.source_language)

    # -- images -------------------------------------------------------------------------------
    def draw_dish(self, item: MenuItem, language: str) -> bytes:
        s = self.settings
        prompt = IMAGE_PROMPT.format(name=item.original_name, prompt=item.image_prompt or item.description)

        def attempt(_n: int) -> bytes:
            config = types.GenerateContentConfig(response_modalities=["IMAGE"])
            resp = self._call(s.gemini_image_model, [prompt], config)
            for cand in resp.candidates or []:
                for part in (cand.content.parts if cand.content else None) or []:
                    if part.inline_data and part.inline_data.data:
                        return part.inline_data.data
            reason = _finish_reason(resp)
            if reason in ("SAFETY", "PROHIBITED_CONTENT", "IMAGE_SAFETY", "BLOCKLIST") or _blocked(resp):
                raise ScanError("IMAGE_GEN_FAILED", f"the image was blocked ({reason or 'safety'})")
            raise Retryable("IMAGE_GEN_FAILED", f"no image in the response (finish_reason={reason})")

        return with_budget(attempt, attempts=s.model_max_attempts, budget_s=s.model_retry_budget_s,
                           initial_s=s.model_backoff_initial_s, on_exhausted=_exhausted("IMAGE_GEN_FAILED"),
                           what="image")

    # -- transport ----------------------------------------------------------------------------
    def _call(self, model: str, contents, config) -> types.GenerateContentResponse:
        try:
            return self.client.models.generate_content(model=model, contents=contents, config=config)
        except genai_errors.APIError as exc:
            code = int(getattr(exc, "code", 0) or 0)
            if code == 429 or code >= 500 or code == 408:
                raise Retryable("VLM_FAILED", f"Gemini answered {code}: {exc.message or exc.status}",
                                retry_after_s=_retry_after(exc)) from None
            raise ScanError("VLM_FAILED", f"Gemini refused the request ({code}): {exc.message or exc.status}") from None
        except _TIMEOUTS as exc:
            raise Retryable("UPSTREAM_TIMEOUT", f"Gemini did not answer in time: {type(exc).__name__}") from None


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


def _parse_menu(resp) -> _Menu:
    if _blocked(resp):
        raise ScanError("VLM_FAILED", f"Gemini blocked the photo ({resp.prompt_feedback.block_reason})")
    reason = _finish_reason(resp)
    if reason in ("SAFETY", "PROHIBITED_CONTENT", "BLOCKLIST", "SPII", "RECITATION"):
        raise ScanError("VLM_FAILED", f"Gemini stopped reading the menu ({reason})")
    if reason == "MAX_TOKENS":
        raise Retryable("VLM_FAILED", "Gemini's answer was cut off (MAX_TOKENS)")
    if isinstance(resp.parsed, _Menu):
        return resp.parsed
    # parsed is None when the JSON did not validate: parse it ourselves for a precise reason.
    text = resp.text or ""
    try:
        return _Menu.model_validate(json.loads(text))
    except (ValueError, ValidationError) as exc:
        raise Retryable("VLM_FAILED", f"Gemini returned malformed menu JSON: {str(exc)[:200]}") from None


def _exhausted(default_code: str):
    def build(exc: Retryable, attempts: int) -> ScanError:
        code = "UPSTREAM_TIMEOUT" if exc.code == "UPSTREAM_TIMEOUT" else default_code
        return ScanError(code, f"{exc.message} (gave up after {attempts} attempt(s))", recoverable=True)

    return build
