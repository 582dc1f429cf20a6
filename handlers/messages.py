"""Every sentence Gencode says in Slack, in one place.

Functions return Slack mrkdwn. Anything that came from a user, a file or a model is
escaped by the caller (:func:`handlers.render.escape`) before it is passed in here.
"""

from __future__ import annotations

from rag import GIT_REASONS, Finding, Verification, counted

USAGE = (
    "*Gencode writes code out of your team's own code.*\n"
    "• Ask: `/gencode make a retrying S3 uploader`, mention me (`@Gencode …`), "
    "or reply in one of my threads to follow up.\n"
    "• Teach me: share a `.py` file, a notebook (`.ipynb`) or a whole repository as a "
    "`.zip`, `.tar.gz` or `.tar` in a channel or a DM where I am present; I index every "
    "function and reply in the file's thread. Sharing it again replaces it.\n"
    "• Keep a repository current: `/gencode repo add https://github.com/acme/shop.git "
    "[BRANCH]` indexes it, then every push re-indexes what changed.\n"
    "• `/gencode list`: what answers here can draw on. `/gencode forget NAME`: remove a file "
    "or repository shared here (whoever shared it, or an admin).\n"
    "• Code shared in a public channel helps answers anywhere in this workspace; code shared "
    "in a private channel, a DM or a channel shared with another organisation only answers "
    "there."
)

USAGE_KO = (
    "*Gencode는 팀의 코드로 새 코드를 작성합니다.*\n"
    "• 질문: `/gencode 재시도하는 S3 업로더 만들어 줘`, 멘션(`@Gencode …`), "
    "또는 제 스레드에 답글로 이어서 질문하세요.\n"
    "• 코드 가르치기: 제가 있는 채널이나 DM에 `.py` 파일, 노트북(`.ipynb`), 또는 저장소 전체를 "
    "`.zip`·`.tar.gz`·`.tar`로 공유하면 모든 함수를 색인하고 파일 스레드에 답합니다. "
    "다시 공유하면 이전 버전을 대체합니다.\n"
    "• 저장소 동기화: `/gencode 저장소 추가 https://github.com/acme/shop.git [브랜치]`로 색인하면 "
    "푸시할 때마다 바뀐 것만 다시 색인합니다.\n"
    "• `/gencode 목록`: 여기서 답변에 쓸 수 있는 코드. `/gencode 삭제 이름`: 여기서 공유한 파일이나 "
    "저장소를 색인에서 지웁니다(공유한 사람이나 관리자만).\n"
    "• 공개 채널에 공유한 코드는 워크스페이스 어디서나 쓰이고, 비공개 채널·DM·외부 조직과 공유된 "
    "채널의 코드는 그곳에서만 쓰입니다."
)


def usage(korean: bool) -> str:
    return USAGE_KO if korean else USAGE


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


def nothing_indexed(korean: bool = False) -> str:
    if korean:
        return (
            ":card_index_dividers: 이 대화에서 쓸 수 있는 색인된 코드가 아직 없어 답할 근거가 "
            "없습니다. 여기(또는 공개 채널)에 `.py` 파일을 공유하거나, 운영자에게 "
            "`gencode index PATH` 실행을 부탁한 뒤 다시 물어보세요."
        )
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


def indexing_queued(filename: str, ahead: int, *, korean: bool) -> str:
    """A share that waits for a free indexing worker (``ahead`` shares wait before it)."""
    if korean:
        if ahead:
            return (
                f":hourglass: `{filename}` 대기 중: 앞에 색인할 공유 {ahead}개가 기다리고 있어요."
            )
        return f":hourglass: `{filename}` 대기 중: 지금 색인 중인 공유가 끝나면 바로 시작해요."
    if ahead:
        shares = "share is" if ahead == 1 else "shares are"
        return f":hourglass: `{filename}` is queued: {ahead} {shares} waiting to be indexed first."
    return f":hourglass: `{filename}` is queued: it is next, as soon as a share being indexed finishes."


