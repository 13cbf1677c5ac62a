// The scanning page: a photo in, the menu out as the events arrive. Uses /api/v2 as any new client must
// (docs/api-versions.md): a signed upload URL, a job, and its access token on every read.
import { Feed } from "./feed.js";
import { Job } from "./menu.js";
import { renderAllergenFilters, renderMenu, renderPages, renderPhotos, renderSteps, renderWaiter } from "./view.js";

const $ = (id) => document.getElementById(id);
const MAX_PAGES = 10; // the server's limit for one scan's photos (gcs_uris)
// photos: [{file, url}] in page order; a person adds them one at a time (each a camera shot) or several at once.
const state = { job: null, feed: null, avoid: new Set(), diet: "", chosen: new Set(), photos: [] };

/** The server's own words for a failed call: its JSON error message, GCS's XML <Message>, or the status. */
async function problem(resp) {
  const text = await resp.text();
  try {
    const body = JSON.parse(text);
    if (body?.error?.message) return body.error.message;
  } catch { /* not JSON */ }
  const xml = /<Message>([^<]*)<\/Message>(?:<Details>([^<]*)<\/Details>)?/.exec(text);
  if (xml) return [xml[1], xml[2]].filter(Boolean).join(" ");
  return `the server answered ${resp.status}`;
}

async function call(path, body) {
  const resp = await fetch(path, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  }).catch((exc) => { throw new Error(`The server could not be reached (${exc.message}).`); });
  if (!resp.ok) throw new Error(await problem(resp));
  return resp.json();
}

function say(text) {
  $("message").textContent = text;
}

function fail(text) {
  const box = $("error");
  box.textContent = text;
  box.hidden = !text;
}

function choose(files) {
  for (const file of files) {
    if (state.photos.length >= MAX_PAGES) {
      fail(`A scan takes up to ${MAX_PAGES} photos.`);
      break;
    }
    state.photos.push({ file, url: file.type.startsWith("image/") ? URL.createObjectURL(file) : null });
  }
  showPhotos();
}

function remove(index) {
  const [gone] = state.photos.splice(index, 1);
  if (gone?.url) URL.revokeObjectURL(gone.url);
  showPhotos();
}

function showPhotos() {
  renderPhotos(state.photos, $("photos"));
  const n = state.photos.length;
  $("start").disabled = !n || Boolean(state.feed);
  const kb = Math.ceil(state.photos.reduce((sum, p) => sum + p.file.size, 0) / 1024);
  say(n === 1 ? `${state.photos[0].file.name} (${kb} KB) is ready to scan.`
    : n ? `${n} pages (${kb} KB) are ready to scan, in this order.` : "");
}

/** One photo's signed upload URL (and its gcs_uri), refused here when the photo is too large. */
async function sign(file) {
  const signed = await call("/api/v2/uploads/signed-url", {
    content_type: file.type || "application/octet-stream",
    filename: file.name.slice(0, 255),
  });
  if (signed.max_bytes && file.size > signed.max_bytes) {
    throw new Error(`${file.name} is ${(file.size / 1048576).toFixed(1)} MB; the largest accepted is ${(signed.max_bytes / 1048576).toFixed(1)} MB.`);
  }
  return signed;
}

/** The photo stored where its signed URL says. */
async function put(file, signed) {
  const resp = await fetch(signed.upload_url, { method: "PUT", headers: signed.headers, body: file })
    .catch((exc) => { throw new Error(`The photo could not be sent to the upload server (${exc.message}).`); });
  if (!resp.ok) throw new Error(await problem(resp));
}

async function scan(event) {
  event.preventDefault();
  if (!state.photos.length || state.feed) return;
  const files = state.photos.map((p) => p.file);
  const language = $("language").value;
  fail("");
  $("start").disabled = true;
  $("progress").hidden = false;
  try {
    if (files.length === 1) {
      say("Uploading the photo…");
      const signed = await sign(files[0]);
      await put(files[0], signed);
      say("Starting the scan…");
      follow(await call("/api/v2/scan/jobs", { gcs_uri: signed.gcs_uri, user_preferences: { language } }), language);
      return;
    }
    // Several pages: the job first, then every upload at once, so the server reads each page as soon
    // as it lands, and a page that cannot be sent is left out (the others are read without it).
    say(`Preparing ${files.length} uploads…`);
    const signed = await Promise.all(files.map(sign));
    const job = await call("/api/v2/scan/jobs", { gcs_uris: signed.map((s) => s.gcs_uri), user_preferences: { language } });
    follow(job, language);
    const lost = [];
    files.forEach((file, i) => put(file, signed[i]).catch((exc) => {
      lost.push(i + 1);
      if (lost.length < files.length) {
        fail(`Page ${lost.join(", ")} could not be uploaded (${exc.message}); the other pages are read without it.`);
        return;
      }
      // Nothing reached the server: stop waiting for a scan that has no photo to read.
      state.feed?.close();
      state.feed = null;
      fail(`No page could be uploaded (${exc.message}). Please try again.`);
      say("");
      showPhotos();
    }));
  } catch (exc) {
    fail(exc.message);
    say("");
    $("start").disabled = false;
  }
}

