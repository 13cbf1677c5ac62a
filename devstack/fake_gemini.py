"""A local server speaking the Gemini REST API (models.list, models.get, generateContent and
streamGenerateContent?alt=sse), refusing what Google refuses, with scripted faults for tests.

The real google-genai client talks to it over HTTP, so request building, response parsing, streaming,
timeouts and error mapping are all exercised. As the API does (devstack/gemini_models.py): a model
it does not serve (unknown, or shut down) is 404 NOT_FOUND; parameters the model's family rejects
are 400 INVALID_ARGUMENT; thinking spends tokens (by level or budget) before the answer, counted
against maxOutputTokens, and an answer that reaches the cap is cut there with MAX_TOKENS; every
answer reports usageMetadata (prompt, candidates, thoughts).
Control endpoints live under /_control/:
- script: per-call actions (status, delay_s, truncate, malformed, safety, not_menu, loop_after,
  loop_in_field, overlap, finish_reason with finish_at, usage_last, model_version, ...; for streams
  also cut_at (drop the connection after that fraction of the answer), stall_s with stall_at, and
  end_at (end the stream cleanly, without a finish reason, after that fraction));
- stream: {tokens_per_s, first_token_s, chunk_tokens} pacing of answers (0: all at once), and
  thinking {MINIMAL, LOW, MEDIUM, HIGH, dynamic}: the thinking tokens each level spends;
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
from urllib.parse import parse_qs, urlsplit

from devstack import fake_menu, fake_server, gemini_models
from devstack.gemini_models import CATALOG, RETIRED

_PATH = re.compile(r"^/(v1beta|v1|v1alpha)/models/([^/:]+):(generateContent|streamGenerateContent)$")
_MODEL = re.compile(r"^/(v1beta|v1|v1alpha)/models/([^/:]+)$")
CHARS_PER_TOKEN = 4  # Gemini's rule of thumb for text; answers are counted and paced this way
_LANG = re.compile(r'who reads (?:the language its reader calls "(.+?)" \(.*?\)|(.+?))\.\n')
IMAGE_TOKENS = {"MEDIA_RESOLUTION_LOW": 280, "MEDIA_RESOLUTION_MEDIUM": 560, "MEDIA_RESOLUTION_HIGH": 1120}
PICTURE_TOKENS = {"512": 747, "1K": 1120, "2K": 1680, "4K": 2520}  # output tokens per picture, by size
# Thinking tokens per level (and for a dynamic budget), tunable by /_control/stream.
THINKING = {"MINIMAL": 0, "LOW": 600, "MEDIUM": 2000, "HIGH": 6000, "dynamic": 2000}


class State:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.scripts: dict[str, deque] = defaultdict(deque)
            self.calls: dict[str, int] = defaultdict(int)
            self.requests: list[dict] = []
            self.menu, self.cuisine = fake_menu.DEFAULT_MENU, fake_menu.DEFAULT_CUISINE
            self.pages: dict[str, dict] = {}  # "WxH" -> that photo's menu and action (control "pages")
            self.stream = {"tokens_per_s": 0.0, "first_token_s": 0.0, "chunk_tokens": 20}
            self.thinking = dict(THINKING)

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


def _picture(seed: str, aspect: str) -> bytes:
    """A small flat PNG in the asked aspect ratio (a real picture at 1K is ~1 MP; this one is cheap)."""
    from PIL import Image

    w, h = (int(x) for x in (aspect or "1:1").split(":"))
    digest = hashlib.sha256(seed.encode()).digest()
    out = io.BytesIO()
    Image.new("RGB", (24 * w, 24 * h) if max(w, h) <= 8 else (96, 96), tuple(digest[:3])).save(out, "PNG")
    return out.getvalue()


def _size(raw: bytes) -> str:
    """A photo's size in pixels as "WxH" (read from its header), or "" when it is not an image."""
    from PIL import Image

    try:
        w, h = Image.open(io.BytesIO(raw)).size
    except Exception:  # noqa: BLE001 - a test may send anything
        return ""
    return f"{w}x{h}"


def _camel(value, schema: bool = False):
    """Field names in lowerCamelCase, recursively; a JSON Schema's own keys (property names) kept."""
    if isinstance(value, list):
        return [_camel(v, schema) for v in value]
    if not isinstance(value, dict):
        return value
    out = {}
    for k, v in value.items():
        name = k if schema else re.sub(r"_([a-z])", lambda m: m.group(1).upper(), k)
        out[name] = _camel(v, schema or name in ("responseSchema", "responseJsonSchema"))
    return out


def _usage(prompt: int, text: int, thoughts: int, image: int = 0) -> dict:
    usage = {"promptTokenCount": prompt, "candidatesTokenCount": text + image, "totalTokenCount":
             prompt + text + image + thoughts}
    if thoughts:
        usage["thoughtsTokenCount"] = thoughts
    if image:
        usage["candidatesTokensDetails"] = [{"modality": "IMAGE", "tokenCount": image}]
    return usage


