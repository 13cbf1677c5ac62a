"""A local server speaking the Gemini REST API (generateContent), with scripted faults for tests.

The real google-genai client talks to it over HTTP, so request building, response parsing, timeouts
and error mapping are all exercised. Control endpoints live under /_control/.
"""
from __future__ import annotations

import argparse
import base64
import hashlib
import io
import json
import re
import threading
import time
from collections import defaultdict, deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

_PATH = re.compile(r"^/(v1beta|v1|v1alpha)/models/([^/:]+):generateContent$")
_LANG = re.compile(r'who reads (?:the language its reader calls "(.+?)" \(.*?\)|(.+?))\.\n')

# A small izakaya menu; translations for the languages the tests use, English otherwise.
DEFAULT_MENU = [
    {"original_name": "唐揚げ", "names": {"zh-TW": "日式炸雞", "en": "Karaage fried chicken"},
     "reading": "からあげ", "romanji": "karaage", "price": "¥680", "section": "揚げ物", "tags": [], "allergens": ["gluten", "soy"], "is_top3": True},
    {"original_name": "焼き鳥盛り合わせ", "names": {"zh-TW": "綜合烤雞串", "en": "Assorted yakitori"},
     "reading": "やきとりもりあわせ", "romanji": "yakitori moriawase", "price": "¥980", "section": "焼き物", "tags": ["signature"], "allergens": ["soy"], "is_top3": True},
    {"original_name": "刺身三点盛り", "names": {"zh-TW": "生魚片三品拼盤", "en": "Three-kind sashimi"},
     "reading": "さしみさんてんもり", "romanji": "sashimi santen mori", "price": "¥1,280", "section": "刺身", "tags": ["raw"], "allergens": ["fish"], "is_top3": True},
    {"original_name": "枝豆", "names": {"zh-TW": "毛豆", "en": "Edamame"},
     "price": "¥380", "section": "おつまみ", "tags": ["vegan", "vegetarian"], "allergens": ["soy"], "is_top3": False},
    {"original_name": "麻婆豆腐", "names": {"zh-TW": "麻婆豆腐", "en": "Mapo tofu"},
     "price": "¥780", "section": "一品", "tags": ["spicy"], "allergens": ["soy"], "is_top3": False},
    {"original_name": "生ビール", "names": {"zh-TW": "生啤酒", "en": "Draft beer"},
     "price": "¥600", "section": "飲み物", "tags": ["contains_alcohol"], "allergens": ["gluten"], "is_top3": False},
]


class State:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.scripts: dict[str, deque] = defaultdict(deque)
            self.calls: dict[str, int] = defaultdict(int)
            self.requests: list[dict] = []
            self.menu = DEFAULT_MENU

    def next_action(self, kind: str) -> dict:
        with self.lock:
            self.calls[kind] += 1
            return self.scripts[kind].popleft() if self.scripts[kind] else {}


STATE = State()


def _menu_json(language: str, action: dict) -> str:
    if action.get("not_menu"):
        return json.dumps({"is_menu": False, "legible": True, "items": []})
    if action.get("empty"):
        return json.dumps({"is_menu": True, "legible": False, "items": []})
    if action.get("no_items"):  # a legible menu page with nothing on it the model calls a dish
        return json.dumps({"is_menu": True, "legible": True, "items": []})
    items = []
    for it in STATE.menu:
        name = it["names"].get(language) or it["names"]["en"]
        items.append({"original_name": it["original_name"], "translated_name": name,
                      "description": f"{it['names']['en']} ({language})", "price": it["price"],
                      "section": it["section"], "tags": it["tags"], "allergens": it["allergens"],
                      "is_top3": it["is_top3"], "image_prompt": f"a plate of {it['names']['en'].lower()}",
                      "reading": it.get("reading"), "romanji": it.get("romanji")})
    return json.dumps({"is_menu": True, "legible": True, "source_language": "ja", "items": items},
                      ensure_ascii=False)


