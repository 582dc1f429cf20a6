"""Which git URLs Gencode may fetch, and with which token: decided before any connection.

A Slack user names the URL, so this is the SSRF boundary. A URL is fetched only if its
scheme, host and port are those of an allowed base (``https://github.com``,
``https://gitlab.com`` and ``https://bitbucket.org`` by default, plus
``GENCODE_GIT_HOSTS``). Refused outright, whatever the configuration: credentials in the
URL (tokens must not sit in channel history), any scheme but http(s) (``file://``,
``ssh://``, ``git://``, scp-like ``git@host:path``), and link-local or cloud metadata
addresses. The transport (:mod:`rag.git.transport`) checks every request again, redirects
included, and vets the address a host name resolves to before it connects.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from .errors import GitError

DEFAULT_BASES = ("https://github.com", "https://gitlab.com", "https://bitbucket.org")
DEFAULT_PORTS = {"http": 80, "https": 443}
TOKEN_USERS = {"bitbucket.org": "x-token-auth"}
"""Basic-auth user names that hosts expect with a token; everyone else: ``x-access-token``
(GitHub's; GitLab and Gitea accept any user name with a token)."""
DEFAULT_TOKEN_USER = "x-access-token"

_METADATA = (
    ipaddress.ip_network("fd00:ec2::254/128"),  # AWS instance metadata over IPv6
    ipaddress.ip_network("100.100.100.200/32"),  # Alibaba Cloud metadata
)
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


def forbidden_address(address: str) -> bool:
    """Whether ``address`` (an IP literal) is one Gencode never connects to: link-local
    (the 169.254.169.254 metadata service among them), a known metadata address,
    unspecified or multicast; IPv4 addresses mapped into IPv6 count as themselves."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return (
        ip.is_link_local
        or ip.is_unspecified
        or ip.is_multicast
        or any(ip in net for net in _METADATA)
    )


@dataclass(frozen=True, order=True)
class Base:
    """An allowed origin: scheme, host and port."""

    scheme: str
    host: str
    port: int

    def __str__(self) -> str:
        port = "" if DEFAULT_PORTS.get(self.scheme) == self.port else f":{self.port}"
        return f"{self.scheme}://{self.host}{port}"


def _host(raw: str | None, shown: str) -> str:
    host = (raw or "").rstrip(".").lower()
    if not host:
        raise GitError("bad_url", shown)
    if not host.isascii():
        try:
            host = host.encode("idna").decode("ascii")
        except UnicodeError:
            raise GitError("bad_url", shown) from None
    return host


def _origin(url: str) -> tuple[Base, str]:
    """The base and the path of ``url``; refusals that need no configuration raise."""
    text = url.strip()
    shown = _shown(text)
    if re.match(r"^[\w.-]+@[\w.-]+:", text):  # scp-like ssh: git@github.com:acme/shop.git
        raise GitError("scheme", "ssh (git@host:path)")
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        raise GitError("bad_url", shown) from None
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS:
        raise GitError("scheme", f"{scheme}://" if scheme else shown)
    if "@" in parts.netloc:
        raise GitError("credentials_in_url")
    host = _host(parts.hostname, shown)
    if forbidden_address(host):
        raise GitError("link_local", host)
    return Base(scheme, host, port or DEFAULT_PORTS[scheme]), parts.path


def _shown(text: str) -> str:
    """A URL as it may be repeated back: never what stands before an ``@`` (credentials)."""
    return re.sub(r"^([^/]*//)?[^/]*@", r"\1", text)[:200]


def parse_base(text: str) -> Base:
    """One entry of ``GENCODE_GIT_HOSTS`` (``https://git.example.com``, ``http://127.0.0.1:8080``)."""
    base, path = _origin(text)
    if path not in ("", "/"):
        raise GitError("bad_url", f"{text.strip()} (a host entry has no path)")
    return base


def _project(host: str, segments: list[str]) -> list[str]:
    """A page's URL pasted for its repository's: ``github.com/acme/shop/tree/main`` is
    ``acme/shop``; on GitLab, whose groups nest, the project ends before ``/-/``."""
    if host in ("github.com", "bitbucket.org"):
        return segments[:2]
    if host == "gitlab.com" and "-" in segments:
        return segments[: segments.index("-")]
    return segments


@dataclass(frozen=True)
class Remote:
    """A repository URL that passed the policy: credential-free, on an allowed base."""

    base: Base
    path: str
    """``/acme/shop.git``: what follows the base, without a trailing slash."""

    @property
    def url(self) -> str:
        return f"{self.base}{self.path}"

    @property
    def name(self) -> str:
        """The repository's name: the last path segment without ``.git``."""
        return self.path.rstrip("/").rsplit("/", 1)[-1].removesuffix(".git")

    @property
    def display(self) -> str:
        """Host and path, as lists show it: ``github.com/acme/shop``."""
        host = str(self.base).split("://", 1)[1]
        return f"{host}{self.path.removesuffix('.git')}"

    @property
    def key(self) -> str:
        """What two spellings of one repository share (case of the host, ``.git``, slash):
        how a push event is matched to registrations."""
        return f"{self.base}{self.path.removesuffix('.git').lower()}"

    def file_link(self, commit: str, path: str) -> str:
        """A link to ``path`` at ``commit`` on the hosts whose web UI is known, else ``""``."""
        web = f"{self.base}{self.path.removesuffix('.git')}"
        host = self.base.host
        if host == "github.com" or host.endswith(".github.com"):
            return f"{web}/blob/{commit}/{path}"
        if host == "gitlab.com":
            return f"{web}/-/blob/{commit}/{path}"
        if host == "bitbucket.org":
            return f"{web}/src/{commit}/{path}"
        return ""


@dataclass(frozen=True)
class GitPolicy:
    """Allowed bases and tokens (``bot.config`` builds it from the environment)."""

    bases: frozenset[Base] = frozenset(parse_base(b) for b in DEFAULT_BASES)
    token: str = field(default="", repr=False)
    """``GENCODE_GIT_TOKEN``: sent to every allowed host without a token of its own."""
    host_tokens: Mapping[str, str] = field(default_factory=dict, repr=False)
    """``GENCODE_GIT_TOKENS``: host → token, for that host only."""

    @classmethod
    def with_hosts(
        cls, extra: Iterable[str] = (), *, token: str = "", host_tokens: Mapping[str, str] = {}
    ) -> GitPolicy:
        bases = {parse_base(b) for b in (*DEFAULT_BASES, *extra) if b.strip()}
        return cls(frozenset(bases), token=token, host_tokens=dict(host_tokens))

    def remote(self, url: str) -> Remote:
        """``url`` as a :class:`Remote`, or a :class:`GitError` saying why it is refused."""
        base, path = _origin(url)
        if base not in self.bases:
            raise GitError("host_not_allowed", str(base))
        parts = urlsplit(url.strip())
        if parts.query or parts.fragment:
            raise GitError("bad_url", f"{base}{path}")
        segments = _project(base.host, [s for s in path.split("/") if s])
        if not segments or any(s in (".", "..") for s in segments):
            raise GitError("bad_url", f"{base}{path}")
        remote = Remote(base, "/" + "/".join(segments))
        if not _NAME.fullmatch(remote.name):
            raise GitError("bad_url", remote.url)
        return remote

    def check(self, url: str, *, redirected: bool = False) -> Base:
        """The base of a URL about to be requested, if allowed; else :class:`GitError`."""
        base, _ = _origin(url)
        if base not in self.bases:
            raise GitError("redirect" if redirected else "host_not_allowed", str(base))
        return base

    def credentials(self, remote: Remote) -> tuple[str, str] | None:
        """The basic-auth pair for ``remote``'s host, or None (a public repository)."""
        host = remote.base.host
        token = self.host_tokens.get(host) or self.token
        if not token:
            return None
        return TOKEN_USERS.get(host, DEFAULT_TOKEN_USER), token

    @property
    def secrets(self) -> tuple[str, ...]:
        """Every token, so callers can prove none reaches a log or a message."""
        return tuple(t for t in (self.token, *self.host_tokens.values()) if t)
