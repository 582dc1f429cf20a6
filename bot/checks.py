"""What a request must be before Bolt sees it: signed by Slack, recently, over a body it can read.

Bolt parses the body when it builds a request, before its middleware verifies the signature,
so an unsigned malformed body raised (a traceback, no response), and slack_sdk's verifier
``int()``s the timestamp (a 500 for ``abc``). ``gencode serve`` and the Lambda handler both
check here first and answer 401 or 400 instead.
"""

from __future__ import annotations

import hashlib
import hmac
import time

from slack_bolt.request.internals import parse_body

MAX_AGE = 300
"""Seconds a signed request stays valid, as Slack and Bolt have it."""


def signature_problem(
    secret: bytes, body: bytes, timestamp: str, signature: str, *, now: float | None = None
) -> str | None:
    """Why this is not a request Slack signed in the last 5 minutes, or ``None`` when it is.

    Over the raw bytes: slack_sdk's ``SignatureVerifier`` decodes the body first (a
    traceback for non-UTF-8) and ``int()``s any timestamp (a 500 for ``abc``).
    """
    if not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= 12):
        return f"timestamp {timestamp[:20]!r} is not a number of seconds"
    if abs((time.time() if now is None else now) - int(timestamp)) > MAX_AGE:
        return "stale timestamp (a replay, or a clock that is off)"
    base = b"v0:" + timestamp.encode() + b":" + body
    expected = "v0=" + hmac.new(secret, base, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected.encode(), signature.encode("utf-8", "replace")):
        return "bad signature"
    return None


def body_problem(text: str, content_type: str) -> str | None:
    """Why Bolt could not read this body as a Slack request, or ``None`` when it can."""
    try:
        parsed = parse_body(text, content_type or None)
    except ValueError as exc:  # json.JSONDecodeError is one
        return f"malformed body ({type(exc).__name__})"
    if not isinstance(parsed, dict):
        return f"the body is a JSON {type(parsed).__name__}, not an object"
    return None