def share_interrupted(name: str, done: int, total: int, *, archive: bool, korean: bool) -> str:
    """A share whose indexing stopped because Gencode's process did (killed, restarted)."""
    if korean:
        where = f" 파일 {done:,} / {total:,}개까지 색인한 뒤" if archive and total else ""
        again = (
            "다시 공유하면 멈춘 곳부터 이어서 색인합니다(이미 색인된 파일은 다시 처리하지 않아요)."
            if archive
            else "다시 공유하면 색인합니다. 이전에 색인된 내용은 그대로입니다."
        )
        return f":warning: `{name}` 색인이{where} 중단되었습니다(Gencode가 재시작됨). {again}"
    where = f" after {done:,} / {total:,} files" if archive and total else ""
    again = (
        "Share it again to go on where it stopped: files already indexed cost nothing."
        if archive
        else "Share it again to index it; what was indexed before is unchanged."
    )
    return (
        f":warning: Indexing `{name}` was interrupted{where}: Gencode stopped before it "
        f"finished. {again}"
    )


def indexing_busy(filename: str, *, korean: bool) -> str:
    if korean:
        return (
            f":warning: 지금 색인할 공유가 너무 많아 `{filename}`을(를) 색인하지 않았어요. "
            "몇 분 뒤에 다시 공유해 주세요. 이미 색인된 것은 바뀌지 않았습니다."
        )
    return (
        f":warning: Too many shares are waiting to be indexed, so I did not index `{filename}`. "
        "Share it again in a few minutes; nothing that was already indexed has changed."
    )


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


def answered_for_a_guest(error: str, korean: bool) -> str:
    """A DM question from a guest (or someone ``users.info`` could not vouch for)."""
    if error:
        if korean:
            return (
                f"Gencode가 묻는 분이 이 워크스페이스의 정식 멤버인지 확인하지 못해(`{error}`) 이 "
                "대화에서 공유된 코드만으로 답했습니다. 앱에 `users:read` 권한이 있는지 확인하세요."
            )
        return (
            f"Gencode could not check that you are a full member of this workspace (`{error}`), "
            "so this answer draws only on code shared here. Make sure the app has the "
            "`users:read` scope."
        )
    if korean:
        return (
            "게스트에게는 워크스페이스 전체에 공유된 코드가 보이지 않으므로, 이 대화에서 공유된 "
            "코드만으로 답했습니다."
        )
    return (
        "Code shared across the workspace is for its full members, so as a guest you get "
        "answers from code shared in this conversation only."
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
        f"`{filename}` is not a Python file, so I did not index it. I index `.py` files, "
        "Jupyter notebooks (`.ipynb`) and repositories shared as `.zip`, `.tar.gz`, `.tgz` "
        "or `.tar`."
    )


def index_skipped(filename: str, why: str, removed: int = 0) -> str:
    if removed:
        return (
            f":heavy_minus_sign: `{filename}` has nothing to index ({why}); the {removed} "
            "definitions its earlier version had have left the index."
        )
    return f":heavy_minus_sign: `{filename}` has nothing to index ({why}). Nothing was changed."


def share_taken(name: str, owners: list[str], *, repository: bool, korean: bool) -> str:
    """Someone else shared ``name`` here before: this share was refused, nothing changed."""
    if korean:
        who = ", ".join(f"<@{u}>님" for u in owners) or "다른 사람"
        what = f"저장소 `{name}`" if repository else f"`{name}`"
        rename = "압축 파일(또는 그 안의 최상위 폴더)" if repository else "파일"
        return (
            f":no_entry: {what}은(는) 이 대화에서 {who}이 이미 공유했으므로 바꾸지 않았습니다. "
            f"공유한 사람이나 워크스페이스 관리자만 바꿀 수 있습니다. {who}이나 관리자에게 "
            f"지우거나(`/gencode 삭제 {name}`) 이 버전을 대신 공유해 달라고 하거나, {rename} "
            "이름을 바꿔 나란히 공유하세요. 이미 색인된 것은 바뀌지 않았습니다."
        )
    who = ", ".join(f"<@{u}>" for u in owners) or "someone else"
    what = f"the repository `{name}`" if repository else f"`{name}`"
    rename = "the archive (or its top folder)" if repository else "your file"
    return (
        f":no_entry: I did not index this: {what} was already shared here by {who}, and only "
        f"they or a workspace admin can replace it. Ask them or an admin to forget it "
        f"(`/gencode forget {name}`) or to share your version, or rename {rename} to share it "
        "beside theirs. Nothing that was already indexed has changed."
    )


