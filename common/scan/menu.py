"""The menu stage: the photo read into items (from the cache, or the engine with partial menus as it
writes), knowledge filling blanks, the top three chosen, and menu_data stored with the drawing's start."""
from __future__ import annotations

import time

from common.core import clock, logs, tracing
from common.core.sections import UploadSettings
from common.engines import Call
from common.jobs import payloads
from common.menu.items import MenuItem, finalise_top3
from common.scan import cache, knowledge, upload
from common.scan.engine import engine
from common.scan.hints import HintLookup
from common.scan.partials import Partials
from common.scan.state import RunState

log = logs.get_logger(__name__)


def generating(state: RunState, item: MenuItem) -> tuple[str, dict]:
    return "image_update", payloads.image_update(state.job_id, item.id, "generating", None)


def read(state: RunState, uploads: UploadSettings, prompt_version: str) -> None:
    """Read the menu and store menu_data (with `generating` for the pictures about to be drawn)."""
    partials = Partials(state)
    data, photo = upload.read(state, uploads, partials.events)
    state.cache_key = cache.key(data.data, state.language_used, prompt_version, state.engine_name)
    with tracing.span("cache.lookup") as sp:
        hit = cache.get(state.cache_key)
        if sp is not None:
            sp.set_attribute("cache.hit", bool(hit))
    if hit:
        _from_cache(state, hit)
    else:
        _from_engine(state, photo.jpeg, partials, prompt_version)
    publish(state, partials.events)


def publish(state: RunState, partials_sent: int) -> None:
    """Store the whole menu as menu_data, with `generating` for the pictures about to be drawn."""
    batch = []
    drawn = [i for i in state.items if i.is_top3]
    if drawn and not partials_sent:
        # After a partial menu no status may follow (docs/events.md, order): image_update
        # "generating" says the same, and the snapshot's progress moves on all the same.
        batch.append(("status", payloads.status("generating_images", "Drawing the top dishes", state.job_id)))
    batch.append(("menu_data", state.menu_event(partial=False)))
    if state.time_for_images():
        # Drawing starts as this commit lands: "generating" goes with it, at no extra write.
        batch += [generating(state, i) for i in drawn if not i.image_url]
    state.log.append_many(batch, job_fields=state.snapshot("running"))
    created = state.job.created_at
    log.info("menu read", engine=state.engine_name, items=len(state.items), used_cache=state.used_cache,
             time_to_menu_ms=int((clock.now() - created).total_seconds() * 1000) if created else None,
             partials=partials_sent, used_fallback=state.used_fallback, incomplete=state.incomplete,
             **state.timings)
    state.announced = True


def _from_cache(state: RunState, hit: dict) -> None:
    """An identical earlier scan's menu; its pictures are reused where they were drawn."""
    state.used_cache = True
    state.source_language = hit.get("source_language")
    state.items = [MenuItem(**i) for i in hit["items"]]
    state.unknown = sum(1 for i in state.items if not i.known)
    cached_urls = {i.id: i.image_url for i in state.items if i.image_status == "ready"}
    for item in state.items:
        item.image_status = "pending" if item.is_top3 else "none"
        item.image_url = cached_urls.get(item.id) if item.is_top3 else None
        item.image_error = None


def _from_engine(state: RunState, jpeg: bytes, partials: Partials, prompt_version: str) -> None:
    t0 = partials.started = time.monotonic()
    lookup = HintLookup(state, jpeg, prompt_version, partials.hint)  # beside the model call, not before it
    # A takeover continues after the dishes the dead run sent, rather than reading them again (never
    # after a hint's: those are another scan's reading).
    seed = [MenuItem(**i) for i in state.job.items] if state.job.items_partial and not state.job.items_hint else []
    call = Call(deadline=state.engine_deadline(), on_items=partials.offer, seed=seed)
    reading = None
    try:
        with tracing.span("model.read_menu", engine=state.engine_name, language=state.language_used) as sp:
            reading = engine().read_menu(jpeg, state.language_used, call)
            if sp is not None:
                sp.set_attribute("items", len(reading.items))
    finally:
        # An incomplete reading is no page to show a later re-shot of it.
        kept = reading.items if reading and not reading.incomplete else []
        lookup.keep(kept, reading.source_language if reading else None)
        state.used_fallback = state.used_fallback or call.used_fallback
        state.add_usage("menu", call.tokens)
        state.timings["vlm_ms"] = int((time.monotonic() - t0) * 1000)
    state.incomplete = reading.incomplete
    state.source_language = reading.source_language
    fill_known(state, reading.items)
    state.items = finalise_top3(reading.items)
    state.unknown = reading.unknown_items_count


def fill_known(state: RunState, items: list[MenuItem]) -> None:
    """Knowledge fills blanks, when the deadline has room for its read (it is optional)."""
    if state.settings.knowledge and state.remaining_s() > state.settings.deadline_reserve_s + 2 * knowledge.LOOKUP_TIMEOUT_S:
        with tracing.span("knowledge.fill", items=len(items)):
            knowledge.fill(items, state.language_used)


def keep_partial(state: RunState) -> bool:
    """A dead run's partial menu, past the deadline: the job completes with the dishes the phone has
    (incomplete) rather than failing; False when it sent none, or only a hint (another scan's menu)."""
    job = state.job
    hinted = {p["page"] for p in job.pages if p.get("hint") and p.get("status") != "completed"}
    shown = [i for i in job.items if i.get("page") not in hinted] if job.items_partial and not job.items_hint else None
    if not shown:
        return False
    for page in state.pages:
        if page.get("status") not in ("completed", "failed"):
            page.update(status="failed", error={"code": "DEADLINE", "message": "not read before the scan's deadline"})
    state.items, state.incomplete = finalise_top3([MenuItem(**i) for i in shown]), True
    state.log.append("menu_data", state.menu_event(partial=False), job_fields=state.snapshot("running"))
    return True
