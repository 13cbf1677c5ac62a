"""Expo push notifications: the message for a finished job, sending it, reading its receipt.

Through httpx against Expo's documented HTTP API (POST {EXPO_PUSH_URL}/send and /getReceipts)
rather than the exponent-server-sdk package: the API is two JSON calls; the SDK pulls in requests
and six, does not expose Retry-After on a 429, and its check_receipts bypasses the session it was
given (so no access token on receipts); here every call has an explicit timeout and each failure
a class the task retry policy acts on.
"""
from __future__ import annotations

import datetime as dt
import hashlib

from common.core import clock, logs, tracing
from common.core.settings import get_settings
from common.gcp import db
from common.jobs.model import Job

log = logs.get_logger(__name__)
DEAD_TOKENS = "push_tokens"

# (title, body) per reader language; {n} is the number of dishes. zh-TW is the app's own wording.
WORDS = {
    "zh-TW": (("菜單翻譯完成！", "已翻譯 {n} 道菜品"), ("菜單翻譯失敗", "請再拍一次菜單試試")),
    "zh-CN": (("菜单翻译完成！", "已翻译 {n} 道菜品"), ("菜单翻译失败", "请再拍一次菜单试试")),
    "ja": (("メニューの翻訳が完了しました！", "{n}品の料理を翻訳しました"), ("メニューを翻訳できませんでした", "もう一度撮影してお試しください")),
    "ko": (("메뉴 번역 완료!", "{n}개의 메뉴를 번역했습니다"), ("메뉴 번역 실패", "메뉴를 다시 촬영해 주세요")),
    "en": (("Menu translated!", "{n} dishes translated"), ("Menu translation failed", "Please try another photo")),
}
# The built-in profiles' names in each language. A custom profile's own name is the caller's free
# text: it never goes into a push, which shows on a lock screen as if we wrote it; a generic word does.
PROFILE_NAMES = {
    "recipe": {"zh-TW": "食譜", "zh-CN": "食谱", "ja": "レシピ", "ko": "레시피", "en": "recipe"},
    "bookshelf": {"zh-TW": "書架", "zh-CN": "书架", "ja": "本棚", "ko": "책장", "en": "bookshelf"},
    "custom": {"zh-TW": "自訂掃描", "zh-CN": "自定义扫描", "ja": "カスタムスキャン", "ko": "맞춤 스캔", "en": "custom"},
}
# The same for a scan with another profile (docs/profiles.md); {profile} is its name.
PROFILE_WORDS = {
    "zh-TW": (("掃描完成！", "{profile} 已讀取完成"), ("掃描失敗", "請再拍一次試試")),
    "zh-CN": (("扫描完成！", "{profile} 已读取完成"), ("扫描失败", "请再拍一次试试")),
    "ja": (("スキャンが完了しました！", "{profile} を読み取りました"), ("スキャンできませんでした", "もう一度撮影してお試しください")),
    "ko": (("스캔 완료!", "{profile} 읽기를 완료했습니다"), ("스캔 실패", "다시 촬영해 주세요")),
    "en": (("Scan ready!", "Your {profile} scan is ready"), ("Scan failed", "Please try another photo")),
}


class PushRetry(Exception):
    """Expo is busy or down (429, 5xx, a timeout): the task is tried again later."""

    def __init__(self, message: str, retry_after_s: int = 30):
        super().__init__(message)
        self.retry_after_s = retry_after_s


def wording(language: str | None, words: dict = WORDS):
    """`words`' entry for a language tag (by default the (done, failed) wording); English for a
    language without its own."""
    tag = (language or "en").replace("_", "-")
    lower = tag.lower()
    if lower.startswith("zh"):
        simplified = any(x in lower for x in ("-cn", "-sg", "hans"))
        return words["zh-CN" if simplified else "zh-TW"]
    return words.get(lower.split("-")[0], words["en"])


def message(job: Job) -> dict:
    """The notification for a finished job, in its reader's language."""
    pinned = job.profile
    language = job.reader_language
    done, failed = wording(language, PROFILE_WORDS if pinned else WORDS)
    status = job.status
    title, body = done if status == "completed" else failed
    name = ""
    if pinned:
        names = PROFILE_NAMES.get(pinned["id"]) if pinned.get("kind") == "builtin" else None
        name = wording(language, names or PROFILE_NAMES["custom"])
    body = body.format(n=len(job.items), profile=name)
    return {"to": job.push_token, "title": title, "body": body,
            "data": {"job_id": job.job_id, "status": status, **_profile(job)}, "sound": "default",
            "priority": "high"}


def _profile(job: Job) -> dict:
    """A profile job's push names it (the app's menu jobs stay as they were)."""
    pinned = job.profile
    return {"profile": pinned["id"], "profile_version": pinned["version"]} if pinned else {}


def send(msg: dict) -> dict:
    """Send one notification; its ticket ({status: ok, id} or {status: error, details: {error}})."""
    return _call("send", [msg])["data"][0]


def receipt(ticket_id: str) -> dict | None:
    """The receipt for a ticket, or None while Expo has none yet."""
    return (_call("getReceipts", {"ids": [ticket_id]}).get("data") or {}).get(ticket_id)


def _call(what: str, payload) -> dict:
    import httpx

    tracing.instrument("httpx")
    settings = get_settings()
    headers = {"Accept": "application/json", "Accept-Encoding": "gzip, deflate", "Content-Type": "application/json"}
    if settings.notify.expo_access_token:
        headers["Authorization"] = f"Bearer {settings.notify.expo_access_token.get_secret_value()}"
    try:
        resp = httpx.post(f"{settings.notify.expo_push_url.rstrip('/')}/{what}", json=payload, headers=headers,
                          timeout=settings.notify.push_timeout_s)
    except httpx.TransportError as exc:
        raise PushRetry(f"Expo unreachable: {type(exc).__name__}") from None
    if resp.status_code == 429 or resp.status_code >= 500:
        raise PushRetry(f"Expo answered {resp.status_code}", _retry_after(resp.headers.get("retry-after")))
    try:
        body = resp.json()
    except ValueError:
        raise PushRetry(f"Expo answered {resp.status_code} without JSON") from None
    if resp.status_code >= 400 or body.get("errors"):
        codes = ",".join(str(e.get("code")) for e in body.get("errors") or []) or str(resp.status_code)
        raise PushRefused(f"Expo refused the request ({codes})")
    return body


class PushRefused(Exception):
    """Expo refused the request itself (a 4xx): sending it again would not help."""


def _retry_after(raw: str | None) -> int:
    try:
        return max(1, min(3600, int(float(raw or 30))))
    except ValueError:
        return 30


def _token_ref(token: str):
    return db.client().collection(DEAD_TOKENS).document(hashlib.sha256(token.encode()).hexdigest())


def is_dead(token: str) -> bool:
    """Whether Expo said this token's device is no longer registered (then it is never used again)."""
    return bool((_token_ref(token).get(**db.fast()).to_dict() or {}).get("dead"))


def mark_dead(token: str, reason: str) -> None:
    now = clock.now()
    _token_ref(token).set({"dead": True, "reason": reason, "at": now,
                           "expire_at": now + dt.timedelta(days=365)}, **db.fast_write())
    log.warning("push token marked dead", reason=reason)
