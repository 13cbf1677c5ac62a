// Request bodies at the edge: bounded per route before they are read, and held in memory only when
// the request may be sent again (routes.json `body` and `replay`; devstack/gateway.py does the same).
// A Worker instance has 128 MB for every request it serves: a body it buffered whole before looking
// at its size (a 100 MB POST, a few at once) would end every stream the instance serves.
//
//   json    64 KiB, as the functions take (common/api/bodies.py)
//   photo   the compatibility stream's inline photo: MAX_UPLOAD_BYTES as base64, plus 64 KiB of JSON
//
// A declared Content-Length over the bound is refused at once; a body without one is counted as it
// arrives and refused as soon as it passes the bound. A body that may be sent again is read into
// memory up to `replay_buffer_bytes`; past that (only a large photo), and for every request that is
// never sent again, it streams through to the function, counted on the way.

export class BodyTooLarge extends Error {
  constructor(limit) {
    super(`the request body is over ${limit} bytes`);
    this.name = "BodyTooLarge";
    this.limit = limit;
  }
}

export function bodyLimit(table, route, env) {
  const framing = table.body_limits.framing;
  if (route.body === "photo") {
    const maxUpload = Number.parseInt(env.MAX_UPLOAD_BYTES ?? "", 10);
    return Math.floor(((Number.isFinite(maxUpload) ? maxUpload : table.body_limits.photo_default) * 4) / 3) + framing;
  }
  return table.body_limits.json;
}

// What to send upstream: {body, replayable, over}, or throws BodyTooLarge. `body` is an ArrayBuffer when
// it was held whole (it can be sent again), else a counting ReadableStream (it cannot), which errors
// once the bound is passed: then `over()` is true, whatever error the upstream fetch reports for it.
export async function boundedBody(request, limit, hold, holdMax) {
  const declared = request.headers.get("content-length");
  if (declared !== null && Number(declared) > limit) throw new BodyTooLarge(limit);
  const never = () => false;
  if (!request.body) return { body: undefined, replayable: true, over: never };
  const reader = request.body.getReader();
  const chunks = [];
  let size = 0;
  if (hold) {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return { body: concat(chunks, size), replayable: true, over: never };
      size += value.byteLength;
      if (size > limit) {
        reader.cancel().catch(() => {});
        throw new BodyTooLarge(limit);
      }
      chunks.push(value);
      if (size > holdMax) break; // too large to hold: the rest streams through
    }
  }
  const state = { over: false };
  return { body: counted(chunks, size, reader, limit, state), replayable: false, over: () => state.over };
}

function counted(first, size, reader, limit, state) {
  let sent = size;
  const pending = [...first];
  return new ReadableStream({
    async pull(controller) {
      if (pending.length) return controller.enqueue(pending.shift());
      const { done, value } = await reader.read();
      if (done) return controller.close();
      sent += value.byteLength;
      if (sent > limit) {
        state.over = true;
        reader.cancel().catch(() => {});
        return controller.error(new BodyTooLarge(limit));
      }
      controller.enqueue(value);
    },
    cancel(reason) {
      return reader.cancel(reason);
    },
  });
}

function concat(chunks, size) {
  const out = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out.buffer;
}
