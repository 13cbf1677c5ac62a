"""The extraction stage: a profile other than menu reads the photo into one JSON document, checked
against the profile's schema and sent as one `result` event in done's commit."""
from __future__ import annotations

import json
import time

from common.core import logs, text, tracing
from common.core.errors import ScanError
from common.core.sections import UploadSettings
from common.engines import Call
from common.jobs.model import F
from common.profiles import builtin, schemas
from common.scan import finish, upload
from common.scan.engine import engine
from common.scan.state import RunState

log = logs.get_logger(__name__)


def extract(state: RunState, uploads: UploadSettings) -> None:
    profile = state.profile
    _, photo = upload.read(state, uploads, 0)
    call = Call(deadline=state.engine_deadline())
    t0 = time.monotonic()
    try:
        with tracing.span("model.extract", engine=state.engine_name, profile=profile.id, version=profile.version):
            data = engine().extract(photo.jpeg, profile, state.language_used, call)
    finally:
        state.used_fallback = state.used_fallback or call.used_fallback
        state.timings["vlm_ms"] = int((time.monotonic() - t0) * 1000)
    data = text.clean(data)  # a lone surrogate in the answer would fail done's write
    # An engine's answer is checked where it is made; this is the last guard, before and after the
    # server's own additions (which read the answer's fields).
    for stage in ("answer", "result"):
        problems = schemas.validate_result(data, profile.schema)
        if problems:
            raise ScanError("RESULT_INVALID", f"the {stage} does not match the profile's schema: "
                            + "; ".join(problems), recoverable=True)
        if stage == "answer":
            data = builtin.finish(profile, data, state.settings.bookshelf_review_threshold)
    raw = json.dumps(data, ensure_ascii=False)
    if len(raw.encode()) > schemas.MAX_RESULT_BYTES:
        raise ScanError("RESULT_TOO_LARGE", f"the result is over {schemas.MAX_RESULT_BYTES} bytes")
    result = {"session_id": state.job_id, "profile": profile.id, "version": profile.version, "data": data}
    log.info("result read", engine=state.engine_name, profile=profile.id, version=profile.version,
             bytes=len(raw), **state.timings)
    # Stored as text: a result may hold what a Firestore map cannot (arrays of arrays, odd keys).
    finish.complete(state, extra=[("result", result)], fields={F.RESULT_JSON: raw})