def share_under_way(name: str, holder: str, *, repository: bool, korean: bool) -> str:
    """Someone else's share of ``name`` here is being indexed right now: this one waits."""
    if korean:
        who = f"<@{holder}>님" if holder else "다른 사람"
        what = f"저장소 `{name}`" if repository else f"`{name}`"
        return (
            f":no_entry: {what}은(는) 지금 {who}이 이 대화에 공유해 색인하는 중이라 바꾸지 "
            "않았습니다. 끝난 뒤에는 공유한 사람이나 워크스페이스 관리자만 바꿀 수 있으니, 그때 "
            "다시 공유하거나 이름을 바꿔 나란히 공유하세요. 이미 색인된 것은 바뀌지 않았습니다."
        )
    who = f"<@{holder}>" if holder else "someone else"
    what = f"the repository `{name}`" if repository else f"`{name}`"
    return (
        f":no_entry: I did not index this: {what} is being shared here by {who} right now. "
        "Once theirs is indexed, only they or a workspace admin can replace it: share again "
        "then, or rename yours to share it beside theirs. Nothing that was already indexed "
        "has changed."
    )


def share_is_synced(name: str, remote: str, *, korean: bool) -> str:
    """An archive named like a repository kept in sync from git here: refused."""
    if korean:
        return (
            f":no_entry: 저장소 `{name}`은(는) 이 대화에서 git(`{remote}`)과 동기화되고 있어 "
            "압축 파일로 바꾸지 않았습니다. 푸시하면 바로 반영됩니다. 압축 파일을 나란히 두려면 "
            f"이름(또는 최상위 폴더 이름)을 바꾸고, 대신 쓰려면 먼저 `/gencode 삭제 {name}` 하세요. "
            "이미 색인된 것은 바뀌지 않았습니다."
        )
    return (
        f":no_entry: I did not index this: the repository `{name}` is kept in sync from git "
        f"here (`{remote}`), so a push updates it. Rename the archive (or its top folder) to "
        f"share it beside it, or `/gencode forget {name}` first to replace it. Nothing that was "
        "already indexed has changed."
    )


# -- archives ---------------------------------------------------------------------------------


def archive_started(filename: str) -> str:
    return f":package: Reading the repository in `{filename}`…"


def archive_progress(filename: str, done: int, total: int) -> str:
    return f":package: `{filename}`: indexed {done:,} / {total:,} files…"


def archive_refused(filename: str, reason: str) -> str:
    return (
        f":x: I did not index `{filename}`: {reason}\nNothing that was already indexed has changed."
    )


def archive_empty() -> str:
    return "it holds no Python files or notebooks that I could read."


def archive_too_big(size: int, limit: int) -> str:
    return (
        f"the archive is {size:,} bytes, over the {limit:,}-byte limit for archives. Share "
        "the part of the repository you need, or ask whoever runs Gencode to raise "
        "GENCODE_ARCHIVE_MAX_DOWNLOAD."
    )


def archive_header(repo: str, link: str, files: int, functions: int, scope_note: str) -> str:
    shown = f"<{link}|{repo}>" if link else f"`{repo}`"
    return (
        f":white_check_mark: Indexed the repository {shown}: {counted(files, 'file')}, "
        f"{counted(functions, 'definition')}. {scope_note}"
    )


def archive_totals(
    new: int, unchanged: int, removed: int, skipped: int, errors: int, files_gone: int
) -> str:
    gone = f" ({counted(files_gone, 'file')} no longer in it)" if files_gone else ""
    return (
        f"*Total:* {new:,} new · {unchanged:,} unchanged · {removed:,} removed{gone} · "
        f"{skipped:,} skipped · {counted(errors, 'error')}"
    )


def archive_errors(lines: str, more: int) -> str:
    tail = f"\n_…and {more:,} more in the attached list._" if more else ""
    return f"*Files I could not index:*\n{lines}{tail}"


def archive_unfinished(done: int, total: int) -> str:
    return (
        f":hourglass: Time ran out after {done:,} of {total:,} files. Share the archive again "
        "to go on: files already indexed cost nothing, and nothing was removed."
    )


