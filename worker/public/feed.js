// Follows a job's event stream with EventSource, across network loss, without handing an event on twice.
// EventSource retries a dropped connection by itself (sending Last-Event-ID), but gives up for good on
// an answer that is not a stream (the events function down: 502): then we open a new one after a pause,
// resuming with ?last_event_id=. Events at or below the last id seen are dropped.
const TYPES = ["status", "menu_data", "image_update", "error", "done"];
const MAX_PAUSE_MS = 8000;

export class Feed {
  /** url: the events URL with its access_token; onEvent(type, data); onState("live" | "reconnecting" | "closed"). */
  constructor(url, { onEvent, onState, check }) {
    this.url = url;
    this.onEvent = onEvent;
    this.onState = onState;
    this.check = check; // async () => an error message when the job cannot be read any more, else null
    this.lastId = 0;
    this.pause = 500;
    this.finished = false;
    this.source = null;
    this.timer = null;
    // Back online: try at once rather than wait out the pause (a live stream is left alone).
    this.reopenNow = () => this.source?.readyState !== EventSource.OPEN && this.reopen(0);
    window.addEventListener("online", this.reopenNow);
  }

  open() {
    const url = this.lastId ? `${this.url}&last_event_id=${this.lastId}` : this.url;
    const source = new EventSource(url);
    this.source = source;
    source.onopen = () => {
      this.pause = 500;
      this.onState("live");
    };
    source.onerror = () => {
      if (this.finished || source !== this.source) return;
      this.onState("reconnecting");
      if (source.readyState === EventSource.CLOSED) this.reopen(this.pause);
    };
    for (const type of TYPES) source.addEventListener(type, (e) => this.receive(type, e));
    // The server says it will close (its time limit): the browser reconnects with Last-Event-ID.
    source.addEventListener("timeout", () => this.onState("reconnecting"));
  }

  receive(type, e) {
    // A lost connection fires a plain "error" Event too; the stream's own error event is a MessageEvent.
    if (!(e instanceof MessageEvent)) return;
    const id = Number(e.lastEventId);
    if (id && id <= this.lastId) return; // a replay of what we have
    if (id) this.lastId = id;
    this.onEvent(type, JSON.parse(e.data));
    if (type === "done") this.close();
  }

  reopen(delay) {
    if (this.finished || this.timer) return;
    if (this.source) this.source.close();
    this.timer = setTimeout(async () => {
      this.timer = null;
      const problem = this.check ? await this.check() : null;
      if (problem) {
        this.close();
        this.onState("closed", problem);
        return;
      }
      this.pause = Math.min(this.pause * 2, MAX_PAUSE_MS);
      this.open();
    }, delay);
  }

  close() {
    this.finished = true;
    clearTimeout(this.timer);
    window.removeEventListener("online", this.reopenNow);
    if (this.source) this.source.close();
  }
}
