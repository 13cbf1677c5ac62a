// A local stand-in for the Worker's R2 binding (env.ASSETS): get(key) from the stack's S3 server with a
// SigV4-signed GET, answered in the shape of an R2ObjectBody. Loaded by workerd as a wrapped binding
// (devstack/workerd.py), so worker/index.js runs unchanged. Reads only: the Worker never writes assets.
const enc = new TextEncoder();
const EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
const METADATA = ["content-type", "content-language", "content-disposition", "content-encoding", "cache-control", "expires"];

const hex = (buf) => [...new Uint8Array(buf)].map((b) => b.toString(16).padStart(2, "0")).join("");

async function hmac(key, text) {
  const raw = typeof key === "string" ? enc.encode(key) : key;
  const k = await crypto.subtle.importKey("raw", raw, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  return crypto.subtle.sign("HMAC", k, enc.encode(text));
}

async function authorization(env, url, amzDate) {
  const day = amzDate.slice(0, 8);
  const scope = `${day}/${env.region}/s3/aws4_request`;
  const signed = "host;x-amz-content-sha256;x-amz-date";
  const canonical = ["GET", url.pathname, "",
    `host:${url.host}\nx-amz-content-sha256:${EMPTY_SHA256}\nx-amz-date:${amzDate}\n`, signed, EMPTY_SHA256].join("\n");
  const digest = hex(await crypto.subtle.digest("SHA-256", enc.encode(canonical)));
  let key = await hmac("AWS4" + env.secret, day);
  for (const part of [env.region, "s3", "aws4_request"]) key = await hmac(key, part);
  const signature = hex(await hmac(key, ["AWS4-HMAC-SHA256", amzDate, scope, digest].join("\n")));
  return `AWS4-HMAC-SHA256 Credential=${env.keyId}/${scope}, SignedHeaders=${signed}, Signature=${signature}`;
}

class LocalBucket {
  constructor(env) {
    this.env = env;
  }

  async get(key) {
    const url = new URL(`${this.env.endpoint}/${this.env.bucket}/${key}`);
    const amzDate = new Date().toISOString().replace(/[-:]|\.\d{3}/g, "");
    const resp = await fetch(url, {
      headers: { "x-amz-date": amzDate, "x-amz-content-sha256": EMPTY_SHA256,
                 authorization: await authorization(this.env, url, amzDate) },
    });
    if (resp.status === 404) return null;
    if (resp.status !== 200) {
      const text = await resp.text();
      if (text.includes("NoSuchKey")) return null;
      throw new Error(`the S3 server answered ${resp.status}`);
    }
    return {
      key,
      body: resp.body,
      httpEtag: resp.headers.get("etag"),
      writeHttpMetadata(headers) {
        for (const h of METADATA) if (resp.headers.has(h)) headers.set(h, resp.headers.get(h));
      },
    };
  }
}

export default function makeBinding(env) {
  return new LocalBucket(env);
}