def archive_duplicates(names: str, more: int) -> str:
    """Names several entries of the archive share (``names``: "`a.py` (2)", escaped)."""
    tail = f" and {more:,} more" if more else ""
    return (
        f":warning: *Duplicate entries:* {names}{tail}. The archive holds more than one file "
        "with each of these names (the number of copies in brackets); I read the last copy, "
        "as unpacking the archive would leave it. Make the archive again if another copy "
        "was meant."
    )


def forgotten_while_indexing(filename: str) -> str:
    """An indexing stopped because its file or repository was forgotten meanwhile."""
    return (
        f":wastebasket: `{filename}` was forgotten while it was being indexed, so I stopped: "
        "nothing of it is kept. Share it again to bring it back."
    )


def archive_list_note(filename: str) -> str:
    return f"_The full per-file list is attached as `{filename}`._"


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
    if f.kind == "too-deep":
        if d and d[0] == "compile":
            return "코드가 너무 깊게 중첩되어 파이썬이 컴파일할 수 없음"
        return "코드가 너무 깊게 중첩되어 검사할 수 없음"
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


# -- /gencode list and forget -----------------------------------------------------------------


def list_header(korean: bool) -> str:
    if korean:
        return "*이 대화에서 답변에 쓸 수 있는 코드*"
    return "*What answers in this conversation can draw on*"


def list_empty(korean: bool) -> str:
    if korean:
        return "아직 여기서 쓸 수 있는 코드가 없습니다. `.py` 파일이나 저장소 압축 파일을 공유해 주세요."
    return (
        "Nothing is indexed for this conversation yet. Share a `.py` file or a repository "
        "archive here (or in a public channel)."
    )


def origin_here(korean: bool) -> str:
    return "이 대화에서 공유" if korean else "shared here"


def origin_public_channel(channel: str, korean: bool) -> str:
    if korean:
        return f"<#{channel}>에서 공유(워크스페이스 전체)"
    return f"workspace-wide, shared in <#{channel}>"


def origin_conversation(channel: str, korean: bool) -> str:
    """Code that answers only in the conversation it was shared in (shown to its sharer)."""
    if korean:
        return f"<#{channel}>에서 공유(그 대화 전용)"
    return f"only for <#{channel}>, shared there"


def origin_cli(korean: bool, *, workspace_wide: bool = True) -> str:
    if not workspace_wide:
        return (
            "이 대화 전용(CLI로 색인)" if korean else "for this conversation, indexed from the CLI"
        )
    return "워크스페이스 전체(CLI로 색인)" if korean else "workspace-wide, indexed from the CLI"


def list_line(
    *,
    name: str,
    repo: bool,
    files: int,
    functions: int,
    origin: str,
    who: str,
    when: int,
    korean: bool,
) -> str:
    date = f"<!date^{when}^{{date_short}}|{when}>"
    by = f"<@{who}>" if who.startswith(("U", "W")) else (f"`{who}`" if who else "?")
    if korean:
        what = f"저장소 `{name}` (파일 {files:,}개)" if repo else f"`{name}`"
        return f"• {what}: 함수 {functions:,}개 · {origin} · {by} · {date}"
    what = f"repository `{name}` ({counted(files, 'file')})" if repo else f"`{name}`"
    return f"• {what}: {counted(functions, 'function')} · {origin} · by {by} · {date}"


def list_totals(repos: int, files: int, functions: int, more: int, korean: bool) -> str:
    if korean:
        tail = f" · 나머지 {more:,}개는 생략" if more > 0 else ""
        return f"합계: 저장소 {repos:,}개, 파일 {files:,}개, 함수 {functions:,}개{tail}"
    tail = f" · {more:,} more not shown" if more > 0 else ""
    return (
        f"Total: {counted(repos, 'repository', 'repositories')}, {counted(files, 'file')}, "
        f"{counted(functions, 'function')}{tail}"
    )


def forget_usage(korean: bool) -> str:
    if korean:
        return (
            "무엇을 지울지 알려 주세요: `/gencode 삭제 이름` (이름은 `/gencode 목록`에 나옵니다)."
        )
    return "Say what to forget: `/gencode forget NAME` (`/gencode list` shows the names)."


