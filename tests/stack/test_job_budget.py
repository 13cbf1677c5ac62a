"""The daily job budget cannot be spent by one caller: a job needs an upload the server signed, a caller
has a day of its own (an IPv6 caller by its /48), and part of the budget is kept for light callers."""
from __future__ import annotations

import hashlib
import hmac
import timeit
import uuid

import pytest

from common.api.auth import Caller

JPEG = b"\xff\xd8\xff" + b"0" * 100


def _create(api, gcs_uri: str, ip: str):
    return api.http.post("/api/v1/scan/jobs", json={"gcs_uri": gcs_uri, "user_preferences": {"language": "繁體中文"}},
                         headers={"CF-Connecting-IP": ip})


@pytest.fixture
def create_job_with(stack):
    """Restart create-job with these settings (names as the environment spells them); restored after."""
    yield lambda **env: stack.restart("create-job", env={k: str(v) for k, v in env.items()})
    stack.restart("create-job")


# -- bound to an upload the server signed ------------------------------------------------------------
def test_a_gcs_uri_of_the_right_shape_that_the_server_never_issued_makes_no_job(api, stack):
    forged = [f"gs://menu-uploads/uploads/{uuid.uuid4().hex}.jpg",  # the shape every name had before tags
              f"gs://menu-uploads/uploads/{uuid.uuid4().hex}-{'0' * 16}.jpg"]
    # A tag made under a key that is not the deployment's.
    upload_id = uuid.uuid4().hex
    tag = hmac.new(b"not-the-key", f"upload\nmenu-uploads\n{upload_id}.jpg".encode(), hashlib.sha256).hexdigest()
    forged.append(f"gs://menu-uploads/uploads/{upload_id}-{tag[:16]}.jpg")
    # A signed name moved to another extension keeps nothing of its tag.
    signed = api.signed_url()["gcs_uri"]
    forged.append(signed[:-4] + ".png")
    for uri in forged:
        r = _create(api, uri, "198.18.2.1")
        assert r.status_code == 400 and r.json()["error"]["code"] == "INVALID_GCS_URI", (uri, r.text)
    assert _create(api, signed, "198.18.2.1").status_code == 201


def test_names_made_under_the_previous_key_are_taken_during_a_rotation(api, stack):
    signed = api.signed_url()["gcs_uri"]  # named under the stack's key
    stack.restart("create-job", env={"UPLOAD_NAME_SECRETS": f"{uuid.uuid4().hex} {stack.upload_name_secret}"})
    try:
        assert _create(api, signed, "198.18.2.2").status_code == 201
    finally:
        stack.restart("create-job")


def test_checking_a_names_tag_costs_microseconds_not_a_round_trip(stack):
    from common.gcp import upload_names
    from common.jobs import ids

    _, name = upload_names.issue("menu-uploads", "jpg")
    uri = f"gs://menu-uploads/{name}"
    per_call_s = min(timeit.repeat(lambda: ids.parse_gcs_uri(uri), number=2000, repeat=3)) / 2000
    print(f"\nparse_gcs_uri with the tag check: {per_call_s * 1e6:.1f} µs a call")
    assert per_call_s < 0.001  # a thousandth of the app's create-job round trip, at the very least


# -- a caller's day --------------------------------------------------------------------------------
def test_an_ipv6_caller_is_limited_by_its_48_when_it_makes_jobs():
    a, b, c = Caller("2001:db8:1:2::1"), Caller("2001:db8:1:ffff::1"), Caller("2001:db8:2:2::1")
    assert a.key != b.key and a.wide_key == b.wide_key != c.wide_key
    assert Caller("203.0.113.9").wide_key == Caller("203.0.113.9").key and Caller("x", "u").wide_key == "user:u"


