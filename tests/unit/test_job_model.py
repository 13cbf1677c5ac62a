"""The job document's one model: every stored key has a field, F names each, old documents read back."""
from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from common.jobs.model import F, Job


def test_the_field_name_constants_are_exactly_the_models_fields():
    constants = {v for k, v in vars(F).items() if k.isupper()}
    assert constants == {f.name for f in dataclasses.fields(Job)}


def test_a_document_from_an_earlier_deploy_reads_back_with_defaults_and_unknown_keys_ignored():
    created = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
    job = Job.from_doc({"job_id": "a" * 32, "status": "running", "created_at": created, "items": None,
                        "vlm_ms": 1200, "some_future_field": True})
    assert (job.status, job.items, job.id_only_reads, job.last_seq, job.notify) == ("running", [], True, 0, {})
    assert job.created_at == created and not job.finished


def test_to_fields_names_only_what_is_asked_and_refuses_a_name_that_is_not_a_field():
    job = Job(job_id="b" * 32, status="completed", progress=100)
    assert job.to_fields(F.STATUS, F.PROGRESS) == {"status": "completed", "progress": 100}
    with pytest.raises(KeyError, match="not job fields: stauts"):
        job.to_fields("stauts")


def test_the_reader_language_is_the_one_the_engine_used_once_there_is_one():
    assert Job(job_id="c" * 32, language="繁體中文").reader_language == "繁體中文"
    assert Job(job_id="c" * 32, language="繁體中文", language_used="zh-TW").reader_language == "zh-TW"
