// The job as the page knows it, built from the event stream (docs/events.md). Pure state, no DOM:
// every menu_data replaces the items (a partial menu is every dish so far), keyed by item id.
export const STEPS = {
  uploading: "Photo received",
  analyzing: "Reading the menu",
  generating_images: "Drawing the top three",
  finalizing: "Finishing",
};

export class Job {
  constructor() {
    this.items = new Map(); // id -> item, in menu order
    this.steps = []; // [{step, message}], each step once
    this.progress = 0;
    this.partial = false;
    this.hint = false; // the dishes shown are an earlier scan's reading of a photo like this one, until read
    this.pages = []; // a multi-page scan's pages: [{page, status, items_count, error?, hint?}]
    this.language = null;
    this.error = null;
    this.done = null;
  }

  apply(type, data) {
    if (type === "status") {
      const known = this.steps.find((s) => s.step === data.step);
      if (known) known.message = data.message;
      else this.steps.push({ step: data.step, message: data.message });
      this.progress = Math.max(this.progress, data.progress || 0);
    } else if (type === "menu_data") {
      const before = this.items;
      this.items = new Map(data.items.map((item) => [item.id, mergeImage(item, before.get(item.id))]));
      this.partial = Boolean(data.is_partial);
      this.hint = Boolean(data.is_hint);
      this.pages = data.pages || this.pages;
      this.language = data.language || this.language;
    } else if (type === "image_update") {
      const item = this.items.get(data.item_id);
      if (item) {
        item.image_status = data.image_status;
        item.image_url = data.image_url;
        item.image_error = data.image_error || null;
        item.image_kind = data.image_kind || null;
      }
    } else if (type === "error") {
      this.error = data;
    } else if (type === "done") {
      this.done = data;
      this.pages = data.summary?.pages || this.pages;
      this.progress = 100;
    }
  }

  get top3() {
    return [...this.items.values()].filter((i) => i.is_top3);
  }

  /** Sections in menu order, each with its items: [[section or "", [item]]]. */
  get sections() {
    const out = new Map();
    for (const item of this.items.values()) {
      const key = item.section || "";
      if (!out.has(key)) out.set(key, []);
      out.get(key).push(item);
    }
    return [...out.entries()];
  }

  get allergens() {
    return [...new Set([...this.items.values()].flatMap((i) => i.allergens || []))].sort();
  }
}

// An image already announced keeps its state when a later menu_data (a replay) repeats the item.
function mergeImage(item, seen) {
  if (!seen || !["generating", "ready", "failed"].includes(seen.image_status)) return { ...item };
  if (item.image_status === "ready" || item.image_status === "failed") return { ...item };
  return { ...item, image_status: seen.image_status, image_url: seen.image_url, image_error: seen.image_error,
    image_kind: seen.image_kind };
}

/** Whether an item passes the filters: no avoided allergen, and the diet's tag when one is chosen. */
export function visible(item, avoid, diet) {
  if ((item.allergens || []).some((a) => avoid.has(a))) return false;
  if (diet === "vegan") return (item.tags || []).includes("vegan");
  if (diet === "vegetarian") return (item.tags || []).some((t) => t === "vegetarian" || t === "vegan");
  return true;
}
