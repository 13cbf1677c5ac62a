// The scanning page (worker/public/), served from this origin with a Content-Security-Policy that allows
// nothing else but the upload host. The files are text modules (wrangler.toml's rules), so the Worker
// that routes the API also serves the page, with the same headers devstack/gateway.py sets.
import indexHtml from "./public/index.html";
import appJs from "./public/app.js";
import feedJs from "./public/feed.js";
import menuJs from "./public/menu.js";
import viewJs from "./public/view.js";
import styleCss from "./public/style.css";
import faviconSvg from "./public/favicon.svg";

const JS = "text/javascript; charset=utf-8";
const FILES = {
  "/": [indexHtml, "text/html; charset=utf-8"],
  "/app.js": [appJs, JS],
  "/feed.js": [feedJs, JS],
  "/menu.js": [menuJs, JS],
  "/view.js": [viewJs, JS],
  "/style.css": [styleCss, "text/css; charset=utf-8"],
  "/favicon.svg": [faviconSvg, "image/svg+xml"],
};

// UPLOAD_ORIGIN: where signed upload URLs point (GCS_PUBLIC_ENDPOINT's origin); the page PUTs the photo there.
export function pageHeaders(uploadOrigin) {
  const connect = ["'self'", uploadOrigin].filter(Boolean).join(" ");
  return {
    "content-security-policy":
      "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' blob:; " +
      `connect-src ${connect}; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`,
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "cache-control": "no-cache",
  };
}

export function pageResponse(request, url, env) {
  const file = FILES[url.pathname === "/index.html" ? "/" : url.pathname];
  if (!file || !["GET", "HEAD"].includes(request.method)) return null;
  const [body, type] = file;
  const headers = { "content-type": type, ...pageHeaders(env.UPLOAD_ORIGIN) };
  return new Response(request.method === "HEAD" ? null : body, { headers });
}
