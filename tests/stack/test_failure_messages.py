"""A failure always fits where it is stored: every stored message is bounded, however large the answer
it quotes, so a job that fails is recorded failed at once instead of retried with more model calls."""
from __future__ import annotations

from common.core.errors import ScanError
from common.profiles import builtin, schemas

MAX_MESSAGE_CHARS = 500  # common/core/text.py: what a stored message may hold


def test_a_scan_errors_message_is_bounded_whatever_it_quotes():
    err = ScanError("RESULT_INVALID", "the answer does not match: " + "x" * 400_000)
    assert len(err.message) <= MAX_MESSAGE_CHARS and err.message.startswith("the answer does not match: xxx")
    assert str(len("the answer does not match: ") + 400_000) in err.message  # it says how long it was


def test_schema_problems_quote_a_bounded_part_of_the_value():
    problems = schemas.validate_result({"title": "t", "ingredients": [], "steps": "s" * 100_000},
                                       builtin.RECIPE_SCHEMA)
    assert len(problems) == 1 and len(problems[0]) <= 160 and problems[0].startswith("steps:")


def test_a_profile_answer_of_600_kb_that_fails_its_schema_fails_the_job_once_with_a_bounded_message(
        api, stack, monkeypatch, menu_photo):
    from common.api import admission, schemas as requests
    from common.jobs import create, store
    from common.scan import extract, run

    gcs_uri = api.upload(menu_photo)  # uploaded before the job exists: no finalize event runs it
    bucket, _, name = gcs_uri.removeprefix("gs://").partition("/")
    new = admission.new_job(requests.CreateJobRequest(gcs_uri=gcs_uri, profile="recipe"), bucket, name, "v2")
    job = create.create(new, profile=builtin.BUILTIN["recipe"]).job
    real = extract.engine()
    calls = []

    class Answers:
        """The engine, answering every extraction with 600 KB of the wrong types: quoted whole, twice
        on the job document, the failure would be past Firestore's 1 MiB and could not be written."""

        def extract(self, jpeg, profile, language, call):
            calls.append(profile.id)
            return {"title": ["t" * 300_000], "ingredients": "i" * 300_000, "steps": []}

        def __getattr__(self, name):
            return getattr(real, name)

    monkeypatch.setattr(extract, "engine", lambda: Answers())
    assert run.run_job(job.job_id, "task") == "failed"
    stored = store.get(job.job_id)
    assert stored.status == "failed" and stored.error["code"] == "RESULT_INVALID"
    assert len(stored.error["message"]) <= MAX_MESSAGE_CHARS and calls == ["recipe"]
    assert run.run_job(job.job_id, "task") == "finished"  # a second delivery finds it done: no model call
    assert calls == ["recipe"]