def forget_unknown(name: str, korean: bool) -> str:
    if korean:
        return (
            f"이 대화에서 공유된 `{name}`을(를) 찾지 못했습니다. 지울 수 있는 것은 이 대화에서 "
            "공유된 파일과 저장소뿐입니다. `/gencode 목록`으로 확인해 보세요."
        )
    return (
        f"Nothing named `{name}` was shared in this conversation. Only files and repositories "
        "shared here can be forgotten here; `/gencode list` shows them."
    )


def forget_not_allowed(name: str, sharers: list[str], korean: bool) -> str:
    who = ", ".join(f"<@{u}>" for u in sharers) or (
        "공유한 사람" if korean else "whoever shared it"
    )
    if korean:
        return f"`{name}`은(는) {who}님이나 워크스페이스 관리자만 지울 수 있습니다."
    return f"Sorry, only {who} or a workspace admin can make me forget `{name}`."


def forget_confirm(name: str, files: int, functions: int, korean: bool) -> str:
    if korean:
        return (
            f"`{name}`(파일 {files:,}개, 함수 {functions:,}개)을(를) 색인에서 지울까요? "
            "다시 공유하면 되살릴 수 있습니다."
        )
    return (
        f"Forget `{name}` ({counted(files, 'file')}, {counted(functions, 'function')})? "
        "Answers will stop drawing on it; sharing it again brings it back."
    )


def forget_button(korean: bool) -> str:
    return "지우기" if korean else "Forget it"


def cancel_button(korean: bool) -> str:
    return "취소" if korean else "Cancel"


def forget_cancelled(name: str, korean: bool) -> str:
    return f"`{name}`은(는) 그대로 둡니다." if korean else f"Kept `{name}`."


def forget_button_used(name: str, korean: bool) -> str:
    """A forget or cancel button clicked again (a double click, or a replayed request)."""
    if korean:
        return (
            f"이 버튼은 이미 처리되었습니다. `{name}`을(를) 지우려면 `/gencode 삭제 {name}`을(를) "
            "다시 실행해 주세요."
        )
    return (
        f"This button was already used, so I did nothing this time. To forget `{name}` now, "
        f"run `/gencode forget {name}` again."
    )


def forget_changed(name: str, korean: bool) -> str:
    """The code changed (shared again) after the confirmation was shown: nothing forgotten."""
    if korean:
        return (
            f"확인 요청 뒤에 `{name}`이(가) 다시 공유되어 바뀌었으므로 아무것도 지우지 않았습니다. "
            f"지금 버전을 지우려면 `/gencode 삭제 {name}`을(를) 다시 실행해 주세요."
        )
    return (
        f"`{name}` has changed since I asked (it was shared again), so I forgot nothing. "
        f"To forget what is there now, run `/gencode forget {name}` again."
    )


def forgotten(name: str, files: int, functions: int, korean: bool) -> str:
    if korean:
        return f":wastebasket: `{name}`을(를) 지웠습니다: 파일 {files:,}개, 함수 {functions:,}개."
    return (
        f":wastebasket: Forgot `{name}`: {counted(files, 'file')}, "
        f"{counted(functions, 'function')}."
    )


def home_workspace_header() -> str:
    return "*Code every conversation of this workspace can draw on*"


def home_visible_header() -> str:
    """The App Home of a guest or someone from another organisation (Slack Connect)."""
    return "*Code the conversations you are in can draw on*"


def home_not_all_checked(error: str) -> str:
    return (
        f"Gencode could not check every conversation you are in (`{error}`), so this list "
        "may be short: `/gencode list` in a conversation shows what answers there draw on."
    )


def home_own_header() -> str:
    return "*What you shared, wherever you shared it*"


def unknown_command(command: str) -> str:
    return f"I only answer `/gencode`, not `{command}`. Try `/gencode help`."


# -- repositories kept in sync from git ---------------------------------------------------------

