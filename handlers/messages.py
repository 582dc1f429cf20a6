"""Every sentence Gencode says in Slack, in one place.

Functions return Slack mrkdwn. Anything that came from a user, a file or a model is
escaped by the caller (:func:`handlers.render.escape`) before it is passed in here.
"""

from __future__ import annotations

USAGE = (
    "*Gencode writes code out of your team's own code.*\n"
    "• Ask: `/gencode make a retrying S3 uploader`, mention me (`@Gencode …`), "
    "or reply in one of my threads to follow up.\n"
    "• Teach me: share a `.py` file in a channel or a DM where I am present; "
    "I index every function in it and reply in the file's thread.\n"
    "• Code shared in a public channel helps answers anywhere in this workspace; code shared "
    "in a private channel or a DM only answers there."
)

PLACEHOLDER = ":hourglass_flowing_sand: Looking through your team's code…"
WRITING = "_…still writing_"
REFERENCES = "*References*"
FEEDBACK_PROMPT = "Was this useful?"
FEEDBACK_THANKS = "Thanks, your feedback was recorded."
NOT_CITED = "(not cited)"


def answer_queued(ahead: int, *, korean: bool) -> str:
    """The placeholder of an answer that waits for a free worker (``ahead`` wait before it)."""
    if korean:
        if ahead:
            return (
                f":hourglass: 대기 중: 앞에 답변 {ahead}개가 기다리고 있어요. 차례가 되면 답할게요…"
            )
        return ":hourglass: 대기 중: 다른 답변들이 끝나면 바로 답할게요…"
    if ahead:
        waiting = "answer is" if ahead == 1 else "answers are"
        return f":hourglass: Queued: {ahead} {waiting} ahead of yours. I will answer in turn…"
    return ":hourglass: Queued: yours is next, as soon as an answer in progress finishes…"


def answers_busy(*, korean: bool) -> str:
    if korean:
        return ":warning: 지금 답변 요청이 너무 많아요. 1분쯤 뒤에 다시 물어봐 주세요."
    return ":warning: Too many questions at once right now: please ask again in a minute."


def echo_request(user: str, request: str) -> str:
    return f"<@{user}> asked: {request}"


def empty_question() -> str:
    return "Your question is empty: say what code you need.\n\n" + USAGE


def nothing_indexed() -> str:
    return (
        ":card_index_dividers: No code is indexed for this conversation yet, so I have nothing to "
        "build on. Share a `.py` file here (or in a public channel), or have an operator run "
        "`gencode index PATH`, then ask again."
    )


def apology(correlation_id: str) -> str:
    return (
        f":warning: Sorry, something went wrong on my side and I could not finish. "
        f"Please try again in a minute. If it keeps failing, give this reference to whoever "
        f"runs Gencode: `{correlation_id}`."
    )


def edit_not_reanswered() -> str:
    return (
        "I saw you edited your message. I don't re-answer edits: post the new question as a "
        "reply in this thread and I will answer it."
    )


def thread_trimmed(used: int, total: int) -> str:
    return (
        f"This thread is long ({total}+ messages): I followed up on the last {used} exchanges only. "
        "Start a new thread for a fresh question."
    )


def code_uploaded(filename: str) -> str:
    return f"_The code is long, so it is attached below as `{filename}`._"


def not_in_channel() -> str:
    return (
        "I can't post in this conversation. Invite me first (`/invite @Gencode`), "
        "or ask me in a DM."
    )


# -- indexing ---------------------------------------------------------------------------------


def indexing_started(filename: str) -> str:
    return f":eyes: Indexing `{filename}`…"


def indexing_progress(filename: str, stage: str, done: int, total: int) -> str:
    verb = {"summarize": "summarising", "embed": "embedding"}.get(stage, stage)
    return f":eyes: Indexing `{filename}`: {verb} {done}/{total} functions…"


def index_totals(new: int, unchanged: int, removed: int, errors: int) -> str:
    return f"*Total:* {new} new · {unchanged} unchanged · {removed} removed · {errors} errors"


def index_header(filename: str, link: str, functions: int, scope_note: str) -> str:
    shown = f"<{link}|{filename}>" if link else f"`{filename}`"
    return f":white_check_mark: Indexed {shown}: {functions} definitions. {scope_note}"


def scope_note(workspace_wide: bool) -> str:
    if workspace_wide:
        return "It can now help answers anywhere in this workspace."
    return "It is private to this conversation: only questions asked here can use it."


def index_more_in_snippet(shown: int, total: int, filename: str) -> str:
    return f"_Showing {shown} of {total}; the full list is attached as `{filename}`._"


def extractive_summaries_note() -> str:
    return "_Summaries were written without a model, from docstrings and names._"


def summary_failures(count: int) -> str:
    return (
        f":warning: {count} summaries could not be written by the model; those functions "
        "keep a summary made from their code for now. Share the file again later to retry."
    )


def index_refused(filename: str, reason: str) -> str:
    return (
        f":x: I could not index `{filename}`: {reason}\n"
        "Nothing that was already indexed has changed."
    )


def not_python(filename: str) -> str:
    return (
        f"`{filename}` is not a Python file, so I did not index it. "
        "I index `.py` files only: share the source file itself."
    )


def too_big(filename: str, size: int, limit: int) -> str:
    return (
        f"the file is {size:,} bytes, over the {limit:,}-byte limit. "
        "Split it, or ask whoever runs Gencode to raise GENCODE_MAX_FILE_BYTES."
    )


def download_failed(detail: str) -> str:
    return (
        f"I could not download it from Slack ({detail}). Check that the app has the "
        "`files:read` scope and can see this conversation, then share the file again."
    )


def download_refused_host(host: str) -> str:
    return f"its download address is not on Slack (`{host}`), and I only send my token to Slack."
