"""``POST /git/webhook`` and the sync schedule: what starts a sync besides a person.

Two converters and a dispatch again: :func:`read_webhook` turns a GitHub or GitLab push
delivery into a :class:`Push` (or a refusal), and :class:`GitHooks` matches it to the
registered repositories, notes a request for each, and hands the sync to the background
(``gencode serve``: its listener pool; Lambda: an asynchronous invocation of itself). The
HTTP answer never waits for a fetch: GitHub gives up after 10 s, and the sync may take
minutes.

Authentication, before anything is parsed or fetched:

* GitHub signs the raw body: ``X-Hub-Signature-256: sha256=<HMAC-SHA256 hex>`` keyed with
  ``GENCODE_GIT_WEBHOOK_SECRET``; missing: 401, wrong: 403.
* GitLab sends the secret itself in ``X-Gitlab-Token``, compared in constant time; missing:
  401, wrong: 403.
* Without ``GENCODE_GIT_WEBHOOK_SECRET`` every delivery is refused (403): an open webhook
  would let anyone make the bot fetch on demand.

A ``ping``, another event, a tag push, or a push nobody registered gets 2xx (so the
sender does not retry it), logged at debug level.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from rag.models import counted

if TYPE_CHECKING:
    from rag.git import GitSync, SyncOutcome

logger = logging.getLogger(__name__)

WEBHOOK_PATH = "/git/webhook"
MAX_WEBHOOK_BODY = 10_000_000
"""GitHub caps deliveries at 25 MB, but a push of a few hundred commits is well under 1 MB."""


@dataclass(frozen=True)
class Push:
    """A push to a branch, as the two hosts describe it."""

    urls: tuple[str, ...]
    """The repository's URLs the delivery names (clone, web): any of them may match."""
    branch: str
    after: str
    """The new head (all zeros when the branch was deleted)."""
    provider: str


@dataclass(frozen=True)
class Delivery:
    """What to answer, and the push to act on (None: nothing to do)."""

    status: int
    text: str
    push: Push | None = None


def _header(headers: Mapping[str, str], name: str) -> str:
    lowered = name.lower()
    for key, value in headers.items():
        if key.lower() == lowered:
            return value
    return ""


def read_webhook(headers: Mapping[str, str], body: bytes, secret: str) -> Delivery:
    """Authenticate and read one delivery. Nothing here touches the store or the network."""
    github = _header(headers, "X-GitHub-Event")
    gitlab = _header(headers, "X-Gitlab-Event")
    if not github and not gitlab:
        logger.debug("refused a webhook that is neither GitHub's nor GitLab's")
        return Delivery(401, "Unauthorized")
    if not secret:
        logger.info("refused a git webhook: GENCODE_GIT_WEBHOOK_SECRET is not set")
        return Delivery(403, "Forbidden: webhooks are off (no secret configured)")
    if github:
        signature = _header(headers, "X-Hub-Signature-256")
        if not signature:
            return Delivery(401, "Unauthorized: X-Hub-Signature-256 is missing")
        expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(signature.strip().encode(), expected.encode()):
            logger.debug("refused a GitHub delivery: bad signature")
            return Delivery(403, "Forbidden: bad signature")
    else:
        token = _header(headers, "X-Gitlab-Token")
        if not token:
            return Delivery(401, "Unauthorized: X-Gitlab-Token is missing")
        if not hmac.compare_digest(token.encode(), secret.encode()):
            logger.debug("refused a GitLab delivery: bad token")
            return Delivery(403, "Forbidden: bad token")
    event = github or gitlab
    if event not in ("push", "Push Hook"):
        logger.debug("ignored a %s event (%s)", "GitHub" if github else "GitLab", event)
        return Delivery(200, "pong" if event == "ping" else "ignored")
    try:
        payload = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return Delivery(400, "Bad Request: the body is not JSON")
    if not isinstance(payload, dict):
        return Delivery(400, "Bad Request: the body is not a JSON object")
    ref = str(payload.get("ref") or "")
    if not ref.startswith("refs/heads/"):
        logger.debug("ignored a push to %r (not a branch)", ref)
        return Delivery(200, "ignored: not a branch")
    project = payload.get("repository" if github else "project") or {}
    if not isinstance(project, dict):
        return Delivery(400, "Bad Request: no repository in the push")
    names = ("clone_url", "html_url", "url") if github else ("git_http_url", "http_url", "web_url")
    urls = tuple(str(project[n]) for n in names if isinstance(project.get(n), str))
    push = Push(
        urls=urls,
        branch=ref.removeprefix("refs/heads/"),
        after=str(payload.get("after") or ""),
        provider="github" if github else "gitlab",
    )
    return Delivery(202, "accepted", push)


