"""The local GCS front refuses what Cloud Storage refuses, so an upload that passes here passes there."""
from __future__ import annotations

import datetime as dt
import json
import re

import httpx
import pytest

from devstack.stack import UPLOAD_BUCKET


def _xml_code(r: httpx.Response) -> str:
    assert r.headers["content-type"].startswith("application/xml"), r.headers
    m = re.search(rb"<Code>([A-Za-z]+)</Code>", r.content)
    assert m, r.content
    return m.group(1).decode()


def _sign(stack, headers: dict, *, now=None, expires_s=900, name="uploads/" + "ab" * 16 + ".jpg") -> str:
    from common.gcp import signing

    return signing.signed_url(bucket=UPLOAD_BUCKET, name=name, method="PUT", expires_s=expires_s, headers=headers,
                              endpoint=stack.gcs_public_url, key_file=str(stack.workdir / "signing-key.json"), now=now)


def _stored(stack, name: str) -> httpx.Response:
    return httpx.get(f"http://127.0.0.1:{stack.ports.gcs}/storage/v1/b/{UPLOAD_BUCKET}/o/{name.replace('/', '%2F')}")


def test_a_correctly_signed_put_is_stored_with_its_signed_content_type(stack, menu_photo):
    url = _sign(stack, {"Content-Type": "image/jpeg"}, name="uploads/" + "0f" * 16 + ".jpg")
    r = httpx.put(url, content=menu_photo, headers={"Content-Type": "image/jpeg"})
    assert r.status_code == 200, r.text
    meta = _stored(stack, "uploads/" + "0f" * 16 + ".jpg").json()
    assert meta["contentType"] == "image/jpeg" and int(meta["size"]) == len(menu_photo)


def test_a_tampered_signature_is_signature_does_not_match(stack, menu_photo):
    url = _sign(stack, {"Content-Type": "image/jpeg"})
    sig = url.rsplit("=", 1)[1]
    tampered = url[: -len(sig)] + ("0" if sig[0] != "0" else "1") + sig[1:]
    r = httpx.put(tampered, content=menu_photo, headers={"Content-Type": "image/jpeg"})
    assert r.status_code == 403 and _xml_code(r) == "SignatureDoesNotMatch"
    assert b"<StringToSign>GOOG4-RSA-SHA256" in r.content  # GCS says what it signed, for debugging


def test_an_expired_url_is_expired_token(stack, menu_photo):
    old = dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=20)
    url = _sign(stack, {"Content-Type": "image/jpeg"}, now=old, expires_s=900)
    r = httpx.put(url, content=menu_photo, headers={"Content-Type": "image/jpeg"})
    assert r.status_code == 400 and _xml_code(r) == "ExpiredToken"


def test_a_signed_header_left_out_of_the_request_is_signature_does_not_match(stack, menu_photo):
    url = _sign(stack, {"Content-Type": "image/jpeg", "x-goog-content-length-range": "1,2097152"})
    r = httpx.put(url, content=menu_photo, headers={"Content-Type": "image/jpeg"})  # as the shipped app would
    assert r.status_code == 403 and _xml_code(r) == "SignatureDoesNotMatch"


def test_a_signed_header_sent_with_another_value_is_signature_does_not_match(stack, menu_photo):
    url = _sign(stack, {"Content-Type": "image/jpeg", "x-goog-content-length-range": "1,2097152"})
    r = httpx.put(url, content=menu_photo,
                  headers={"Content-Type": "image/jpeg", "x-goog-content-length-range": "1,999999999"})
    assert r.status_code == 403 and _xml_code(r) == "SignatureDoesNotMatch"


def test_a_wrong_content_type_is_signature_does_not_match(stack, menu_photo):
    url = _sign(stack, {"Content-Type": "image/jpeg"})
    r = httpx.put(url, content=menu_photo, headers={"Content-Type": "image/png"})
    assert r.status_code == 403 and _xml_code(r) == "SignatureDoesNotMatch"


