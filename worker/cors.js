// CORS for /api/...: other web front ends may call the API from the origins listed in CORS_ORIGINS
// (space- or comma-separated, exact "scheme://host[:port]"). The page itself is same-origin and needs none.
// No credentials mode: reads carry a bearer access token, never a cookie. devstack/gateway.py answers alike.
const ALLOW_HEADERS = "authorization, content-type, idempotency-key, last-event-id, traceparent, x-request-id";
const EXPOSE_HEADERS = "retry-after, x-request-id, x-job-id";
const MAX_AGE_S = "600";

export function allowedOrigin(request, env) {
  const origin = request.headers.get("origin");
  if (!origin) return null;
  const allowed = (env.CORS_ORIGINS || "").split(/[\s,]+/).filter(Boolean);
  return allowed.includes(origin) ? origin : null;
}

export function corsHeaders(origin) {
  return {
    "access-control-allow-origin": origin,
    "access-control-expose-headers": EXPOSE_HEADERS,
    vary: "Origin",
  };
}

export function preflight(request, origin, methods, error) {
  const asked = request.headers.get("origin") || "";
  if (!origin) return error(403, "CORS_ORIGIN_NOT_ALLOWED", `origin ${asked || "(none)"} is not in CORS_ORIGINS`);
  const method = request.headers.get("access-control-request-method");
  if (!methods.includes(method)) {
    return error(405, "METHOD_NOT_ALLOWED", `${method} is not allowed on this route (allowed: ${methods.join(", ")})`);
  }
  return new Response(null, {
    status: 204,
    headers: {
      ...corsHeaders(origin),
      "access-control-allow-methods": methods.join(", "),
      "access-control-allow-headers": ALLOW_HEADERS,
      "access-control-max-age": MAX_AGE_S,
    },
  });
}