def test_a_caller_past_its_daily_cap_is_refused_until_midnight_utc_across_its_whole_48(api, stack, create_job_with):
    create_job_with(DAILY_JOB_CAP_PER_CALLER=3)
    made = [_create(api, api.upload(JPEG), ip).status_code
            for ip in ("2001:db8:77:1::1", "2001:db8:77:2::1", "2001:db8:77:3::1")]
    assert made == [201] * 3
    r = _create(api, api.upload(JPEG), "2001:db8:77:4::9")  # another /64 of the same /48
    assert r.status_code == 429 and r.json()["error"]["code"] == "DAILY_LIMIT_REACHED", r.text
    assert 0 < int(r.headers["retry-after"]) <= 86_401
    assert _create(api, api.upload(JPEG), "2001:db8:78::1").status_code == 201  # another /48: its own day


def test_a_callers_day_counts_every_page_of_its_multi_page_scans(api_v2, stack, create_job_with):
    create_job_with(DAILY_JOB_CAP_PER_CALLER=3)
    def scan(pages: int):
        uris = [api_v2.upload(JPEG) for _ in range(pages)]
        return api_v2.http.post("/api/v2/scan/jobs", json={"gcs_uris": uris, "user_preferences": {"language": "en"}},
                                headers={"CF-Connecting-IP": "198.18.9.1"})

    assert scan(3).status_code == 201  # the caller's three photos for today, in one scan
    over = _create(api_v2, api_v2.upload(JPEG), "198.18.9.1")
    assert over.status_code == 429 and over.json()["error"]["code"] == "DAILY_LIMIT_REACHED", over.text
    assert scan(2).status_code == 429


def test_part_of_the_budget_is_kept_for_callers_under_their_usual_volume(api, stack, create_job_with):
    create_job_with(DAILY_JOB_BUDGET=10, DAILY_JOB_RESERVE=0.5, DAILY_JOB_LIGHT_CALLER=3)
    heavy = [_create(api, api.upload(JPEG), "198.18.5.5").status_code for _ in range(6)]
    # Five of ten jobs are anyone's; past them, a caller with three or more jobs today is refused.
    assert heavy[:5] == [201] * 5 and heavy[5] == 429, heavy
    light = [_create(api, api.upload(JPEG), f"198.18.6.{n}").status_code for n in range(1, 7)]
    assert light == [201] * 5 + [429], light  # the reserve: five more, then the budget is spent


def test_each_page_of_a_multi_page_scan_counts_against_the_budget_as_one_photo(api_v2, stack, create_job_with):
    create_job_with(DAILY_JOB_BUDGET=4)
    pages = [api_v2.upload(JPEG) for _ in range(3)]
    made = api_v2.http.post("/api/v2/scan/jobs", json={"gcs_uris": pages, "user_preferences": {"language": "en"}},
                            headers={"CF-Connecting-IP": "198.18.7.1"})
    assert made.status_code == 201, made.text
    # Three of four photos spent by one job: one more photo, then the budget is spent.
    assert _create(api_v2, api_v2.upload(JPEG), "198.18.7.2").status_code == 201
    refused = _create(api_v2, api_v2.upload(JPEG), "198.18.7.3")
    assert refused.status_code == 429 and refused.json()["error"]["code"] == "DAILY_BUDGET_SPENT"


def test_a_multi_page_scan_that_would_pass_the_budget_is_refused_and_a_single_photo_still_fits(
        api_v2, stack, create_job_with):
    create_job_with(DAILY_JOB_BUDGET=4)
    assert [_create(api_v2, api_v2.upload(JPEG), f"198.18.8.{n}").status_code for n in (1, 2)] == [201, 201]
    pages = [api_v2.upload(JPEG) for _ in range(3)]
    over = api_v2.http.post("/api/v2/scan/jobs", json={"gcs_uris": pages, "user_preferences": {"language": "en"}},
                            headers={"CF-Connecting-IP": "198.18.8.3"})
    assert over.status_code == 429 and over.json()["error"]["code"] == "DAILY_BUDGET_SPENT"  # 2 + 3 > 4
    assert _create(api_v2, api_v2.upload(JPEG), "198.18.8.4").status_code == 201
