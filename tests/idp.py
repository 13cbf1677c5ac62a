"""A token issuer for tests: signs JWTs with its own keys and serves them as a JWKS over loopback.

Stands in for Firebase Auth or any OIDC provider (and for Google's OIDC keys on internal entry
points), which cannot run here. Keys can be rotated; every key-set fetch is counted.
"""
from __future__ import annotations

import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa


class Issuer:
    def __init__(self, issuer: str = "https://idp.test", audience: str = "menu-scan-app"):
        self.issuer, self.audience = issuer, audience
        self.fetches = 0
        self._keys: list[tuple[str, rsa.RSAPrivateKey]] = [self._new_key()]
        issuer_ = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - http.server's name
                issuer_.fetches += 1
                body = json.dumps(issuer_.jwks()).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Cache-Control", "public, max-age=3600")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    @property
    def jwks_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/jwks"

    @staticmethod
    def _new_key() -> tuple[str, rsa.RSAPrivateKey]:
        return uuid.uuid4().hex[:12], rsa.generate_private_key(public_exponent=65537, key_size=2048)

    def jwks(self) -> dict:
        keys = []
        for kid, key in self._keys:
            jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
            keys.append({**jwk, "kid": kid, "alg": "RS256", "use": "sig"})
        return {"keys": keys}

    def rotate(self) -> None:
        """Publish a new key and sign with it from now on, as issuers do; the old key is withdrawn."""
        self._keys = [self._new_key()]

    def token(self, sub: str = "user-1", *, ttl_s: int = 600, kid: str | None = None, **claims) -> str:
        now = int(time.time())
        body = {"iss": self.issuer, "aud": self.audience, "sub": sub, "iat": now, "exp": now + ttl_s, **claims}
        key_id, key = self._keys[0]
        return jwt.encode(body, key, algorithm="RS256", headers={"kid": kid or key_id})

    def stop(self) -> None:
        self._server.shutdown()
