"""A local server speaking the Gemini REST API (generateContent and streamGenerateContent?alt=sse),
with scripted faults for tests.

The real google-genai client talks to it over HTTP, so request building, response parsing, streaming,
timeouts and error mapping are all exercised. Control endpoints live under /_control/:
- script: per-call actions (status, delay_s, truncate, malformed, safety, not_menu, ...; for streams
  also cut_at (drop the connection after that fraction of the answer), stall_s with stall_at, and
  end_at (end the stream cleanly, without a finish reason, after that fraction));
- stream: {tokens_per_s, first_token_s, chunk_tokens} pacing of menu answers (0: all at once); an
  unstreamed answer arrives whole after the time the stream would take;
- menu: {items: N} answers with a synthetic menu of N dishes instead of the small izakaya one, or
  {dishes: [...]} with these (DEFAULT_MENU's shape);
- pages: {pages: {"WxH": {dishes: [...]} or {items: N, first: K}, each with an optional action}}: a menu per
  photo, told apart by its size in pixels (which survives run_scan's re-encoding), for multi-page
  scans whose pages are read at once; the action (e.g. {not_menu: true}, {delay_s: 2}) applies to
  every read of that photo.
A call that sends a JSON Schema (responseJsonSchema: a scan profile's extraction) is kind "extract":
it answers a scripted {"json": ...}, or {"invalid": true} (a document the schema refuses), or else a
document made from the schema itself (schema_instance).
"""
from __future__ import annotations

import base64
import hashlib
import io
import json
import re
import threading
import time
from collections import defaultdict, deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from devstack import fake_server

_PATH = re.compile(r"^/(v1beta|v1|v1alpha)/models/([^/:]+):(generateContent|streamGenerateContent)$")
CHARS_PER_TOKEN = 4  # Gemini's rule of thumb for text; the stream's pacing counts tokens this way
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
            self.pages: dict[str, dict] = {}  # "WxH" -> that photo's menu and action (control "pages")
            self.stream = {"tokens_per_s": 0.0, "first_token_s": 0.0, "chunk_tokens": 20}

    def next_action(self, kind: str, model: str = "") -> dict:
        """The next scripted action for this call: one scripted for "kind@model" first, then for kind."""
        with self.lock:
            self.calls[kind] += 1
            for key in (f"{kind}@{model}", kind):
                if self.scripts[key]:
                    return self.scripts[key].popleft()
            return {}


STATE = State()


def schema_instance(schema: dict, name: str = "value"):
    """A small document the schema accepts: each required property (and each listed one), one
    element per array, a string naming its field, numbers in range."""
    kind = schema.get("type", "object")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if "enum" in schema:
        return schema["enum"][0]
    if "const" in schema:
        return schema["const"]
    if kind == "object":
        props = schema.get("properties") or {}
        return {k: schema_instance(v, k) for k, v in props.items()}
    if kind == "array":
        items = schema.get("items") or {"type": "string"}
        return [schema_instance(items, name) for _ in range(max(1, int(schema.get("minItems", 1))))]
    if kind in ("number", "integer"):
        low = schema.get("minimum", 0)
        high = schema.get("maximum", low + 1)
        return low if kind == "integer" else (low + high) / 2
    if kind == "boolean":
        return True
    if kind == "null":
        return None
    return f"sample {name}"


def _menu_json(language: str, action: dict, dishes: list[dict] | None = None) -> str:
    if action.get("not_menu"):
        return json.dumps({"is_menu": False, "legible": True, "items": []})
    if action.get("empty"):
        return json.dumps({"is_menu": True, "legible": False, "items": []})
    if action.get("no_items"):  # a legible menu page with nothing on it the model calls a dish
        return json.dumps({"is_menu": True, "legible": True, "items": []})
    items = []
    for it in dishes or STATE.menu:
        name = it["names"].get(language) or it["names"]["en"]
        items.append({"original_name": it["original_name"], "translated_name": name,
                      "description": it.get("description") or f"{it['names']['en']} ({language})",
                      "price": it["price"],
                      "section": it["section"], "tags": it["tags"], "allergens": it["allergens"],
                      "is_top3": it["is_top3"], "image_prompt": f"a plate of {it['names']['en'].lower()}",
                      "reading": it.get("reading"), "romanji": it.get("romanji")})
    return json.dumps({"is_menu": True, "legible": True, "source_language": "ja", "items": items},
                      ensure_ascii=False)


