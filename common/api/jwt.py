"""JWT verification against an issuer's key set (JWKS): end users' ID tokens and Google's OIDC tokens."""
from __future__ import annotations

import json
import re
import threading
import time
import urllib.request
from typing import Callable

from common.core import logs
from common.core.errors import Unauthorized, Unavailable

log = logs.get_logger(__name__)


class JwtVerifier:
    """Verifies RS256/ES256 JWTs against an issuer's JWKS: signature, issuer, audience, expiry.

    Keys are cached for the JWKS response's max-age. A token signed with a key id not in the cache
    (the issuer rotated) fetches the set again, at most once per min_refresh_s, so a flood of
    made-up key ids cannot turn into a flood of fetches.
    """

    ALGORITHMS = ("RS256", "ES256")

    def __init__(self, issuer: str, audiences: list[str], jwks_url: str, *, leeway_s: int = 30,
                 min_refresh_s: float = 30.0, default_max_age_s: float = 3600.0,
                 monotonic: Callable[[], float] = time.monotonic):
        self._monotonic = monotonic  # the refresh interval's clock; a test moves its own
        self.issuer, self.audiences, self.jwks_url = issuer, audiences, jwks_url
        self.leeway_s, self.min_refresh_s, self.default_max_age_s = leeway_s, min_refresh_s, default_max_age_s
        self._keys: dict[str, object] = {}
        self._expires = 0.0
        self._fetched = float("-inf")
        self._lock = threading.Lock()

    def verify(self, token: str) -> dict:
        """The token's claims; Unauthorized naming what is wrong with it."""
        import jwt

        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise Unauthorized("the token is not a well-formed JWT", code="INVALID_TOKEN") from None
        alg, kid = header.get("alg"), header.get("kid")
        if alg not in self.ALGORITHMS:
            raise Unauthorized(f"token algorithm {alg!r} is not accepted", code="INVALID_TOKEN")
        key = self._key(str(kid or ""))
        # No audiences: the caller's identity alone decides (Eventarc's audience is not known ahead).
        required = ["exp", "iat", "iss", "sub"] + (["aud"] if self.audiences else [])
        try:
            claims = jwt.decode(token, key, algorithms=[alg], audience=self.audiences or None, issuer=self.issuer,
                                leeway=self.leeway_s, options={"require": required,
                                                               "verify_aud": bool(self.audiences)})
        except jwt.ExpiredSignatureError:
            raise Unauthorized("the token has expired", code="TOKEN_EXPIRED") from None
        except jwt.InvalidAudienceError:
            raise Unauthorized("the token was issued for another audience", code="INVALID_TOKEN") from None
        except jwt.InvalidIssuerError:
            raise Unauthorized("the token was issued by another issuer", code="INVALID_TOKEN") from None
        except jwt.PyJWTError as exc:
            raise Unauthorized(f"the token is not valid: {type(exc).__name__}", code="INVALID_TOKEN") from None
        if not isinstance(claims.get("sub"), str) or not claims["sub"] or len(claims["sub"]) > 128:
            raise Unauthorized("the token has no usable subject", code="INVALID_TOKEN")
        return claims

    def _key(self, kid: str):
        with self._lock:
            now = self._monotonic()
            if now >= self._expires or (kid not in self._keys and now - self._fetched >= self.min_refresh_s):
                self._refresh(now)
            key = self._keys.get(kid)
        if key is None:
            raise Unauthorized("the token was signed with an unknown key", code="INVALID_TOKEN")
        return key

    def _refresh(self, now: float) -> None:
        import jwt

        self._fetched = now
        try:
            with urllib.request.urlopen(self.jwks_url, timeout=5) as resp:
                body = json.loads(resp.read())
                max_age = _max_age(resp.headers.get("Cache-Control") or "", self.default_max_age_s)
        except (OSError, ValueError) as exc:
            if self._keys:  # keep serving with the keys we have; try again at the next rotation miss
                log.warning("key set refresh failed; keeping cached keys", url=self.jwks_url, error=str(exc)[:200])
                return
            raise Unavailable("the token issuer's keys could not be fetched; retry", code="AUTH_UNAVAILABLE") from None
        keys = {}
        for jwk in body.get("keys") or []:
            try:
                keys[str(jwk.get("kid", ""))] = jwt.PyJWK(jwk).key
            except (jwt.PyJWTError, ValueError, TypeError):
                continue  # a key type we do not use; the others still count
        self._keys, self._expires = keys, now + max_age


def _max_age(cache_control: str, default: float) -> float:
    m = re.search(r"max-age=(\d+)", cache_control)
    return float(m.group(1)) if m else default
