"""Expo push tokens: the shape Expo's push service takes, checked before a token is stored on a job."""
from __future__ import annotations

import re

# As Expo's server SDK tells a push token (isExpoPushToken): ExponentPushToken[...] or ExpoPushToken[...],
# or the older bare UUID form. Inside the brackets: printable ASCII, no brackets, no spaces.
_TOKEN = re.compile(r"(?:Exponent|Expo)PushToken\[[!-Z\\^-~]{1,200}\]|"
                    r"(?i:[0-9a-z]{8}-[0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{12})")


def is_push_token(value: object) -> bool:
    """Whether the value is an Expo push token (a string in one of the shapes Expo accepts)."""
    return isinstance(value, str) and _TOKEN.fullmatch(value) is not None