_DISHES = [("牛肉麺", "Beef noodle soup", "麺類"), ("小籠包", "Soup dumplings", "点心"),
           ("炒飯", "Fried rice", "飯類"), ("餃子", "Pan-fried dumplings", "点心"),
           ("酸辣湯", "Hot and sour soup", "湯"), ("回鍋肉", "Twice-cooked pork", "炒め物"),
           ("担々麺", "Dandan noodles", "麺類"), ("春巻き", "Spring rolls", "点心")]


def synthetic_menu(n: int, first: int = 0) -> list[dict]:
    """n dishes with realistic field lengths (about 110 output tokens each as JSON), numbered from first + 1."""
    out = []
    for k in range(first, first + n):
        name, english, section = _DISHES[k % len(_DISHES)]
        out.append({"original_name": f"{name}{k + 1}", "names": {"en": f"{english} no. {k + 1}",
                                                                 "zh-TW": f"{name}（{k + 1}號）"},
                    "description": f"{english}: a house favourite, cooked to order with seasonal vegetables "
                                   "and the kitchen's own sauce.",
                    "price": f"¥{580 + 20 * k}", "section": section, "tags": ["signature"] if k % 7 == 0 else [],
                    "allergens": ["soy", "gluten"] if k % 2 else ["soy"], "is_top3": k - first in (1, 4, 9)})
    return out