REPO_REASONS_KO: dict[str, str] = {
    "bad_url": "{detail}은(는) 쓸 수 있는 저장소 URL이 아닙니다. https:// 클론 URL을 주세요 "
    "(예: https://github.com/acme/shop.git).",
    "scheme": "{detail}은(는) 가져오지 않습니다. 저장소의 https:// 클론 URL을 주세요.",
    "credentials_in_url": "URL에 사용자 이름이나 비밀번호가 들어 있습니다. 토큰이 채널 기록에 "
    "남으면 안 되니 URL에서 지우고, Gencode 운영자에게 GENCODE_GIT_TOKEN(또는 호스트별 "
    "GENCODE_GIT_TOKENS) 설정을 부탁하세요.",
    "host_not_allowed": "{detail}은(는) Gencode가 가져올 수 있는 git 호스트가 아닙니다. "
    "운영자에게 GENCODE_GIT_HOSTS에 추가해 달라고 하세요.",
    "link_local": "{detail}은(는) 링크 로컬 또는 클라우드 메타데이터 주소라 절대 접속하지 않습니다.",
    "redirect": "서버가 다른 호스트({detail})로 리다이렉트했습니다. 허용된 호스트 밖으로는 따라가지 "
    "않으니 저장소의 최종 URL을 주세요.",
    "auth": "{detail}이(가) 인증을 거부했습니다(또는 요구했습니다). 비공개 저장소라면 운영자에게 "
    "읽을 수 있는 토큰을 GENCODE_GIT_TOKEN에 설정해 달라고 하세요.",
    "not_found": "{detail}에서 저장소를 찾지 못했습니다. URL과 토큰 권한을 확인하세요.",
    "branch_missing": "원격에 {detail} 브랜치가 없습니다(삭제되었거나 이름이 바뀜). 마지막으로 "
    "색인한 코드는 그대로 둡니다. 있는 브랜치로 다시 추가하거나 삭제하세요.",
    "too_big": "저장소가 너무 큽니다: {detail}. 운영자에게 한도를 올려 달라고 하거나 더 작은 "
    "저장소를 색인하세요.",
    "timeout": "가져오는 데 너무 오래 걸렸습니다({detail}). 나중에 다시 시도하세요.",
    "network": "{detail}에 연결하지 못했습니다. 나중에 다시 시도하세요.",
    "protocol": "{detail}의 서버가 git 서버처럼 답하지 않았습니다.",
    "name_shared": "{detail}(이)라는 이름의 코드를 다른 사람이 이미 여기 공유했습니다. 저장소를 "
    "추가하면 그 코드를 덮어쓰게 되니 먼저 삭제하세요.",
    "name_synced": "같은 이름의 저장소가 이미 여기서 동기화되고 있습니다({detail}에서). "
    "먼저 삭제하세요.",
    "empty": "저장소에 아직 브랜치가 없습니다({detail}). 첫 커밋을 푸시하세요.",
    "indexing": "색인에 실패했습니다: {detail}",
}


def repo_reason(code: str, detail: str, korean: bool) -> str:
    """Why a repository could not be added or synced, in the asker's language.
    ``detail`` must be escaped by the caller."""
    table = REPO_REASONS_KO if korean else GIT_REASONS
    return table.get(code, "{detail}").format(detail=detail or code)


def repo_usage(korean: bool) -> str:
    if korean:
        return (
            "저장소를 URL로 추가하세요: `/gencode 저장소 추가 https://github.com/acme/shop.git "
            "[브랜치]`. 색인한 뒤 푸시할 때마다 바뀐 파일만 다시 색인합니다."
        )
    return (
        "Add a repository by its URL: `/gencode repo add https://github.com/acme/shop.git "
        "[BRANCH]`. I index it, then re-index what changed on every push."
    )


def repo_refused(reason: str, korean: bool) -> str:
    if korean:
        return f":x: 저장소를 추가하지 않았습니다: {reason}"
    return f":x: I did not add the repository: {reason}"


def repo_adding(display: str, korean: bool) -> str:
    if korean:
        return f":package: `{display}`을(를) 확인하는 중입니다. 진행 상황은 이 대화의 스레드에 올립니다."
    return (
        f":package: Checking `{display}`; the indexing will show in a thread in this conversation."
    )