@pytest.mark.parametrize("size, code", [(2 * 1024 * 1024 + 1, "EntityTooLarge"), (0, "EntityTooSmall")])
def test_a_body_outside_the_signed_size_range_is_refused_and_nothing_is_stored(stack, size, code):
    name = f"uploads/{size:032x}.jpg"
    url = _sign(stack, {"Content-Type": "image/jpeg", "x-goog-content-length-range": "1,2097152"}, name=name)
    r = httpx.put(url, content=b"\xff" * size,
                  headers={"Content-Type": "image/jpeg", "x-goog-content-length-range": "1,2097152"})
    assert r.status_code == 400 and _xml_code(r) == code
    assert _stored(stack, name).status_code == 404


def test_an_unsigned_or_malformed_request_never_reaches_the_bucket(stack, menu_photo):
    name = "uploads/" + "cd" * 16 + ".jpg"
    r = httpx.put(f"{stack.gcs_public_url}/{UPLOAD_BUCKET}/{name}", content=menu_photo,
                  headers={"Content-Type": "image/jpeg"})
    assert r.status_code == 403 and _xml_code(r) == "AccessDenied"
    url = _sign(stack, {"Content-Type": "image/jpeg"}, name=name).replace("X-Goog-Date=", "X-Goog-Date=x")
    r = httpx.put(url, content=menu_photo, headers={"Content-Type": "image/jpeg"})
    assert r.status_code == 400 and _xml_code(r) == "MalformedSecurityHeader"
    assert _stored(stack, name).status_code == 404


def _google_signed(stack, name: str, headers: dict | None = None) -> str:
    """A PUT URL made by google-cloud-storage itself, with the stack's signing key."""
    from google.cloud import storage
    from google.oauth2 import service_account

    info = json.loads((stack.workdir / "signing-key.json").read_text())
    creds = service_account.Credentials.from_service_account_info(info)
    blob = storage.Client(project="p", credentials=creds).bucket(UPLOAD_BUCKET).blob(name)
    return blob.generate_signed_url(version="v4", expiration=dt.timedelta(minutes=5), method="PUT",
                                    content_type="image/jpeg", headers=headers,
                                    api_access_endpoint=stack.gcs_public_url)


def test_urls_made_by_google_cloud_storage_itself_are_accepted(stack, menu_photo):
    """The front's verifier agrees with Google's own signer, not only with ours."""
    url = _google_signed(stack, "uploads/" + "ef" * 16 + ".jpg")
    r = httpx.put(url, content=menu_photo, headers={"Content-Type": "image/jpeg"})
    assert r.status_code == 200, r.text


def test_a_chunked_body_outside_the_signed_range_is_answered_not_left_hanging(stack):
    name = "uploads/" + "9c" * 16 + ".jpg"
    url = _sign(stack, {"Content-Type": "image/jpeg", "x-goog-content-length-range": "1,100"}, name=name)

    def body():  # no Content-Length: the size is known only once the body is read
        yield b"\xff" * 100
        yield b"\xff" * 50

    r = httpx.put(url, content=body(), headers={"Content-Type": "image/jpeg", "x-goog-content-length-range": "1,100"},
                  timeout=10)
    assert r.status_code == 400 and _xml_code(r) == "EntityTooLarge"
    assert _stored(stack, name).status_code == 404


def test_a_size_range_signed_by_google_cloud_storage_itself_is_enforced_too(stack, menu_photo):
    headers = {"x-goog-content-length-range": f"1,{len(menu_photo)}"}
    url = _google_signed(stack, "uploads/" + "e1" * 16 + ".jpg", headers)
    sent = {"Content-Type": "image/jpeg", **headers}
    assert httpx.put(url, content=menu_photo, headers=sent).status_code == 200
    r = httpx.put(url, content=menu_photo + b"\0", headers=sent)
    assert r.status_code == 400 and _xml_code(r) == "EntityTooLarge"
