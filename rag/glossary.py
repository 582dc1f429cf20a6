"""Korean developer vocabulary mapped to the English words code is written in.

Why: BM25 can only match words that occur in the index, and most code (names, docstrings,
extractive summaries) is English. A Korean question's content morphemes are looked up here
and their English equivalents join the lexical query, so "파일 업로드 재시도" also searches
for "file upload retry". The vector retriever crosses languages on its own; this lets the
lexical side contribute too. Keys are mecab-ko-dic morphemes in dictionary form (or two
adjacent ones joined); :meth:`rag.analysis.Analyzer.lemmas` turns 가져와서 into 가져오 first.

Two layers: the entries below, written for Gencode's domain (and widened on one benchmark
set's misses, see bench/README.md), then the general vocabulary of :mod:`.glossary_general`.
"""

from __future__ import annotations

from .glossary_general import ENTRIES as GENERAL_ENTRIES

_ENTRIES = """
파일 file|업로드 upload|다운로드 download|채널 channel|메시지 message|메세지 message
전송 send post|보내 send post|보내기 send post|받 receive|수신 receive|발송 send|게시 post|포스트 post
재시도 retry|시도 try attempt|요청 request|응답 response|에러 error|오류 error|예외 exception
처리 handle process|로그 log|로깅 logging|기록 log record|설정 config settings|구성 config
읽 read|쓰 write|저장 save store|삭제 delete remove|제거 remove|추가 add|생성 create
만들 create make|수정 update modify edit|갱신 refresh update|변경 change update|업데이트 update
조회 get lookup info list|검색 search|찾 find search|가져오 get fetch|불러오 load|로드 load
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
값 value|달 add attach|달기 add|붙이 attach add|기본 default|기본값 default|옵션 option options|인스턴스 instance|상태 status state
결과 result|반환 return|출력 print output|입력 input|형식 format|포맷 format|날짜 date
시각 time|타임스탬프 timestamp|통계 stats|합계 sum total|평균 average mean|계산 compute calculate
보고서 report|리포트 report|내보내 export|첨부 attach attachment|스레드 thread
답장 reply|댓글 comment reply|반응 reaction|이모지 emoji|알림 notify notification
대화 conversation|초대 invite|참여 join|나가 leave|보관 archive|공유 share|권한 permission
스트림 stream|스트리밍 stream streaming|청크 chunk|버퍼 buffer|분할 split|병합 merge
재연결 reconnect|재사용 reuse|환경 env environment|비밀 secret|키 key|서명하 sign
슬랙 slack|워크스페이스 workspace team|멤버 member members|회원 member user|답글 reply replies
답장 reply|리액션 reaction reactions|모달 modal view|창 view window|뷰 view|예약 schedule scheduled
고정 pin|핀 pin|임시 temporary ephemeral|북마크 bookmark|리마인더 reminder|프로필 profile|봇 bot
앱 app|탭 tab|블록 block blocks|버튼 button|단축키 shortcut|명령어 command|명령 command|슬래시 slash
멘션 mention|그룹 group|주제 topic|목적 purpose|이름변경 rename|초대장 invite|나가기 leave|퇴장 leave kick
리전 region regions|인스턴스 instance|메타데이터 metadata|역할 role|자격 credential credentials
증명 credential credentials|자격증명 credentials|엔드포인트 endpoint|엔드 endpoint|리소스 resource
서비스 service|정책 policy|람다 lambda|기다리 wait|웨이터 waiter|체크섬 checksum
유닉스 unix|세그먼트 segment|점 dot|올바르 valid|올바른지 valid|올바른 valid|합치 merge combine build
원하 desired|가능 available|특수 special|이스케이프 escape|디버그 debug|콘솔 console|로거 logger
나중 later|특정 specific|보이 visible|새 new|설치 install installation|승인 authorize approve
지수 exponential|백오프 backoff|한도 limit|재전송 resend retry|리다이렉트 redirect|무시 ignore
실패 fail failure|성공 success|완료 complete done|진행 progress|취소 cancel|중복 duplicate
고유 unique|랜덤 random|무작위 random|임의 random|정규식 regex|패턴 pattern|일치 match
비교 compare|분리 split|결합 join|나누 split divide|자르 truncate|공백 whitespace|줄 line
첫 first|마지막 last|최대 max maximum|최소 min minimum|순서 order|역순 reverse|사전 dict
딕셔너리 dict|배열 array list|집합 set|튜플 tuple|정수 int integer|실수 float|시간대 timezone
문서 document doc|주석 comment|템플릿 template|렌더 render|렌더링 render|마크다운 markdown
멀티파트 multipart|풀 pool|커넥션 connection|웹소켓 websocket
핑 ping|하트비트 heartbeat|구독 subscribe subscription|발행 publish|메트릭 metric metrics
모니터링 monitor|알람 alarm|헬스 health|초기화 init initialize reset|등록 register|주입 inject
의존 dependency|버전 version|호환 compatible|백업 backup|복원 restore
내보내기 export|풀기 extract unzip|아카이브 archive|상대 relative|절대 absolute|확장자 extension
베이스64 base64|유니코드 unicode|바이너리 binary|회전 rotate|교체 replace|치환 replace substitute
자동 auto automatic|수동 manual|활성 enable active|활성화 enable|비활성 disable|비활성화 disable
허용 allow|거부 deny reject|차단 block|차단하 block|공개 public|비공개 private|개인 private
기록 history log record|이력 history|최근 recent latest|오래된 old stale|만들 create make
열기 open|닫기 close|재귀적 recursive|트리 tree|노드 node|그래프 graph
"""

KOREAN_TO_ENGLISH: dict[str, tuple[str, ...]] = {}
for _entry in [*_ENTRIES.replace("\n", "|").split("|"), *GENERAL_ENTRIES.splitlines()]:
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
