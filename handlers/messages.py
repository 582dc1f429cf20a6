"""Every sentence Gencode says in Slack, in one place.

Functions return Slack mrkdwn. Anything that came from a user, a file or a model is
escaped by the caller (:func:`handlers.render.escape`) before it is passed in here.
"""

from __future__ import annotations

from rag import Finding, Verification

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


def scope_note(workspace_wide: bool, *, shared_outside: bool = False) -> str:
    if workspace_wide:
        return "It can now help answers anywhere in this workspace."
    if shared_outside:
        return (
            "This conversation is shared outside this workspace, so the code stays here: "
            "only questions asked here can use it."
        )
    return "It is private to this conversation: only questions asked here can use it."


def answered_from_this_conversation_only(error: str) -> str:
    """A question whose conversation could not be checked for outside members."""
    return (
        f"Gencode could not check who is in this conversation (`{error}`), so this answer "
        "draws only on code shared here. Make sure the app has the `channels:read`, "
        "`groups:read`, `im:read` and `mpim:read` scopes."
    )


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


# -- answer verification (rag/verify.py) ------------------------------------------------------

REPAIRING = "🔧 The first draft failed its checks; asking the model to fix it…"
REPAIRING_KO = "🔧 첫 답변이 검사를 통과하지 못해 모델에게 한 번 고치게 하는 중…"


def _finding_ko(f: Finding) -> str:
    d, n = f.detail, f.name
    if f.kind == "syntax":
        return f"문법 오류: {d[0] if d else 'invalid syntax'}"
    if f.kind == "undefined":
        hint = f" (`from {d[0]} import {n}` 누락?)" if d else ""
        return f"정의되지 않은 이름 `{n}`{hint}"
    if f.kind == "before-assignment":
        return f"`{n}`을(를) 할당하기 전에 사용"
    if f.kind == "shadowed-import":
        return f"import한 `{n}`({d[0]}행)이 쓰이기 전에 가려짐"
    if f.kind == "unused-import":
        return f"`{n}`을(를) import했지만 사용하지 않음"
    if f.kind == "arg-count":
        return f"`{n}()`은(는) 위치 인자를 {d[0]}개 받는데 {d[1]}개를 넘김"
    if f.kind == "missing-arg":
        return f"`{n}()`에 필수 인자 {', '.join(f'`{a}`' for a in d)} 누락"
    if f.kind == "bad-keyword":
        hint = f" (`{d[1]}`을(를) 뜻했나요?)" if len(d) > 1 and d[1] else ""
        return f"`{n}()`에 키워드 인자 `{d[0]}`이(가) 없음{hint}"
    if f.kind == "duplicate-arg":
        return f"`{n}()`에 `{d[0]}` 값이 두 번 전달됨"
    if f.kind == "not-found":
        where = f" `{d[0]}`" if d and d[0] else ""
        return f"`{n}`을(를) 색인된 코드{where}에서 찾을 수 없음"
    if f.kind == "wrong-module":
        return f"`{n}`은(는) `{d[0]}`에 없음 (색인된 것은 {d[1]}에 있음)"
    return f.message


def _where(f: Finding, blocks: int, korean: bool) -> str:
    if korean:
        return f"{f.block}번째 블록 {f.line}행" if blocks > 1 else f"{f.line}행"
    return f.where(blocks=blocks)


def finding_text(f: Finding, *, blocks: int, korean: bool) -> str:
    """One finding with its place, e.g. "`f()` takes 1–2 positional arguments, 3 given (line 12)"."""
    text = _finding_ko(f) if korean else f.message
    return f"{text} ({_where(f, blocks, korean)})"


def verification_line(v: Verification, *, korean: bool) -> str:
    """The one line under an answer's code saying what was checked ("" when nothing was).

    Said plainly when the answer was repaired, and never claims checks that did not run:
    extractive answers quote indexed code and say so.
    """
    if v.verdict == "no_code":
        return ""
    if v.verdict == "extractive":
        if korean:
            return "ℹ️ 색인된 코드를 그대로 인용했습니다. 모델이 쓴 코드가 아니므로 검사하지 않았습니다."
        return "ℹ️ Quoted verbatim from your indexed code: not written by a model, so not checked."
    parts: list[str] = []
    if v.verdict in ("verified", "repaired"):
        if korean:
            parts += ["✅ 문법 통과", "모든 이름 확인"]
            if v.calls_matched:
                parts.append(f"팀 함수 호출 {v.calls_matched}개가 시그니처와 일치")
        else:
            parts += ["✅ parses", "names resolve"]
            if v.calls_matched:
                s = "" if v.calls_matched == 1 else "s"
                parts.append(f"{v.calls_matched} call{s} match your team's functions")
    else:
        first, *rest = v.errors
        text = finding_text(first, blocks=v.blocks, korean=korean)
        if korean:
            head = "⚠️ 한 번 고친 뒤에도 검증 실패" if v.repaired else "⚠️ 검증하지 못함"
            more = f" 외 {len(rest)}건" if rest else ""
        else:
            head = "⚠️ still failing after one repair" if v.repaired else "⚠️ could not verify"
            more = f" (+{len(rest)} more)" if rest else ""
        parts.append(f"{head}: {text}{more}")
    for w in v.warnings[:2]:
        parts.append(finding_text(w, blocks=v.blocks, korean=korean))
    if v.unknown_imports:
        names = ", ".join(f"`{m}`" for m in v.unknown_imports[:5])
        parts.append(
            f"확인하지 않은 import: {names} (표준 라이브러리·설치·색인 모두 아님)"
            if korean
            else f"not checked: {names} (not standard library, installed or indexed)"
        )
    line = " · ".join(parts)
    if v.verdict == "repaired":
        was = finding_text(v.repaired[0], blocks=v.blocks, korean=korean) if v.repaired else ""
        if korean:
            line = f"🔧 첫 답변을 검사에서 걸린 문제({was})로 한 번 고쳤습니다. {line}"
        else:
            line = f"🔧 Repaired once after the checks caught: {was}. Now {line}"
    return line
