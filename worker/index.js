// The public origin. Routes /api/v1/... and /api/v2/... to the function that owns each route (worker/routes.json,
// with the URLs deploy.sh writes to worker/origins.json) and serves /assets/... from the R2 bucket
// bound as ASSETS. devstack/gateway.py does the same locally from the same table.
import table from "./routes.json";
import origins from "./origins.json";

const routes = table.routes.map((r) => ({
  method: r.method,
  re: new RegExp("^" + r.path.replace(/\{[a-z_]+\}/g, "[^/]+") + "/?$"),
  origin: origins[r.function],
}));
const assetKey = new RegExp(table.asset_key_pattern);

const error = (status, code, message) =>
  new Response(JSON.stringify({ error: { code, message } }), {
    status,
    headers: { "content-type": "application/json" },
  });

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    if (url.pathname.startsWith(table.assets_prefix)) {
      const key = url.pathname.slice(table.assets_prefix.length);
      if (!["GET", "HEAD"].includes(request.method)) return error(405, "METHOD_NOT_ALLOWED", "assets are read-only");
      if (!assetKey.test(key)) return error(404, "NOT_FOUND", "no such asset");
      const object = await env.ASSETS.get(key);
      if (!object) return error(404, "NOT_FOUND", "no such asset");
      const headers = new Headers();
      object.writeHttpMetadata(headers); // content-type and cache-control as stored
      headers.set("etag", object.httpEtag);
      return new Response(request.method === "HEAD" ? null : object.body, { headers });
    }
    let path;
    try {
      path = decodeURIComponent(url.pathname);
    } catch {
      return error(400, "INVALID_REQUEST", "the request path is not valid percent-encoding");
    }
    // No route has control characters; refused here so no server's plain-text 404 leaks out.
    if (/[\u0000-\u001f\u007f]/.test(path)) return error(400, "INVALID_REQUEST", "the request path contains control characters");
    const matches = routes.filter((r) => r.re.test(url.pathname));
    if (!matches.length) return error(404, "NOT_FOUND", `no route for ${url.pathname}`);
    const route = matches.find((r) => r.method === request.method);
    if (!route) return error(405, "METHOD_NOT_ALLOWED", `${request.method} is not allowed on ${url.pathname}`);
    const headers = new Headers(request.headers);
    // Only the Worker may say who the client is and that the request came through it.
    for (const h of ["x-origin-secret", "x-client-ip", "x-internal-secret"]) headers.delete(h);
    headers.set("x-request-id", headers.get("cf-ray") || crypto.randomUUID());
    const clientIp = request.headers.get("cf-connecting-ip") || "";
    headers.set("x-forwarded-for", clientIp);
    headers.set("x-client-ip", clientIp);
    // A Worker secret (wrangler secret put ORIGIN_SECRET), also set on the functions as ORIGIN_SECRET.
    if (env.ORIGIN_SECRET) headers.set("x-origin-secret", env.ORIGIN_SECRET);
    // The body streams through in both directions: SSE frames are not buffered.
    return fetch(route.origin + url.pathname + url.search, {
      method: request.method,
      headers,
      body: ["GET", "HEAD"].includes(request.method) ? undefined : request.body,
    });
  },
};
