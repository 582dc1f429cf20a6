"""Download a shared file with the bot token, sending the token only to Slack.

``url_private_download`` needs ``Authorization: Bearer xoxb-…``. A token sent anywhere
else is a leaked token, so the URL's origin is checked first (``*.slack.com`` over
HTTPS, or the origin of ``SLACK_API_URL`` when it is set), redirects are followed by
hand and re-checked, and a redirect away from Slack is followed without the token.
"""

from __future__ import annotations

import logging
import urllib.error
import urllib.request
from urllib.parse import urljoin, urlsplit

logger = logging.getLogger(__name__)

MAX_REDIRECTS = 3


class DownloadError(Exception):
    """The file could not be fetched; ``str()`` is written for the person who shared it."""


def _origin(url: str) -> tuple[str, str, int]:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    port = parts.port or (443 if scheme == "https" else 80)
    return scheme, (parts.hostname or "").lower(), port


def is_slack_url(url: str, api_url: str = "") -> bool:
    """True when ``url`` may receive the bot token."""
    scheme, host, _ = _origin(url)
    if scheme == "https" and (host == "slack.com" or host.endswith(".slack.com")):
        return True
    return bool(api_url) and _origin(url) == _origin(api_url)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


_opener = urllib.request.build_opener(_NoRedirect)


def download(
    url: str, *, token: str, api_url: str = "", max_bytes: int, timeout: float = 30.0
) -> bytes:
    """The file's bytes, at most ``max_bytes`` (more raises :class:`DownloadError`)."""
    if not url:
        raise DownloadError("Slack gave no download address for it")
    if not is_slack_url(url, api_url):
        raise DownloadError(f"its download address is not on Slack ({urlsplit(url).hostname})")
    for _ in range(MAX_REDIRECTS + 1):
        headers = {"User-Agent": "gencode"}
        if is_slack_url(url, api_url):
            headers["Authorization"] = f"Bearer {token}"
        request = urllib.request.Request(url, headers=headers)
        try:
            with _opener.open(request, timeout=timeout) as resp:
                content_type = resp.headers.get("Content-Type", "")
                data: bytes = resp.read(max_bytes + 1)
        except urllib.error.HTTPError as exc:
            if exc.code in (301, 302, 303, 307, 308) and exc.headers.get("Location"):
                url = urljoin(url, exc.headers["Location"])
                logger.info("download redirected to %s", urlsplit(url).hostname)
                continue
            if exc.code in (401, 403):
                raise DownloadError(f"Slack refused access, HTTP {exc.code}") from exc
            if exc.code == 404:
                raise DownloadError("the file is gone, HTTP 404") from exc
            raise DownloadError(f"HTTP {exc.code}") from exc
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise DownloadError(f"network error: {reason}") from exc
        if len(data) > max_bytes:
            raise DownloadError(f"it is larger than the {max_bytes:,}-byte limit")
        head = data[:200].lstrip().lower()
        if "text/html" in content_type and head.startswith((b"<!doctype", b"<html")):
            raise DownloadError(
                "Slack sent a login page instead of the file; the token may be invalid"
            )
        return data
    raise DownloadError("too many redirects")