Submit = Callable[[str, int], None]
"""Run the sync of one repository (by id) in the background; the int counts the runs
handed on in a row (an unfinished sync goes on in the next)."""


class GitHooks:
    """Turns pushes and the schedule into background syncs, and their outcomes into
    messages (``on_outcome``, from :mod:`handlers.repos`)."""

    def __init__(
        self,
        git: GitSync,
        *,
        secret: str,
        submit: Submit | None = None,
        on_outcome: Callable[[SyncOutcome], None] | None = None,
        max_hops: int = 20,
    ) -> None:
        self.git = git
        self._secret = secret
        self.submit: Submit = submit or self._inline
        self.on_outcome = on_outcome
        self.max_hops = max_hops
        self._stop = threading.Event()
        self._timer: threading.Thread | None = None

    def _inline(self, repo_id: str, hop: int) -> None:
        self.run(repo_id, hop=hop)

    def webhook(self, headers: Mapping[str, str], body: bytes) -> tuple[int, str]:
        """Answer one delivery; a matching push is synced in the background."""
        delivery = read_webhook(headers, body, self._secret)
        push = delivery.push
        if push is None:
            return delivery.status, delivery.text
        repos = self.git.pushed(push.urls, push.branch)
        if not repos:
            logger.debug("a push to %s of %s matches no repository", push.branch, push.urls[:1])
            return 200, "no repository registered for this push"
        for repo in repos:
            if self.git.request(repo.id):
                logger.info(
                    "push to %s (%s) at %s: syncing %s",
                    repo.display,
                    push.branch,
                    push.after[:12],
                    repo.id,
                )
                self.submit(repo.id, 0)
        return 202, f"syncing {counted(len(repos), 'repository', 'repositories')}"

    def run(self, repo_id: str, *, hop: int = 0) -> SyncOutcome | None:
        """Sync now (in this thread), unless another run holds it. An unfinished sync (out
        of time) is handed on again, up to ``max_hops`` times in a row."""
        try:
            outcome = self.git.run(repo_id)
        except Exception:  # the store is down: the next push or schedule retries
            logger.exception("background sync of %s failed", repo_id)
            return None
        if outcome is None:
            return None
        if self.on_outcome is not None:
            try:
                self.on_outcome(outcome)
            except Exception:
                logger.exception("could not tell the outcome of the sync of %s", repo_id)
        if outcome.status == "unfinished" and hop < self.max_hops:
            self.git.request(repo_id)
            self.submit(repo_id, hop + 1)
        return outcome

    def sync_all(self) -> int:
        """The schedule's turn: request a sync of every registered repository."""
        count = 0
        for repo in self.git.repositories():
            if self.git.request(repo.id):
                self.submit(repo.id, 0)
                count += 1
        logger.info("scheduled sync of %d repositories", count)
        return count

    def start_schedule(self, minutes: float) -> None:
        """``gencode serve``: :meth:`sync_all` every ``minutes`` (first after one period)."""
        if minutes <= 0 or self._timer is not None:
            return

        def loop() -> None:
            while not self._stop.wait(minutes * 60):
                try:
                    self.sync_all()
                except Exception:
                    logger.exception("the scheduled sync failed; trying again next time")

        self._timer = threading.Thread(target=loop, name="gencode-git-schedule", daemon=True)
        self._timer.start()

    def stop(self) -> None:
        self._stop.set()
        if self._timer is not None:
            self._timer.join(timeout=5)


def lambda_payload(repo_id: str, hop: int = 0) -> dict[str, Any]:
    """The asynchronous invocation that runs one sync on Lambda (see bot.lambda_handler)."""
    return {"gencode_git_sync": repo_id, "hop": hop}
