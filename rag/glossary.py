"""Korean developer vocabulary mapped to the English words code is written in.

Why: BM25 can only match words that occur in the index, and most code (names, docstrings,
extractive summaries) is English. A Korean question's content morphemes are looked up here
and their English equivalents join the lexical query, so "파일 업로드 재시도" also searches
for "file upload retry". The vector retriever crosses languages on its own; this lets the
lexical side contribute too. Keys are mecab-ko-dic morphemes (or two adjacent ones joined).
"""

from __future__ import annotations

_ENTRIES = """
파일 file|업로드 upload|다운로드 download|채널 channel|메시지 message|메세지 message
전송 send|보내 send|보내기 send|받 receive|수신 receive|발송 send|게시 post|포스트 post
재시도 retry|시도 try attempt|요청 request|응답 response|에러 error|오류 error|예외 exception
처리 handle process|로그 log|로깅 logging|기록 log record|설정 config settings|구성 config
읽 read|쓰 write|저장 save store|삭제 delete remove|제거 remove|추가 add|생성 create
만들 create make|수정 update modify|갱신 refresh update|변경 change update|업데이트 update
조회 get fetch query|검색 search|찾 find search|가져오 get fetch|불러오 load|로드 load
목록 list|리스트 list|사용자 user|사용 use|유저 user|계정 account|권한 permission scope
토큰 token|인증 auth authentication|인가 authorization|서명 signature sign|검증 verify validate
확인 check verify|비밀번호 password|암호 password|암호화 encrypt|복호화 decrypt|해시 hash
만료 expire expired|세션 session|쿠키 cookie|헤더 header headers|본문 body|파라미터 param params
매개 param|변수 variable|인자 argument args|함수 function|메서드 method|클래스 class
객체 object|모듈 module|패키지 package|타입 type|비동기 async|동기 sync|병렬 parallel
동시 concurrent|스레드 thread|프로세스 process|큐 queue|작업 job task|스케줄 schedule
페이지 page|페이지네이션 paginate pagination|네이션 pagination|커서 cursor|다음 next
반복 iterate loop|정렬 sort|필터 filter|변환 convert transform|파싱 parse|파싱하 parse
파서 parser|직렬 serialize|역직렬 deserialize|인코딩 encode encoding|디코딩 decode
압축 compress|해제 release|연결 connect connection|접속 connect|종료 close|닫 close|열 open
시작 start|중지 stop|대기 wait|타임아웃 timeout|시간 time|초과 exceed timeout|제한 limit
속도 rate|재귀 recursive|복사 copy|이동 move|디렉터리 directory dir|디렉토리 directory dir
폴더 folder directory|경로 path|이름 name|크기 size|길이 length|개수 count|숫자 number
문자열 string str|문자 char string|바이트 bytes|데이터 data|데이터베이스 database db
테이블 table|쿼리 query|트랜잭션 transaction|캐시 cache|버킷 bucket|객체 object
이미지 image|텍스트 text|이메일 email|메일 mail email|주소 address url|링크 link url
웹훅 webhook|이벤트 event|핸들러 handler|콜백 callback|리스너 listener|미들웨어 middleware
클라이언트 client|서버 server|호스트 host|포트 port|프록시 proxy|소켓 socket
테스트 test|모의 mock|검사 check validate|유효 valid validate|유효성 validation validate
값 value|기본 default|기본값 default|옵션 option options|인스턴스 instance|상태 status state
결과 result|반환 return|출력 print output|입력 input|형식 format|포맷 format|날짜 date
시각 time|타임스탬프 timestamp|통계 stats|합계 sum total|평균 average mean|계산 compute calculate
보고서 report|리포트 report|내보내 export|첨부 attach attachment|스레드 thread
답장 reply|댓글 comment reply|반응 reaction|이모지 emoji|알림 notify notification
대화 conversation|초대 invite|참여 join|나가 leave|보관 archive|공유 share|권한 permission
스트림 stream|스트리밍 stream streaming|청크 chunk|버퍼 buffer|분할 split|병합 merge
재연결 reconnect|재사용 reuse|환경 env environment|비밀 secret|키 key|서명하 sign
"""

KOREAN_TO_ENGLISH: dict[str, tuple[str, ...]] = {}
for _entry in _ENTRIES.replace("\n", "|").split("|"):
    if _entry.strip():
        _korean, *_english = _entry.split()
        KOREAN_TO_ENGLISH.setdefault(_korean, tuple(_english))


def english_for(morphemes: list[str], *, skip: frozenset[str] = frozenset()) -> list[str]:
    """English words for a run of Korean morphemes (single ones and adjacent pairs)."""
    out: list[str] = []
    for i, morpheme in enumerate(morphemes):
        if morpheme in skip:
            continue
        pair = morpheme + morphemes[i + 1] if i + 1 < len(morphemes) else ""
        if pair in KOREAN_TO_ENGLISH:
            out.extend(KOREAN_TO_ENGLISH[pair])
        out.extend(KOREAN_TO_ENGLISH.get(morpheme, ()))
    return out
