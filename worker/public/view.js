// Draws the job (menu.js) into the page. Dish nodes are keyed by item id and reused, so a partial menu
// followed by the whole one, or a replay after a reconnect, never shows a dish twice. Text from the
// menu goes in as textContent only.
import { STEPS, visible } from "./menu.js";

const el = (tag, props = {}, ...children) => {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k === "class") node.className = v;
    else if (k === "text") node.textContent = v;
    else if (k.startsWith("data-") || k.startsWith("aria-") || k === "lang" || k === "for") node.setAttribute(k, v);
    else node[k] = v;
  }
  node.append(...children.filter((c) => c !== null && c !== undefined));
  return node;
};

const words = (code) => code.replaceAll("_", " ");

export function renderSteps(job, list, bar) {
  bar.value = job.progress;
  bar.textContent = `${job.progress}%`;
  const steps = job.steps.map((s, i) => {
    const current = i === job.steps.length - 1 && !job.done;
    return el("li", { class: current ? "step current" : "step", "data-step": s.step },
      el("strong", { text: STEPS[s.step] || words(s.step) }), " ", el("span", { text: s.message || "" }));
  });
  if (job.done) {
    const ok = job.done.status === "completed";
    steps.push(el("li", { class: "step", "data-step": "done" }, el("strong", { text: ok ? "Done" : "Stopped" }), " ",
      el("span", { text: ok ? `${job.items.size} dishes${job.done.summary?.incomplete ? " (the menu was not read to its end)" : ""}`
        : job.error?.message || "the scan failed" })));
  }
  list.replaceChildren(...steps);
}

const PAGE_STATES = {
  waiting: () => "waiting for its photo",
  reading: (p) => (p.hint ? "reading (showing what an earlier scan of it read)" : "reading…"),
  completed: (p) => `read: ${p.items_count} ${p.items_count === 1 ? "dish" : "dishes"}`,
  failed: (p) => `not read: ${p.error?.message || "it could not be read"}`,
};

/** A multi-page scan's pages, each as it stands; hidden for a one-photo scan. */
export function renderPages(job, list) {
  list.hidden = !job.pages.length;
  list.replaceChildren(...job.pages.map((p) => el("li", { class: `page page-${p.status}`, "data-page": p.page },
    el("strong", { text: `Page ${p.page}` }), " ", el("span", { text: (PAGE_STATES[p.status] || (() => p.status))(p) }))));
}

/** The photos chosen so far, in page order, each with a way to take it out. */
export function renderPhotos(photos, list) {
  list.replaceChildren(...photos.map((p, i) => el("li", { class: "photo" },
    p.url ? el("img", { src: p.url, alt: `Page ${i + 1}: ${p.file.name}` }) : null,
    el("span", { text: `Page ${i + 1}: ${p.file.name}` }),
    el("button", { type: "button", class: "remove", "data-remove": String(i), "aria-label": `Remove page ${i + 1}`, text: "Remove" }))));
}

function price(item, locale) {
  if (!item.price) return null;
  const node = el("p", { class: "price" }, el("span", { text: item.price }));
  if (item.currency) {
    let name = item.currency;
    try {
      name = new Intl.DisplayNames([locale], { type: "currency" }).of(item.currency) || item.currency;
    } catch { /* an unknown code: show it as it is */ }
    node.append(" ", el("abbr", { class: "currency", title: name, text: item.currency }));
  }
  return node;
}

function chips(item) {
  const tags = (item.tags || []).map((t) => el("li", { class: `chip tag tag-${t}`, text: words(t) }));
  const allergens = (item.allergens || []).map((a) => el("li", { class: "chip allergen", text: words(a) }));
  if (!tags.length && !allergens.length) return null;
  return el("ul", { class: "chips", "aria-label": "Tags and allergens" }, ...tags, ...allergens);
}

// Every picture is drawn, not photographed (image_kind "illustration"): it says so under the picture.
function picture(item) {
  const box = el("div", { class: `picture picture-${item.image_status}` });
  if (item.image_status === "ready" && item.image_url) {
    const img = el("img", { src: item.image_url, alt: `Illustration of ${item.translated_name}`, decoding: "async" });
    img.addEventListener("load", () => img.classList.add("loaded"), { once: true });
    box.append(img);
    return el("figure", { class: "picture-card" }, box,
      el("figcaption", { class: "image-kind", text: "Illustration · not a photo of this dish" }));
  } else if (item.image_status === "failed") {
    const why = item.image_error?.message || "the picture could not be drawn";
    box.append(el("p", { class: "image-failed", role: "note", text: `No picture: ${why}` }));
  } else if (item.image_status === "pending" || item.image_status === "generating") {
    box.append(el("p", { class: "image-wait", text: item.image_status === "generating" ? "Drawing…" : "Picture coming…" }));
  }
  return box;
}

function dishNode(item, chosen, locale) {
  const id = `choose-${item.id}`;
  const reading = [item.reading, item.romanji].filter(Boolean).join(" · ");
  return el("article", { class: item.is_top3 ? "dish top" : "dish", "data-item-id": item.id },
    item.is_top3 ? el("p", { class: "badge", text: "★ Top pick" }) : null,
    el("h4", { class: "translated", text: item.translated_name }),
    el("p", { class: "original", text: item.original_name }),
    reading ? el("p", { class: "reading", text: reading }) : null,
    price(item, locale),
    item.description ? el("p", { class: "description", text: item.description }) : null,
    chips(item),
    item.is_top3 ? picture(item) : null,
    el("p", { class: "choose" },
      el("input", { type: "checkbox", id, checked: chosen.has(item.id), "data-item-id": item.id }),
      el("label", { for: id, text: `Order this (${item.translated_name})` })));
}

// A dish node is redrawn only when what it shows changed: a loaded picture is not fetched again.
export function renderMenu(job, container, top, { avoid, diet, chosen, locale }) {
  const sections = job.sections.map(([name, items]) => {
    const list = el("div", { class: "dishes" }, ...items.map((item) => keyed(item, chosen, locale)));
    for (const node of list.children) node.hidden = !visible(job.items.get(node.dataset.itemId), avoid, diet);
    return el("section", { class: "menu-section" }, name ? el("h3", { text: name }) : null, list);
  });
  container.replaceChildren(...sections);
  top.replaceChildren(...job.top3.map((item) => el("li", { text: item.translated_name })));
}

const drawn = new Map(); // item id -> [signature, node]

function keyed(item, chosen, locale) {
  const signature = JSON.stringify(item) + chosen.has(item.id);
  const seen = drawn.get(item.id);
  if (seen && seen[0] === signature) return seen[1];
  const node = dishNode(item, chosen, locale);
  drawn.set(item.id, [signature, node]);
  return node;
}

export function renderAllergenFilters(allergens, fieldset, avoid) {
  const have = [...fieldset.querySelectorAll("input")].map((i) => i.value);
  if (have.join() === allergens.join()) return;
  fieldset.replaceChildren(el("legend", { text: "Hide dishes with" }), ...allergens.map((a) => {
    const id = `avoid-${a}`;
    return el("span", { class: "filter" },
      el("input", { type: "checkbox", id, value: a, checked: avoid.has(a) }), el("label", { for: id, text: words(a) }));
  }));
}

export function renderWaiter(job, chosen, list) {
  const items = [...job.items.values()].filter((i) => chosen.has(i.id));
  list.replaceChildren(...items.map((i) => el("li", {},
    el("span", { class: "waiter-name", text: i.original_name }), i.price ? el("span", { class: "waiter-price", text: i.price }) : null)));
  return items.length;
}