function follow(created, language) {
  const job = new Job();
  state.job = job;
  const token = encodeURIComponent(created.access_token);
  const base = `/api/v2/scan/jobs/${encodeURIComponent(created.job_id)}`;
  $("results").hidden = false;
  say("Reading the menu…");
  state.feed = new Feed(`${base}/events?access_token=${token}`, {
    onEvent(type, data) {
      job.apply(type, data);
      if (type === "error") fail(data.message);
      if (type === "done") finished(job);
      draw(language);
    },
    onState(s, why) {
      $("connection").textContent = { live: "", reconnecting: "Connection lost; reconnecting…", closed: why || "" }[s];
      if (s === "closed") fail(why);
    },
    async check() {
      try {
        const resp = await fetch(base, { headers: { authorization: `Bearer ${created.access_token}` } });
        return resp.status >= 400 && resp.status < 500 && resp.status !== 429 ? await problem(resp) : null;
      } catch {
        return null; // offline: keep trying
      }
    },
  });
  state.feed.open();
}

function finished(job) {
  const d = job.done;
  const seconds = (d.summary?.elapsed_ms || 0) / 1000;
  say(d.status === "completed"
    ? `Done: ${d.summary?.items_count ?? job.items.size} dishes in ${seconds.toFixed(1)} s.`
    : "The scan did not finish.");
  state.feed = null;
  $("start").disabled = !state.photos.length;
}

function draw(language) {
  const job = state.job;
  renderSteps(job, $("steps"), $("bar"));
  renderPages(job, $("pages"));
  renderAllergenFilters(job.allergens, $("allergen-filters"), state.avoid);
  renderMenu(job, $("menu"), $("top3"), { avoid: state.avoid, diet: state.diet, chosen: state.chosen, locale: language });
  $("partial").hidden = !job.partial;
  $("partial").textContent = job.hint
    ? "From an earlier scan of a photo like this one; reading yours to check it."
    : "Still reading: more dishes are on their way.";
  $("waiter-open").disabled = !state.chosen.size;
}

function wire() {
  const input = $("photo");
  input.addEventListener("change", () => {
    choose([...input.files]);
    input.value = ""; // the same file may be added again, and the next shot adds to the list
  });
  $("photos").addEventListener("click", (e) => {
    if (e.target.dataset.remove !== undefined) remove(Number(e.target.dataset.remove));
  });
  const drop = $("drop");
  drop.addEventListener("dragover", (e) => {
    e.preventDefault();
    drop.classList.add("over");
  });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", (e) => {
    e.preventDefault();
    drop.classList.remove("over");
    if (e.dataTransfer.files.length) choose([...e.dataTransfer.files]);
  });
  $("scan-form").addEventListener("submit", scan);
  $("allergen-filters").addEventListener("change", (e) => {
    if (e.target.checked) state.avoid.add(e.target.value);
    else state.avoid.delete(e.target.value);
    if (state.job) draw($("language").value);
  });
  $("diet").addEventListener("change", (e) => {
    state.diet = e.target.value;
    if (state.job) draw($("language").value);
  });
  $("menu").addEventListener("change", (e) => {
    const id = e.target.dataset.itemId;
    if (!id) return;
    if (e.target.checked) state.chosen.add(id);
    else state.chosen.delete(id);
    $("waiter-open").disabled = !state.chosen.size;
  });
  $("waiter-open").addEventListener("click", () => {
    if (state.job && renderWaiter(state.job, state.chosen, $("waiter-list"))) $("waiter").showModal();
  });
  $("waiter-close").addEventListener("click", () => $("waiter").close());
  const select = $("language");
  const preferred = navigator.languages.map((l) => l.toLowerCase());
  const option = [...select.options].find((o) => preferred.includes(o.value.toLowerCase()))
    || [...select.options].find((o) => preferred.some((p) => p.split("-")[0] === o.value.split("-")[0]));
  if (option) select.value = option.value;
}

wire();
