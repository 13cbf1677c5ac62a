// The public origin. Routes /api/v1/... and /api/v2/... to the function that owns each route (worker/routes.json,
// with the URLs deploy.sh writes to worker/origins.json), serves /assets/... from the R2 bucket bound as ASSETS,
// and the scanning page (worker/public/) at /. devstack/gateway.py does the same locally from the same table;
// the local stack runs this file itself under workerd (devstack/workerd.py).
import table from "./routes.json";
import origins from "./origins.json";
import { allowedOrigin, corsHeaders, preflight } from "./cors.js";
import { pageResponse } from "./page.js";
import { BodyTooLarge, bodyLimit, boundedBody } from "./bodies.js";

const routes = table.routes.map((r) => ({
  method: r.method,
  re: new RegExp("^" + r.path.replace(/\{[a-z_]+\}/g, "[^/]+") + "/?$"),
  origin: origins[r.function],
  replay: r.replay,
  body: r.body,
}));
// Sends of one request when its connection fails before any answer: a pooled connection the function
// had just closed as idle is the usual cause (gunicorn ends keep-alive after 2 s; seen under 200 jobs at
// once as "closed before message completed" and as "Connection reset by peer").
const SENDS = table.sends;
const assetKey = new RegExp(table.asset_key_pattern);

const error = (status, code, message) =>
  new Response(JSON.stringify({ error: { code, message } }), {
    status,
    headers: { "content-type": "application/json" },
  });

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    if (url.pathname.startsWith(table.assets_prefix)) return asset(request, env, url);
    let path;
    try {
      path = decodeURIComponent(url.pathname);
    } catch {
      return error(400, "INVALID_REQUEST", "the request path is not valid percent-encoding");
    }
    // No route has control characters; refused here so no server's plain-text 404 leaks out.
    if (/[\u0000-\u001f\u007f]/.test(path)) return error(400, "INVALID_REQUEST", "the request path contains control characters");
    const page = pageResponse(request, url, env);
    if (page) return page;
    const matches = routes.filter((r) => r.re.test(url.pathname));
    if (!matches.length) return error(404, "NOT_FOUND", `no route for ${url.pathname}`);
    const origin = allowedOrigin(request, env);
    if (request.method === "OPTIONS" && request.headers.has("access-control-request-method")) {
      return preflight(request, origin, matches.map((r) => r.method), error);
    }
    const route = matches.find((r) => r.method === request.method);
    const response = route
      ? await forward(request, env, url, route)
      : error(405, "METHOD_NOT_ALLOWED", `${request.method} is not allowed on ${url.pathname}`);
    if (!origin) return response;
    // A fetch() response's headers are immutable; the copy keeps streaming the same body.
    const out = new Response(response.body, response);
    for (const [k, v] of Object.entries(corsHeaders(origin))) out.headers.set(k, v);
    return out;
  },
};

// Headers only the Worker may set: who the client is, that the request came through the Worker, the
// Worker's own keys, and which request and trace this is. Whatever a client sends of them is dropped.
const WORKER_ONLY = ["x-origin-secret", "x-client-ip", "x-internal-secret", "x-forwarded-for", "x-edge-request-key",
  "x-edge-send", "x-client-request-id", "x-client-traceparent", "x-cloud-trace-context", "tracestate"];
const REQUEST_ID = /^[A-Za-z0-9._:/-]{1,128}$/;