def _png(seed: str) -> bytes:
    from PIL import Image

    digest = hashlib.sha256(seed.encode()).digest()
    out = io.BytesIO()
    Image.new("RGB", (96, 96), tuple(digest[:3])).save(out, "PNG")
    return out.getvalue()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):  # quiet: tests read /_control/calls instead
        pass

    def _send(self, status: int, body: dict) -> None:
        data = json.dumps(body, ensure_ascii=False).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=UTF-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (a timeout test); nothing to do

    def _body(self) -> dict:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        return json.loads(raw or b"{}")

    def do_GET(self):
        if self.path == "/_control/health":
            return self._send(200, {"ok": True})
        if self.path == "/_control/calls":
            with STATE.lock:
                return self._send(200, {"calls": dict(STATE.calls), "requests": STATE.requests[-50:]})
        return self._send(404, {"error": {"code": 404, "message": "not found", "status": "NOT_FOUND"}})

    def do_POST(self):
        if self.path == "/_control/reset":
            STATE.reset()
            return self._send(200, {"ok": True})
        if self.path == "/_control/script":
            body = self._body()
            with STATE.lock:
                STATE.scripts[body["kind"]].extend(body["responses"])
            return self._send(200, {"ok": True})
        m = _PATH.match(self.path.split("?")[0])
        if not m:
            return self._send(404, {"error": {"code": 404, "message": f"no route {self.path}", "status": "NOT_FOUND"}})
        if not self.headers.get("x-goog-api-key"):
            return self._send(403, {"error": {"code": 403, "message": "API key missing", "status": "PERMISSION_DENIED"}})
        return self._generate(m.group(2), self._body())

    def _generate(self, model: str, req: dict) -> None:
        config = req.get("generationConfig") or {}
        kind = "image" if "IMAGE" in (config.get("responseModalities") or []) else "menu"
        parts = [p for c in req.get("contents") or [] for p in c.get("parts") or []]
        text = " ".join(p.get("text", "") for p in parts)
        images = []
        for p in parts:
            inline = p.get("inlineData")
            if inline:
                # The SDK sends bytes as URL-safe base64.
                raw = base64.urlsafe_b64decode(inline["data"] + "=" * (-len(inline["data"]) % 4))
                images.append({"mime_type": inline.get("mimeType"), "bytes": len(raw),
                               "jpeg": raw[:3] == b"\xff\xd8\xff"})
        lang_match = _LANG.search(text)
        language = (lang_match.group(1) or lang_match.group(2)) if lang_match else "en"
        with STATE.lock:
            STATE.requests.append({"kind": kind, "model": model, "images": images, "language": language,
                                   "max_output_tokens": config.get("maxOutputTokens"), "t": time.monotonic()})
        action = STATE.next_action(kind)
        if action.get("delay_s"):
            time.sleep(float(action["delay_s"]))
        if action.get("status"):
            code = int(action["status"])
            names = {429: "RESOURCE_EXHAUSTED", 500: "INTERNAL", 503: "UNAVAILABLE", 400: "INVALID_ARGUMENT"}
            error = {"code": code, "message": action.get("message", "injected fault"),
                     "status": names.get(code, "UNKNOWN")}
            if action.get("retry_delay"):  # as the API says it on a quota error: google.rpc.RetryInfo
                error["details"] = [{"@type": "type.googleapis.com/google.rpc.RetryInfo",
                                     "retryDelay": f"{action['retry_delay']}s"}]
            return self._send(code, {"error": error})
        if action.get("safety"):
            return self._send(200, {"promptFeedback": {"blockReason": "SAFETY"}, "candidates": []})
        if kind == "image":
            if action.get("no_image"):
                part = {"text": "I cannot draw that."}
                finish = action.get("finish_reason", "STOP")
            else:
                part = {"inlineData": {"mimeType": "image/png", "data": base64.b64encode(_png(text)).decode()}}
                finish = "STOP"
            return self._send(200, {"candidates": [{"content": {"role": "model", "parts": [part]},
                                                    "finishReason": finish, "index": 0}], "modelVersion": model})
        payload = _menu_json(language, action)
        finish = "STOP"
        if action.get("truncate"):
            payload, finish = payload[: len(payload) // 2], "MAX_TOKENS"
        elif action.get("malformed"):
            payload = "{\"items\": [ this is not json"
        return self._send(200, {
            "candidates": [{"content": {"role": "model", "parts": [{"text": payload}]}, "finishReason": finish,
                            "index": 0}],
            "usageMetadata": {"promptTokenCount": 1000, "candidatesTokenCount": len(payload) // 4,
                              "totalTokenCount": 1000 + len(payload) // 4},
            "modelVersion": model,
        })


def serve(port: int, host: str = "127.0.0.1") -> ThreadingHTTPServer:
    server = ThreadingHTTPServer((host, port), Handler)
    server.daemon_threads = True
    return server


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--port", type=int, required=True)
    args = ap.parse_args()
    serve(args.port).serve_forever()


if __name__ == "__main__":
    main()