def _answer(text: str, finish: str, model: str, usage: dict, action: dict) -> dict:
    return {"candidates": [{"content": {"role": "model", "parts": [{"text": text}]}, "finishReason": finish,
                            "index": 0}], "usageMetadata": usage, "modelVersion": action.get("model_version", model)}


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

    def _request(self) -> dict:
        """A generate request with its field names as the API reads them: protobuf's JSON parser takes
        lowerCamelCase and the proto's snake_case alike (the SDK sends some of each)."""
        return _camel(self._body())

    def _keyed(self) -> bool:
        """Whether the request carries an API key (header, as the SDK sends it, or ?key=)."""
        if self.headers.get("x-goog-api-key") or parse_qs(urlsplit(self.path).query).get("key"):
            return True
        self._send(403, {"error": {"code": 403, "message": "API key missing", "status": "PERMISSION_DENIED"}})
        return False

    def do_GET(self):
        path = urlsplit(self.path).path
        if path == "/_control/health":
            return self._send(200, {"ok": True})
        if path == "/_control/calls":
            with STATE.lock:
                return self._send(200, {"calls": dict(STATE.calls), "requests": STATE.requests[-50:]})
        listed, one = path.rstrip("/") in ("/v1beta/models", "/v1/models"), _MODEL.match(path)
        if not (listed or one):
            return self._send(404, {"error": {"code": 404, "message": "not found", "status": "NOT_FOUND"}})
        if not self._keyed():
            return None
        if listed:
            return self._list(parse_qs(urlsplit(self.path).query))
        model = CATALOG.get(one.group(2))
        if model is None:  # models.get knows no shut-down model either
            return self._send(404, gemini_models.not_found(one.group(2), "get"))
        return self._send(200, model.resource())

    def _list(self, query: dict) -> None:
        """models.list, paged as the API pages it."""
        size = max(1, min(1000, int((query.get("pageSize") or ["50"])[0])))
        start = int((query.get("pageToken") or ["0"])[0] or 0)
        names = sorted(CATALOG)
        body = {"models": [CATALOG[n].resource() for n in names[start:start + size]]}
        if start + size < len(names):
            body["nextPageToken"] = str(start + size)
        self._send(200, body)

    def do_POST(self):
        if self.path.startswith("/_control/"):
            return self._control(self.path[len("/_control/"):], self._body())
        m = _PATH.match(self.path.split("?")[0])
        if not m:
            return self._send(404, {"error": {"code": 404, "message": f"no route {self.path}", "status": "NOT_FOUND"}})
        if not self._keyed():
            return
        return self._generate(m.group(2), self._request(), stream=m.group(3) == "streamGenerateContent")

    def _control(self, what: str, body: dict) -> None:
        if what == "reset":
            STATE.reset()
            return self._send(200, {"ok": True})
        with STATE.lock:
            if what == "stream":
                STATE.thinking.update(body.pop("thinking", None) or {})
                STATE.stream.update(body)
            elif what == "menu":
                n = int(body.get("items") or 0)
                STATE.menu = body.get("dishes") or (fake_menu.synthetic_menu(n) if n else fake_menu.DEFAULT_MENU)
                STATE.cuisine = body.get("cuisine") or ("Chinese" if n else fake_menu.DEFAULT_CUISINE)
            elif what == "pages":
                STATE.pages.update({size: {**page, "dishes": page.get("dishes") or fake_menu.synthetic_menu(
                    int(page.get("items") or 6), int(page.get("first") or 0))} for size, page in body["pages"].items()})
            elif what == "script":
                STATE.scripts[body["kind"]].extend(body["responses"])
            else:
                return self._send(404, {"error": {"code": 404, "message": f"no control {what}"}})
        return self._send(200, {"ok": True})

    def _generate(self, name: str, req: dict, stream: bool = False) -> None:
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
        model = CATALOG.get(name)
        refused = (gemini_models.not_found(name, "streamGenerateContent" if stream else "generateContent")
                   if model is None or name in RETIRED else None)
        why = gemini_models.refusal(model, req) if refused is None else None
        if why:
            refused = {"error": {"code": 400, "message": why, "status": "INVALID_ARGUMENT"}}
        with STATE.lock:
            thoughts = gemini_models.thinking_tokens(model, req, STATE.thinking) if refused is None else 0
            record = {"kind": kind, "model": name, "images": images, "language": language, "stream": stream,
                      "max_output_tokens": config.get("maxOutputTokens"), "t": time.monotonic(),
                      "thinking": config.get("thinkingConfig"), "temperature": config.get("temperature"),
                      "media_resolution": config.get("mediaResolution"), "image_config": config.get("imageConfig"),
                      "thoughts": thoughts, "continued": text.count('{"original_name"') if "ALREADY_READ" in text else 0,
                      "answer": refused["error"]["code"] if refused else 200}
            if kind != "menu":
                record["prompt"] = text[:3000]
            STATE.requests.append(record)
        if refused:
            return self._send(refused["error"]["code"], refused)
        prompt_tokens = (IMAGE_TOKENS.get(config.get("mediaResolution"), 1120) * len(images)
                         + max(1, len(text) // CHARS_PER_TOKEN))
        cap = int(config.get("maxOutputTokens") or model.output_limit)
        action = STATE.next_action(kind, name)
        if page and kind == "menu":
            action = {**page.get("action", {}), **action}
        if action.get("delay_s"):
            time.sleep(float(action["delay_s"]))
        if action.get("status"):
            code = int(action["status"])
            names = {429: "RESOURCE_EXHAUSTED", 500: "INTERNAL", 503: "UNAVAILABLE", 400: "INVALID_ARGUMENT",
                     404: "NOT_FOUND"}
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
            payload = json.dumps(doc, ensure_ascii=False)
            return self._send(200, _answer(payload, "STOP", name, _usage(
                prompt_tokens, len(payload) // CHARS_PER_TOKEN, thoughts), action))
        if kind == "image":
            return self._picture(name, text, config, prompt_tokens, thoughts, action)
        payload = fake_menu.answer(page["dishes"] if page else STATE.menu, STATE.cuisine, language, text, action)
        payload, finish = self._cut(payload, cap, thoughts, action)
        record["finish"] = finish
        usage = _usage(prompt_tokens, len(payload) // CHARS_PER_TOKEN, thoughts)
        if stream:
            return self._stream(self._chunks(payload, finish, name, usage, action), record, action, thoughts)
        with STATE.lock:
            rate, first_s = float(STATE.stream.get("tokens_per_s") or 0), float(STATE.stream.get("first_token_s") or 0)
        if rate:  # unstreamed, the whole answer takes as long to think and write: it arrives at the end
            time.sleep(first_s + (thoughts + len(payload) / CHARS_PER_TOKEN) / rate)
        return self._send(200, _answer(payload, finish, name, usage, action))

    @staticmethod
    def _cut(payload: str, cap: int, thoughts: int, action: dict) -> tuple[str, str]:
        """The answer as the model ends it: at the output cap (thinking spent first), or a scripted end."""
        finish = "STOP"
        if action.get("truncate"):
            payload, finish = payload[: len(payload) // 2], "MAX_TOKENS"
        elif action.get("malformed"):
            payload = "{\"items\": [ this is not json"
        room = max(0, cap - thoughts) * CHARS_PER_TOKEN
        if len(payload) > room:
            payload, finish = payload[:room], "MAX_TOKENS"
        if action.get("finish_reason"):
            payload = payload[: int(len(payload) * float(action.get("finish_at", 1.0)))]
            finish = action["finish_reason"]
        return payload, finish

    def _picture(self, name: str, text: str, config: dict, prompt_tokens: int, thoughts: int, action: dict) -> None:
        image = config.get("imageConfig") or {}
        if action.get("no_image"):
            part, finish, out = {"text": "I cannot draw that."}, action.get("finish_reason", "STOP"), 0
        else:
            data = base64.b64encode(_picture(text, image.get("aspectRatio", "1:1"))).decode()
            part, finish = {"inlineData": {"mimeType": "image/png", "data": data}}, "STOP"
            out = PICTURE_TOKENS.get(image.get("imageSize") or "1K", 1120)
        return self._send(200, {"candidates": [{"content": {"role": "model", "parts": [part]}, "finishReason": finish,
                                                "index": 0}], "modelVersion": action.get("model_version", name),
                                "usageMetadata": _usage(prompt_tokens, 0, thoughts, out)})

    @staticmethod
    def _chunks(payload: str, finish: str, model: str, usage: dict, action: dict) -> list[dict]:
        """The answer as streamGenerateContent sends it: text slices with the running usage, the
        finish reason on the last (or, with usage_last, on the one before a usage-only last chunk)."""
        with STATE.lock:
            size = max(1, int(STATE.stream.get("chunk_tokens") or 20)) * CHARS_PER_TOKEN
        pieces = [payload[i:i + size] for i in range(0, len(payload), size)] or [""]
        version = action.get("model_version", model)
        out, written = [], 0
        for p in pieces:
            written += len(p)
            running = {**usage, "candidatesTokenCount": written // CHARS_PER_TOKEN}
            out.append({"candidates": [{"content": {"role": "model", "parts": [{"text": p}]}, "index": 0}],
                        "usageMetadata": running, "modelVersion": version})
        out[-1]["candidates"][0]["finishReason"] = finish
        out[-1]["usageMetadata"] = usage
        if action.get("usage_last"):
            out.append({"usageMetadata": usage, "modelVersion": version})
        return out

    def _stream(self, chunks: list[dict], record: dict, action: dict, thoughts: int = 0) -> None:
        """Server-sent events over chunked transfer, paced at the configured token rate; thinking
        takes its tokens' time before the first chunk."""
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
            if first_s or (rate and thoughts):
                time.sleep(first_s + (thoughts / rate if rate else 0))
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
            pass  # the client gave up (a deadline, a loop stopped, or a timeout test)


def serve(port: int, host: str = "127.0.0.1") -> ThreadingHTTPServer:
    return fake_server.serve(Handler, port, host)


if __name__ == "__main__":
    fake_server.main(Handler, __doc__)