async function forward(request, env, url, route) {
  const headers = new Headers(request.headers);
  for (const h of WORKER_ONLY) headers.delete(h);
  // The request id and the trace are minted here (docs/observability.md): the logs and spans of a
  // request are never under an id or trace a client chose. A client's own id goes on as
  // X-Client-Request-Id (logged as client_request_id), its trace as X-Client-Traceparent (a link).
  // Whether a trace is sampled is ours to say (TRACE_SAMPLE_RATIO); the functions follow it.
  const clientId = request.headers.get("x-request-id");
  if (clientId && REQUEST_ID.test(clientId)) headers.set("x-client-request-id", clientId);
  headers.set("x-request-id", (request.cf && request.headers.get("cf-ray")) || crypto.randomUUID());
  const clientTrace = validTraceparent(request.headers.get("traceparent"));
  if (clientTrace) headers.set("x-client-traceparent", clientTrace);
  headers.set("traceparent", edgeTraceparent(env));
  const clientIp = request.headers.get("cf-connecting-ip") || "";
  headers.set("x-forwarded-for", clientIp);
  headers.set("x-client-ip", clientIp);
  // A Worker secret (wrangler secret put ORIGIN_SECRET), also set on the functions as ORIGIN_SECRET.
  if (env.ORIGIN_SECRET) headers.set("x-origin-secret", env.ORIGIN_SECRET);
  // A write is sent again only where its repeat converges (routes.json `replay`, RFC 9110 9.2.2). A
  // create-job POST without an Idempotency-Key gets a key of the Worker's own, which names the job it
  // makes: a repeat of a request the function did carry out answers with that job, not a second. A
  // function honours that key only with ORIGIN_SECRET set: without it, no key, and no repeat.
  const edgeKey = route.replay === "keyed" && !headers.has("idempotency-key") && Boolean(env.ORIGIN_SECRET);
  const replayable = ["GET", "HEAD"].includes(request.method) || route.replay === "safe" ||
    (route.replay === "keyed" && (edgeKey || headers.has("idempotency-key")));
  if (edgeKey) headers.set("x-edge-request-key", randomHex(32));
  // Responses stream through unbuffered (SSE frames too). A request body is bounded first
  // (worker/bodies.js), and held in memory only when it may be sent again.
  let sending = { body: undefined, replayable: true, over: () => false };
  if (!["GET", "HEAD"].includes(request.method)) {
    try {
      sending = await boundedBody(request, bodyLimit(table, route, env), replayable, table.replay_buffer_bytes);
    } catch (exc) {
      if (exc instanceof BodyTooLarge) return error(413, "BODY_TOO_LARGE", exc.message);
      throw exc;
    }
  }
  for (let send = 1; ; send++) {
    if (edgeKey) headers.set("x-edge-send", String(send));
    try {
      return await fetch(route.origin + url.pathname + url.search, { method: request.method, headers, body: sending.body });
    } catch (exc) {
      if (sending.over()) return error(413, "BODY_TOO_LARGE", `the request body is over ${bodyLimit(table, route, env)} bytes`);
      // The error's name only: its message could quote the URL, whose query may hold an access token.
      const again = replayable && sending.replayable && send < SENDS;
      console.error(JSON.stringify({ message: again ? "upstream failed, sending again" : "upstream failed",
        method: request.method, path: url.pathname, send, error: exc.name }));
      if (!again) return error(502, "BAD_GATEWAY", `upstream unavailable: ${exc.name}`);
    }
  }
}

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}$/;

const randomHex = (n) => [...crypto.getRandomValues(new Uint8Array(n))].map((b) => b.toString(16).padStart(2, "0")).join("");

// A client's traceparent when it is well-formed (W3C: a malformed one is ignored), else null.
function validTraceparent(sent) {
  const value = (sent || "").trim().toLowerCase();
  const m = TRACEPARENT.exec(value);
  return m && !/^0+$/.test(m[1]) && !/^0+$/.test(m[2]) ? value : null;
}

function edgeTraceparent(env) {
  const ratio = Number.parseFloat(env.TRACE_SAMPLE_RATIO ?? "1");
  const sampled = Math.random() < (Number.isFinite(ratio) ? ratio : 1);
  return `00-${randomHex(16)}-${randomHex(8)}-${sampled ? "01" : "00"}`;
}

async function asset(request, env, url) {
  const key = url.pathname.slice(table.assets_prefix.length);
  if (!["GET", "HEAD"].includes(request.method)) return error(405, "METHOD_NOT_ALLOWED", "assets are read-only");
  if (!assetKey.test(key)) return error(404, "NOT_FOUND", "no such asset");
  let object;
  try {
    object = await env.ASSETS.get(key);
  } catch (exc) {
    console.error(JSON.stringify({ message: "asset store failed", key, error: exc.name }));
    return error(502, "BAD_GATEWAY", `asset store unavailable: ${exc.name}`);
  }
  if (!object) return error(404, "NOT_FOUND", "no such asset");
  const headers = new Headers();
  object.writeHttpMetadata(headers); // content-type and cache-control as stored
  headers.set("etag", object.httpEtag);
  return new Response(request.method === "HEAD" ? null : object.body, { headers });
}
