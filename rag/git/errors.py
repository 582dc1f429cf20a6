"""What can go wrong with a repository kept in sync from git, said so a person can fix it.

Every failure is a :class:`GitError` with a ``code`` (what kind of failure) and a
``detail`` (the host, branch or limit it concerns), so the Slack layer can say it in the
asker's language; ``str()`` is the English sentence the CLI prints. No message ever holds
a token: details are built here from parsed, credential-free parts, never from a URL or
an exception text as given.
"""

from __future__ import annotations

from ..errors import InputError

#: Every ``GitError.code``, and the English sentence for it (``{detail}`` filled in).
REASONS: dict[str, str] = {
    "bad_url": "{detail} is not a repository URL I can use: give its https:// clone URL, "
    "such as https://github.com/acme/shop.git.",
    "scheme": "only https:// (and http:// where allowed) clone URLs are fetched, not "
    "{detail}: give the repository's https:// clone URL.",
    "credentials_in_url": "the URL carries a user name or password. Tokens must not sit in "
    "channel history: remove it from the URL, and ask whoever runs Gencode to set "
    "GENCODE_GIT_TOKEN (or a per-host token in GENCODE_GIT_TOKENS) instead.",
    "host_not_allowed": "{detail} is not a git host Gencode may fetch from. Ask whoever runs "
    "Gencode to add it to GENCODE_GIT_HOSTS.",
    "link_local": "{detail} is a link-local or cloud metadata address; Gencode never fetches "
    "from those.",
    "redirect": "the server redirected to {detail}, another host; Gencode does not follow "
    "redirects off an allowed host. Use the repository's final URL.",
    "auth": "{detail} refused the credentials (or asked for some). For a private repository, "
    "ask whoever runs Gencode to set GENCODE_GIT_TOKEN to a token that can read it.",
    "not_found": "no repository was found at {detail}. Check the URL (and that the token "
    "may read it).",
    "branch_missing": "the branch {detail} does not exist on the remote (deleted or "
    "renamed?). The last good index is kept; add the repository again with an existing "
    "branch, or forget it.",
    "too_big": "the repository is too big: {detail}. Ask whoever runs Gencode to raise the "
    "limit, or index a smaller repository.",
    "timeout": "fetching took too long ({detail}). Try again later; if it keeps happening, "
    "the repository may be too big to fetch here.",
    "network": "could not reach {detail}. Try again later.",
    "protocol": "the server at {detail} did not answer as a git server should.",
    "name_shared": "code named {detail} was already shared here by someone else; adding "
    "the repository would replace it. Forget it first.",
    "name_synced": "a repository of that name is already kept in sync here, from {detail}; "
    "forget it first.",
    "empty": "the repository has no branch yet ({detail}): push a first commit.",
    "indexing": "indexing failed: {detail}",
}


class GitError(InputError):
    """A repository that could not be added or synced; nothing indexed was changed."""

    def __init__(self, code: str, detail: str = "") -> None:
        if code not in REASONS:
            raise ValueError(f"unknown git error code {code!r}")
        self.code = code
        self.detail = detail
        super().__init__(REASONS[code].format(detail=detail))


def describe(code: str, detail: str = "") -> str:
    """The English sentence for a recorded failure (one this version does not know, too)."""
    return REASONS.get(code, "{detail}").format(detail=detail or code)