def repo_added(user: str, name: str, display: str, branch: str, korean: bool) -> str:
    if korean:
        return (
            f"<@{user}>님이 저장소 `{name}`(`{display}`, 브랜치 `{branch}`)을(를) 추가했습니다. "
            "이 스레드에서 색인하고, 이후 푸시마다 바뀐 파일만 다시 색인합니다."
        )
    return (
        f"<@{user}> added the repository `{name}` (`{display}`, branch `{branch}`). I index it "
        "in this thread, then re-index what changed on every push."
    )


def repo_fetching(display: str, korean: bool) -> str:
    if korean:
        return f":package: `{display}`을(를) 가져오는 중…"
    return f":package: Fetching `{display}`…"


def repo_progress(name: str, done: int, total: int, korean: bool) -> str:
    if korean:
        return f":package: `{name}`: 파일 {done:,} / {total:,}개 색인…"
    return f":package: `{name}`: indexed {done:,} / {total:,} files…"


def repo_busy(name: str, korean: bool) -> str:
    if korean:
        return (
            f":hourglass: `{name}`은(는) 이미 동기화 중입니다(푸시). 그 동기화가 끝까지 색인합니다."
        )
    return f":hourglass: `{name}` is being synced already (a push got there first); that sync finishes the job."


def repo_queue_full(name: str, korean: bool) -> str:
    if korean:
        return (
            f":warning: 지금 색인할 작업이 너무 많아 `{name}`을(를) 아직 색인하지 않았어요. "
            "등록은 되었으니 다음 푸시나 예약 동기화 때 색인됩니다."
        )
    return (
        f":warning: Too much is waiting to be indexed, so `{name}` is not indexed yet. It is "
        "registered: the next push or scheduled sync indexes it."
    )


def repo_up_to_date(name: str, commit: str, korean: bool) -> str:
    if korean:
        return f":white_check_mark: `{name}`은(는) 이미 최신입니다(`{commit[:7]}`)."
    return f":white_check_mark: `{name}` is already indexed at its latest commit (`{commit[:7]}`)."


def repo_unfinished(done: int, total: int, korean: bool) -> str:
    if korean:
        return (
            f":hourglass: 시간이 다 되어 파일 {total:,}개 중 {done:,}개까지 색인했습니다. 다음 "
            "동기화가 이어서 색인합니다(색인한 파일은 다시 읽지 않습니다)."
        )
    return (
        f":hourglass: Time ran out after {done:,} of {total:,} files. The next sync goes on "
        "from there (files already indexed are not read again); nothing was removed."
    )


def repo_sync_failed(name: str, display: str, reason: str, korean: bool) -> str:
    if korean:
        return (
            f":warning: `{name}`(`{display}`) 동기화 실패: {reason}\n"
            "이 오류는 한 번만 알립니다. `/gencode 목록`에서 상태를 볼 수 있습니다."
        )
    return (
        f":warning: Syncing `{name}` (`{display}`) failed: {reason}\n"
        "I say this once here, not on every retry; `/gencode list` shows how it stands."
    )


def repo_sync_line(
    *, display: str, branch: str, commit: str, synced: int, error: str, korean: bool
) -> str:
    """The line under a repository in ``/gencode list``: where it syncs from and how it stands."""
    at = f"`{commit[:7]}`" if commit else ("아직 없음" if korean else "not yet")
    when = f"<!date^{synced}^{{date_short_pretty}} {{time}}|{synced}>" if synced else "-"
    if korean:
        line = f"    ↳ `{display}` 브랜치 `{branch}` · 커밋 {at} · 마지막 동기화 {when}"
        return line + (f"\n    ↳ :warning: 마지막 오류: {error}" if error else "")
    line = f"    ↳ synced from `{display}`, branch `{branch}` · at {at} · last synced {when}"
    return line + (f"\n    ↳ :warning: last error: {error}" if error else "")


def repo_pending_line(name: str, korean: bool) -> str:
    """A registered repository with nothing indexed (yet)."""
    if korean:
        return f"• 저장소 `{name}`: 아직 색인된 파일 없음"
    return f"• repository `{name}`: no file indexed yet"


def forget_repo_too(display: str, korean: bool) -> str:
    if korean:
        return f" `{display}`에서의 동기화도 멈춥니다."
    return f" It also stops syncing from `{display}`."
