"""V4 signed URLs made without the Storage client: byte for byte what it makes, by key file or IAM
signBlob (common/gcp/signing.py)."""
from __future__ import annotations

import datetime as dt
import threading


def _key_file(tmp_path):
    from devstack.stack import _write_signing_key

    path = tmp_path / "key.json"
    _write_signing_key(path)
    return path


def test_our_v4_signed_urls_are_byte_for_byte_what_google_cloud_storage_makes(tmp_path):
    from urllib.parse import quote

    from google.cloud.storage import _signing
    from google.oauth2 import service_account

    from common.gcp import signing

    key = _key_file(tmp_path)
    creds = service_account.Credentials.from_service_account_file(str(key))
    now = dt.datetime(2026, 11, 23, 3, 4, 5, tzinfo=dt.timezone.utc)
    for endpoint, name, ctype in (("https://storage.googleapis.com", "uploads/" + "a" * 32 + ".png", "image/png"),
                                  ("http://127.0.0.1:8803", "uploads/odd name ~ü+%.jpg", "image/jpeg")):
        ours = signing.signed_url(bucket="menu-uploads", name=name, method="PUT", expires_s=900,
                                  headers={"Content-Type": ctype, "x-goog-content-length-range": "1,2097152"},
                                  endpoint=endpoint, key_file=str(key), now=now)
        theirs = _signing.generate_signed_url_v4(
            creds, resource=f"/menu-uploads/{quote(name, safe='/~')}", expiration=900, api_access_endpoint=endpoint,
            method="PUT", content_type=ctype, headers={"x-goog-content-length-range": "1,2097152"},
            _request_timestamp=now.strftime("%Y%m%dT%H%M%SZ"))
        assert ours == theirs


def test_without_a_key_file_urls_are_signed_through_iam_sign_blob_as_the_runtime_account(tmp_path, monkeypatch):
    import base64
    import json
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
    from urllib.parse import quote

    from common.gcp import metadata, signing

    key = _key_file(tmp_path)
    email, private_key = signing._load_key(str(key))
    seen = []

    class FakeIam(BaseHTTPRequestHandler):  # stands in for iamcredentials.googleapis.com
        def do_POST(self):  # noqa: N802
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            seen.append((self.path, self.headers["Authorization"]))
            blob = signing._KeyFile(str(key)).sign(base64.b64decode(body["payload"]))
            out = json.dumps({"keyId": "k", "signedBlob": base64.b64encode(blob).decode()}).encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(out)))
            self.end_headers()
            self.wfile.write(out)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeIam)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setattr(signing, "IAM_CREDENTIALS", f"http://127.0.0.1:{server.server_address[1]}/v1")
    monkeypatch.setattr(metadata, "access_token", lambda: "runtime-token")
    try:
        now = dt.datetime(2026, 11, 23, 3, 4, 5, tzinfo=dt.timezone.utc)
        args = dict(bucket="menu-uploads", name="uploads/x.jpg", method="PUT", expires_s=600, now=now,
                    headers={"Content-Type": "image/jpeg"}, endpoint="https://storage.googleapis.com")
        via_iam = signing.signed_url(**args, service_account=email)
        assert via_iam == signing.signed_url(**args, key_file=str(key))
        assert seen == [(f"/v1/projects/-/serviceAccounts/{quote(email)}:signBlob", "Bearer runtime-token")]
    finally:
        server.shutdown()