def _size(raw: bytes) -> str:
    """A photo's size in pixels as "WxH" (read from its header), or "" when it is not an image."""
    from PIL import Image

    try:
        w, h = Image.open(io.BytesIO(raw)).size
    except Exception:  # noqa: BLE001 - a test may send anything
        return ""
    return f"{w}x{h}"


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
        if self.path == "/_control/stream":
            with STATE.lock:
                STATE.stream.update(self._body())
            return self._send(200, {"ok": True})
        if self.path == "/_control/menu":
            body = self._body()
            n = int(body.get("items") or 0)
            with STATE.lock:
                STATE.menu = body.get("dishes") or (synthetic_menu(n) if n else DEFAULT_MENU)
            return self._send(200, {"ok": True})
        if self.path == "/_control/pages":
            pages = {size: {**page, "dishes": page.get("dishes")
                            or synthetic_menu(int(page.get("items") or 6), int(page.get("first") or 0))}
                     for size, page in self._body()["pages"].items()}
            with STATE.lock:
                STATE.pages.update(pages)
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
        return self._generate(m.group(2), self._body(), stream=m.group(3) == "streamGenerateContent")

    def _generate(self, model: str, req: dict, stream: bool = False) -> None:
        config = req.get("generationConfig") or {}
        kind = ("image" if "IMAGE" in (config.get("responseModalities") or [])
                else "extract" if config.get("responseJsonSchema") else "menu")
        parts = [p for c in req.get("contents") or [] for p in c.get("parts") or []]
        text = " ".join(p.get("text", "") for p in parts)
        images, page = [], None
        for p in parts:
            inline = p.get("inlineData")
            if inline:
                # The SDK sends bytes as URL-safe base64.
                raw = base64.urlsafe_b64decode(inline["data"] + "=" * (-len(inline["data"]) % 4))
                images.append({"mime_type": inline.get("mimeType"), "bytes": len(raw),
                               "jpeg": raw[:3] == b"\xff\xd8\xff", "size": _size(raw)})
                with STATE.lock:
                    page = STATE.pages.get(images[-1]["size"]) or page
        lang_match = _LANG.search(text)
        language = (lang_match.group(1) or lang_match.group(2)) if lang_match else "en"
        with STATE.lock:
            record = {"kind": kind, "model": model, "images": images, "language": language, "stream": stream,
                      "max_output_tokens": config.get("maxOutputTokens"), "t": time.monotonic()}
            if kind == "extract":
                record["prompt"] = text[:3000]
            STATE.requests.append(record)
        action = STATE.next_action(kind, model)
        if page and kind == "menu":
            action = {**page.get("action", {}), **action}
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
            blocked = {"promptFeedback": {"blockReason": "SAFETY"}, "candidates": []}
            return self._stream([blocked], record, action) if stream else self._send(200, blocked)
        if kind == "extract":
            schema = config["responseJsonSchema"]
            doc = action["json"] if "json" in action else ({"unexpected": True} if action.get("invalid")
                                                           else schema_instance(schema))
            return self._send(200, {"candidates": [{"content": {"role": "model", "parts": [
                {"text": json.dumps(doc, ensure_ascii=False)}]}, "finishReason": "STOP", "index": 0}],
                "modelVersion": model})
        if kind == "image":
            if action.get("no_image"):
                part = {"text": "I cannot draw that."}
                finish = action.get("finish_reason", "STOP")
            else:
                part = {"inlineData": {"mimeType": "image/png", "data": base64.b64encode(_png(text)).decode()}}
                finish = "STOP"
            return self._send(200, {"candidates": [{"content": {"role": "model", "parts": [part]},
                                                    "finishReason": finish, "index": 0}], "modelVersion": model})
        payload = _menu_json(language, action, page["dishes"] if page else None)
        finish = "STOP"
        if action.get("truncate"):
            payload, finish = payload[: len(payload) // 2], "MAX_TOKENS"
        elif action.get("malformed"):
            payload = "{\"items\": [ this is not json"
        if stream:
            return self._stream(self._chunks(payload, finish, model), record, action)
        with STATE.lock:
            rate, first_s = float(STATE.stream.get("tokens_per_s") or 0), float(STATE.stream.get("first_token_s") or 0)
        if rate:  # unstreamed, the whole answer takes as long to write: it arrives at the end
            time.sleep(first_s + len(payload) / CHARS_PER_TOKEN / rate)
        return self._send(200, {
            "candidates": [{"content": {"role": "model", "parts": [{"text": payload}]}, "finishReason": finish,
                            "index": 0}],
            "usageMetadata": {"promptTokenCount": 1000, "candidatesTokenCount": len(payload) // 4,
                              "totalTokenCount": 1000 + len(payload) // 4},
            "modelVersion": model,
        })

    @staticmethod
    def _chunks(payload: str, finish: str, model: str) -> list[dict]:
        """The answer as streamGenerateContent sends it: text slices, the finish reason on the last."""
        with STATE.lock:
            size = max(1, int(STATE.stream.get("chunk_tokens") or 20)) * CHARS_PER_TOKEN
        pieces = [payload[i:i + size] for i in range(0, len(payload), size)] or [""]
        out = [{"candidates": [{"content": {"role": "model", "parts": [{"text": p}]}, "index": 0}],
                "modelVersion": model} for p in pieces]
        out[-1]["candidates"][0]["finishReason"] = finish
        out[-1]["usageMetadata"] = {"promptTokenCount": 1000, "candidatesTokenCount": len(payload) // CHARS_PER_TOKEN,
                                    "totalTokenCount": 1000 + len(payload) // CHARS_PER_TOKEN}
        return out

    def _stream(self, chunks: list[dict], record: dict, action: dict) -> None:
        """Server-sent events over chunked transfer, paced at the configured token rate."""
        with STATE.lock:
            rate = float(STATE.stream.get("tokens_per_s") or 0)
            first_s = float(STATE.stream.get("first_token_s") or 0)
        total = len(chunks)
        cut_at, end_at = action.get("cut_at"), action.get("end_at")
        stall_at = float(action.get("stall_at", 0.5))
        try:
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            if first_s:
                time.sleep(first_s)
            for n, chunk in enumerate(chunks):
                done = n / total
                if cut_at is not None and done >= float(cut_at):
                    # The connection drops mid-answer: no final chunk, so the client sees an incomplete body.
                    self.wfile.flush()
                    self.close_connection = True
                    self.connection.shutdown(2)
                    return
                if end_at is not None and done >= float(end_at):
                    break  # a clean end without a finish reason
                if action.get("stall_s") and n == int(total * stall_at):
                    time.sleep(float(action["stall_s"]))
                data = f"data: {json.dumps(chunk, ensure_ascii=False)}\r\n\r\n".encode()
                self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
                self.wfile.flush()
                if n == 0:
                    with STATE.lock:
                        record["first_token_t"] = time.monotonic()
                if rate:
                    text = chunk["candidates"][0]["content"]["parts"][0].get("text", "") if chunk.get("candidates") else ""
                    time.sleep(len(text) / CHARS_PER_TOKEN / rate)
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError, OSError):
            pass  # the client gave up (a deadline or a timeout test)


def serve(port: int, host: str = "127.0.0.1") -> ThreadingHTTPServer:
    return fake_server.serve(Handler, port, host)


if __name__ == "__main__":
    fake_server.main(Handler, __doc__)
