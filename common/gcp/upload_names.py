"""The names of uploads: made by the server with a tag only it can make, so create-job can tell an
upload it signed from a name that merely has the right shape.

`uploads/<32 hex: 128 random bits>-<16 hex: the tag>.<ext>`. The tag is HMAC-SHA256, under
UPLOAD_NAME_SECRETS' first key, of the bucket and the rest of the name; every key of that list is
accepted, so the key can be rotated while names made under the old one are still in flight. Checking
it is one HMAC per key (a few microseconds): no read, no round trip, nothing added to the app's flow.
"""
from __future__ import annotations

import hashlib
import hmac
import re
import uuid

from common.core.settings import get_settings

TAG_HEX = 16  # 64 bits: forging one is 2^64 guesses, each a rate-limited request
_NAME = re.compile(rf"([0-9a-f]{{32}})-([0-9a-f]{{{TAG_HEX}}})\.(jpg|png|webp|heic)")


def _tag(key: str, bucket: str, upload_id: str, ext: str) -> str:
    message = f"upload\n{bucket}\n{upload_id}.{ext}".encode()
    return hmac.new(key.encode(), message, hashlib.sha256).hexdigest()[:TAG_HEX]


def issue(bucket: str, ext: str) -> tuple[str, str]:
    """A new upload's (upload id, object name), tagged under the first key."""
    uploads = get_settings().uploads
    upload_id = uuid.uuid4().hex
    return upload_id, f"{uploads.upload_prefix}{upload_id}-{_tag(uploads.upload_name_keys[0], bucket, upload_id, ext)}.{ext}"


def issued(bucket: str, rest: str) -> bool:
    """Whether `rest` (the name after the uploads prefix) is one this server made for that bucket."""
    m = _NAME.fullmatch(rest)
    if not m:
        return False
    upload_id, tag, ext = m.groups()
    # Every key is tried, whichever matches: a rotation's old and new names both pass.
    return any([hmac.compare_digest(_tag(key, bucket, upload_id, ext), tag) for key in get_settings().uploads.upload_name_keys])
