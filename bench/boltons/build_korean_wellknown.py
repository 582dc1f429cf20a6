#!/usr/bin/env python3
"""Builds korean_wellknown_test.tsv / _skips.tsv / _picks.tsv (hand-picked well-known functions)."""

import os

HERE = os.path.dirname(os.path.abspath(__file__))
I, S, C, D, ST, F, T, U, TB, FU, STA, TA, Q, SO = (  # noqa: E741
    "boltons/iterutils.py",
    "boltons/strutils.py",
    "boltons/cacheutils.py",
    "boltons/dictutils.py",
    "boltons/setutils.py",
    "boltons/fileutils.py",
    "boltons/timeutils.py",
    "boltons/urlutils.py",
    "boltons/tbutils.py",
    "boltons/funcutils.py",
    "boltons/statsutils.py",
    "boltons/tableutils.py",
    "boltons/queueutils.py",
    "boltons/socketutils.py",
)

# (path, qualname, query or None, skip_reason or None)
PICKS = [
    (
        I,
        "chunked_iter",
        "리스트를 n개씩 끊어서 묶고 싶은데 리스트 통째로 만들지 말고 제너레이터로 하나씩 뽑아주는 버전으로 짜줘. 마지막 묶음이 모자라면 None으로 채우는 옵션도 있으면 좋겠어",
        None,
    ),
    (
        I,
        "windowed_iter",
        "시계열 데이터에서 길이 3짜리 슬라이딩 윈도우를 튜플로 쭉 뽑는 iterator 필요해요. 끝부분은 fill 값으로 채울 수 있게",
        None,
    ),
    (
        I,
        "chunk_ranges",
        "전체 길이 N인 입력을 고정 크기 구간으로 나눠서 (start, end) 인덱스 쌍만 뽑고 싶음. 구간끼리 겹치는 overlap 크기랑 시작 offset도 지정 가능하게",
        None,
    ),
    (
        I,
        "bucketize",
        "리스트 원소들을 key 함수 결과값 기준으로 그룹핑해서 {키: [값들]} dict로 만드는 함수 있어? key 자리에 속성 이름 문자열 넣어도 되면 좋고",
        None,
    ),
    (
        I,
        "partition",
        "조건 함수 주면 리스트를 조건 만족하는 애들이랑 아닌 애들 두 리스트로 쪼개주는 코드",
        None,
    ),
    (
        I,
        "unique_iter",
        "순서는 그대로 두고 중복만 걸러내는 제너레이터, key 함수로 중복 기준 바꿀 수 있게",
        None,
    ),
    (
        I,
        "redundant",
        "리스트에서 두 번 이상 나온 값들만 골라내고 싶어. str.lower 같은 key 함수 쓸 수 있고 중복끼리 그룹으로 묶어 보는 옵션도",
        None,
    ),
    (
        I,
        "flatten_iter",
        "[[1, 2], [[3], [4, 5]]] 처럼 몇 겹인지 모르는 중첩 리스트를 평평하게 펴서 하나씩 yield 하는 법. 문자열은 글자 단위로 쪼개지면 안 됨",
        None,
    ),
    (
        I,
        "research",
        "깊게 중첩된 dict/list JSON 데이터 전체를 재귀로 훑어서 조건에 맞는 값들을 (경로, 값) 쌍 리스트로 찾아내고 싶어요",
        None,
    ),
    (
        I,
        "get_path",
        "중첩 dict 안쪽 값을 ('a', 'b', 0) 같은 키 튜플이나 'a.b.c' 점 문자열로 꺼내기. 중간에 없으면 기본값 리턴하고, 에러 나면 어느 단계에서 터졌는지 메시지에 나오게",
        None,
    ),
    (
        I,
        "soft_sorted",
        "정렬은 하는데 특정 값 몇 개는 무조건 맨 앞에, 또 몇 개는 맨 뒤로 보내고 싶을 때 어떻게 해?",
        None,
    ),
    (
        I,
        "untyped_sorted",
        "파이썬3에서 int랑 str 섞인 리스트 정렬하면 TypeError 나잖아. 타입 달라도 에러 없이 정렬되게 하는 코드",
        None,
    ),
    (I, "xfrange", "range처럼 쓰는데 step이 0.25 같은 실수인 버전, 리스트 말고 제너레이터로", None),
    (
        I,
        "same",
        "iterable 안 값들이 전부 똑같은지 체크 (빈 거면 True), 특정 기준값이랑 비교하는 것도 되게",
        None,
    ),
    (
        S,
        "strip_ansi",
        "로그 파일에 터미널 색상 ANSI escape 코드가 섞여 들어갔는데 그거 싹 지우는 거. bytes 넣으면 bytes로 돌려줘야 함",
        None,
    ),
    (
        S,
        "bytes2human",
        "파일 크기 바이트 숫자를 126K, 95M 이런 식으로 사람이 읽기 좋게 바꾸는 함수, 소수점 자릿수 지정 가능하게",
        None,
    ),
    (
        S,
        "pluralize",
        "영어 단어 단수형을 복수형으로 바꾸기 (enemy → enemies), 원래 대소문자 패턴은 유지",
        None,
    ),
    (
        S,
        "asciify",
        "'Beyoncé' 같이 악센트 붙은 유니코드 문자열을 악센트 떼고 ASCII bytes로 변환하는 방법",
        None,
    ),
    (
        S,
        "html2text",
        "HTML 문자열에서 태그 다 벗기고 텍스트만 남기기, &amp; &nbsp; 같은 엔티티도 실제 문자로 바꿔서",
        None,
    ),
    (
        S,
        "is_uuid",
        "문자열이 올바른 UUID 형식인지 검사하는 함수, 버전 4인지까지 확인하고 버전 체크는 끌 수도 있게",
        None,
    ),
    (
        S,
        "format_int_list",
        "정수 리스트 [1,3,5,6,7,8,10,11]을 '1,3,5-8,10-11'처럼 연속 구간은 범위로 압축한 문자열로 만들어줘",
        None,
    ),
    (
        S,
        "parse_int_list",
        "프린터 페이지 지정처럼 '1,3,5-8' 입력 받으면 [1,3,5,6,7,8] 정수 리스트로 풀어주는 파서",
        None,
    ),
    (
        S,
        "complement_int_list",
        "'1,3,5-8' 같은 번호 범위 문자열 주면 거기서 빠진 번호들만 다시 범위 문자열로 돌려주는 함수. 시작/끝 범위도 지정 가능하게",
        None,
    ),
    (
        S,
        "human_readable_list",
        "['apple', 'pear', 'kiwi'] 를 'apple, pear, and kiwi' 처럼 쉼표랑 and로 자연스럽게 이어붙이기, 옥스퍼드 콤마 on/off 가능하게",
        None,
    ),
    (
        S,
        "ellipsize",
        "긴 텍스트가 최대 글자 수 넘으면 단어 중간 말고 공백 기준으로 자르고 끝에 … 붙이는 코드",
        None,
    ),
    (
        S,
        "gzip_bytes",
        "메모리에 있는 bytes 데이터를 gzip으로 압축해서 다시 bytes로 받기, 압축 레벨 1~9 지정",
        None,
    ),
    (
        S,
        "iter_splitlines",
        "큰 문자열을 줄 단위로 나누는데 str.splitlines()처럼 리스트 통째로 만들지 말고 한 줄씩 lazy하게. \\r\\n, \\r 줄바꿈도 다 처리",
        None,
    ),
    (
        S,
        "a10n",
        "internationalization → i18n 처럼 첫 글자 + 가운데 글자 수 + 마지막 글자로 줄이는 거 있나",
        None,
    ),
    (
        S,
        "args2sh",
        "subprocess 인자 리스트를 bash에 그대로 붙여넣을 수 있는 명령어 문자열로 만들기. 특수문자 있는 인자는 작은따옴표로 감싸고 인자 사이 구분자도 지정 가능하게",
        None,
    ),
    (
        S,
        "escape_shell_args",
        "커맨드 인자 리스트를 쉘 명령어 문자열로 이스케이프하는데 윈도우면 cmd 규칙, 리눅스/맥이면 sh 규칙을 플랫폼 보고 자동으로 골라줘. 구분자도 바꿀 수 있게",
        None,
    ),
    (
        S,
        "MultiReplace.sub",
        "여러 개의 찾아바꾸기 규칙을 정규식 하나로 합쳐서 미리 컴파일해둔 객체가 있을 때, 입력 텍스트에 그 치환들을 한 번에 적용하는 메서드",
        None,
    ),
    (
        C,
        "make_cache_key",
        "메모이제이션용으로 함수 positional args랑 kwargs를 해시 가능한 캐시 키 하나로 만드는 코드. typed 켜면 3이랑 3.0이 다른 키가 되게",
        None,
    ),
    (
        C,
        "ThresholdCounter.add",
        "스트림에서 자주 나오는 것만 세고 드문 키는 주기적으로 버려서 메모리 아끼는 근사 카운터에 키 하나 카운트 +1 하는 부분",
        None,
    ),
    (
        D,
        "OneToOne.update",
        "키↔값 양방향으로 조회되는 1:1 매핑 dict에 dict나 (k, v) 리스트로 여러 쌍을 한꺼번에 넣기, 값도 hashable인지 먼저 확인",
        None,
    ),
    (
        D,
        "ManyToMany.add",
        "다대다 관계 저장하는 매핑에 (key, val) 쌍 하나 추가하면서 역방향 인덱스도 같이 갱신하는 코드",
        None,
    ),
    (
        D,
        "ManyToMany.replace",
        "다대다 매핑에서 키 하나를 새 키로 이름 바꾸고, 역방향 쪽에 있던 참조도 전부 새 키로 교체",
        None,
    ),
    (
        D,
        "FrozenDict.updated",
        "immutable dict은 직접 수정이 안 되니까 기존 걸 복사해서 값 몇 개 덮어쓴 새 불변 dict 만드는 방법",
        None,
    ),
    (
        D,
        "OrderedMultiDict.getlist",
        None,
        "identical copy exists as boltons/urlutils.py OrderedMultiDict.getlist; no question can tell the two apart",
    ),
    (
        D,
        "OrderedMultiDict.update_extend",
        None,
        "identical copy exists as boltons/urlutils.py OrderedMultiDict.update_extend; no question can tell the two apart",
    ),
    (
        ST,
        "IndexedSet.index",
        "삽입 순서 유지되고 인덱스 접근도 되는 set에서 어떤 원소가 몇 번째 위치인지 찾기, 없으면 ValueError",
        None,
    ),
    (
        ST,
        "IndexedSet.pop",
        "순서 있는 set에서 리스트처럼 특정 인덱스 위치의 원소를 빼서 반환 (기본은 마지막 원소)",
        None,
    ),
    (
        ST,
        "IndexedSet.iter_slice",
        "인덱스 되는 set에서 start~stop 구간만 새 set 만들지 말고 iterator로 돌고 싶음",
        None,
    ),
    (
        ST,
        "IndexedSet.intersection",
        "순서 보존되는 set끼리 교집합 구하는데 결과도 같은 순서 보존 set으로 새로 만들어서 리턴",
        None,
    ),
    (
        ST,
        "complement",
        "'이것들 빼고 전부'를 표현하는 여집합 set 만들기. 포함 안 된 원소만 기억하고 일반 set이랑 &, | 연산이 되게",
        None,
    ),
    (
        F,
        "mkdir_p",
        "폴더 만들 때 중간 경로 디렉토리까지 한꺼번에 생성하고, 이미 있으면 에러 없이 그냥 넘어가게",
        None,
    ),
    (
        F,
        "iter_find_files",
        "디렉토리 밑을 재귀로 돌면서 *.py 같은 glob 패턴에 맞는 파일 경로를 제너레이터로 뽑기. 무시할 패턴이랑 최대 깊이도 설정",
        None,
    ),
    (
        F,
        "copy_tree",
        "폴더를 통째로 복사하는데 대상 디렉토리가 이미 있어도 에러 안 나게 하고 싶어요 (shutil 기본 동작은 이미 있으면 터짐)",
        None,
    ),
    (
        F,
        "rotate_file",
        "로그 파일 로테이션 코드: app.log를 app.1.log로 밀고 기존 것들 번호 하나씩 올리고 keep 개수 넘는 건 삭제",
        None,
    ),
    (
        F,
        "AtomicSaver.setup",
        "파일을 atomic하게 저장하는 with 블록 진입 시점에 대상 파일과 같은 폴더에 임시 part 파일 여는 준비 단계. 덮어쓰기 금지인데 파일 이미 있으면 에러",
        None,
    ),
    (
        T,
        "daterange",
        "시작 날짜부터 끝 날짜까지 하루씩, 혹은 한 달씩 date 객체 뽑아주는 range 같은 제너레이터. 끝 날짜 포함 여부 옵션 필요",
        None,
    ),
    (
        T,
        "isoparse",
        "datetime.isoformat()으로 찍은 문자열을 다시 datetime 객체로 파싱 (마이크로초까지)",
        None,
    ),
    (
        T,
        "parse_timedelta",
        "'1d 2h 3.5m'이나 '2 weeks 1 day' 같은 기간 문자열 받아서 timedelta로 바꾸는 파서 짜줘",
        None,
    ),
    (
        U,
        "URL.navigate",
        "현재 페이지 URL 기준으로 '../en/latest/' 같은 상대 링크 따라갔을 때 최종 URL 계산하기, 브라우저처럼",
        None,
    ),
    (
        U,
        "URL.normalize",
        "URL 경로에 있는 . 이랑 .. 세그먼트 정리하고 scheme, host는 소문자로 맞추기",
        None,
    ),
    (
        U,
        "URL.from_parts",
        "scheme, host, port, 경로 조각 튜플, 쿼리 파라미터를 각각 따로 받아서 URL 객체 하나로 조립하는 법",
        None,
    ),
    (
        U,
        "URL.get_authority",
        "URL에서 user:password@host:port 부분만 문자열로 뽑기. 기본 포트면 생략하고 IPv6 호스트는 대괄호로",
        None,
    ),
    (
        U,
        "find_all_links",
        "채팅 메시지 같은 일반 텍스트 안에서 URL처럼 생긴 거 다 찾아서 리스트로 주는 함수. 스킴 없는 www.example.com도 https 붙여서 잡아줘",
        None,
    ),
    (
        U,
        "parse_qsl",
        "'a=1&b=2;c' 같은 쿼리스트링을 (key, value) 튜플 리스트로 디코딩, 값 비어있는 키도 버리지 말고",
        None,
    ),
    (
        U,
        "register_scheme",
        "URL 파서가 모르는 사내 커스텀 scheme을 등록해서 기본 포트랑 '://' 쓰는지 여부 알려주기",
        None,
    ),
    (
        U,
        "QueryParamDict.to_text",
        "URL 쿼리 파라미터 dict를 다시 a=1&b=2 형태 쿼리 문자열로 렌더링, 특수문자 퍼센트 인코딩 할지 선택 가능하게",
        None,
    ),
    (
        TB,
        "ParsedException.from_string",
        "로그에 텍스트로 남은 파이썬 'Traceback (most recent call last):' 블록 파싱해서 프레임별 파일, 줄번호, 함수명이랑 예외 타입/메시지 뽑기",
        None,
    ),
    (
        TB,
        "TracebackInfo.from_traceback",
        "except 블록에서 지금 처리 중인 예외의 traceback 객체를 따라가며 프레임 정보 목록 객체로 만들기, 최대 프레임 수 제한도",
        None,
    ),
    (
        TB,
        "ExceptionInfo.from_exc_info",
        "except 안에서 얻은 예외 타입, 예외 값, traceback 세 개를 넘겨서 직렬화 가능한 예외 정보 객체 생성 (타입 이름은 모듈 경로 포함해서)",
        None,
    ),
    (
        TB,
        "format_exception_only",
        "traceback 부분은 빼고 예외 마지막 줄 'ValueError: ...'만 문자열 리스트로. SyntaxError면 ^ 캐럿으로 위치 표시까지",
        None,
    ),
    (
        FU,
        "FunctionBuilder.from_func",
        "기존 함수에서 이름, docstring, 인자 목록, 기본값, 어노테이션을 뽑아서 시그니처 고친 다음 새 함수로 컴파일할 수 있는 빌더 객체 만들기",
        None,
    ),
    (
        FU,
        "format_invocation",
        "함수 이름이랑 args, kwargs 받아서 func(1, 2, c=3) 같은 호출 모양 문자열 만들어줘 (로그 찍을 용도)",
        None,
    ),
    (
        FU,
        "once",
        "초기화 함수가 여러 번 불려도 실제로는 딱 한 번만 실행되고 그다음부턴 캐시된 결과 리턴하는 데코레이터, 스레드 세이프하게",
        None,
    ),
    (
        FU,
        "partial_ordering",
        "__le__랑 __ge__만 정의한 클래스에 <, >, == 를 자동으로 채워주는 클래스 데코레이터. total_ordering 말고 부분 순서용으로",
        None,
    ),
    (
        FU,
        "update_wrapper",
        "데코레이터 만들 때 functools.wraps는 시그니처까지는 안 옮겨주잖아. 원래 함수 시그니처를 그대로 가진 래퍼 만들고, 데코레이터가 주입하는 인자는 시그니처에서 빼는 법",
        None,
    ),
    (
        STA,
        "Stats.describe",
        "숫자 리스트 요약통계 count, 평균, 표준편차, MAD, 최소/최대, 사분위수를 dict나 보기 좋은 텍스트로 한 번에 뽑기",
        None,
    ),
    (
        STA,
        "Stats.get_quantile",
        "응답시간 데이터에서 p90, p99 같은 분위수 값 구하기 (0.0~1.0 사이 값으로 지정)",
        None,
    ),
    (
        STA,
        "Stats.get_zscore",
        "어떤 값이 데이터 평균에서 표준편차 몇 배만큼 떨어져 있는지 z-score 계산, 표준편차가 0이면 inf로 처리",
        None,
    ),
    (
        STA,
        "Stats.format_histogram",
        "숫자 데이터를 콘솔에서 볼 수 있게 #### 막대 텍스트 히스토그램으로 찍기, bin 개수랑 출력 폭 지정 가능",
        None,
    ),
    (
        TA,
        "Table.from_data",
        "dict 리스트든 객체 리스트든 넣으면 헤더 자동으로 추측해서 표 객체로 만들어주는 거 있어?",
        None,
    ),
    (
        TA,
        "Table.to_html",
        "표 데이터를 HTML 테이블 마크업으로 렌더링, 가로/세로 방향 고를 수 있고 중첩 데이터는 안쪽 테이블로",
        None,
    ),
    (
        TA,
        "Table.to_text",
        "표 객체를 터미널 출력용으로 ' | ' 구분자랑 헤더 밑줄 있는 텍스트 표로 변환, 셀 최대 길이 제한 옵션",
        None,
    ),
    (
        Q,
        "BasePriorityQueue.add",
        "우선순위 큐에 작업 넣는데 이미 큐에 있는 작업이면 중복으로 넣지 말고 우선순위만 갱신",
        None,
    ),
    (
        Q,
        "BasePriorityQueue.pop",
        "우선순위 큐에서 다음 작업 꺼내기, 비어 있으면 default 리턴하거나 예외",
        None,
    ),
    (
        SO,
        "BufferedSocket.recv_until",
        "소켓에서 '\\r\\n' 같은 구분자 나올 때까지 버퍼링하면서 읽기, 타임아웃이랑 최대 크기 초과 처리 포함",
        None,
    ),
    (
        SO,
        "BufferedSocket.recv_size",
        "TCP 소켓에서 정확히 n 바이트 다 받을 때까지 반복해서 읽기, 타임아웃 걸리거나 연결 끊기면 예외",
        None,
    ),
    (
        SO,
        "NetstringSocket.write_ns",
        "netstring 프로토콜('길이:내용,' 형식)로 소켓에 메시지 보내기, 최대 크기 넘으면 에러",
        None,
    ),
    (
        "boltons/jsonutils.py",
        "reverse_iter_lines",
        "대용량 로그 파일을 tail처럼 마지막 줄부터 거꾸로 한 줄씩 읽는 iterator, 블록 단위로 seek 하면서",
        None,
    ),
    (
        "boltons/mathutils.py",
        "clamp",
        "숫자를 최소값~최대값 범위 안으로 잘라 넣기, numpy clip 같은 걸 순수 파이썬으로",
        None,
    ),
    (
        "boltons/mathutils.py",
        "ceil",
        "케이블 규격 [1.5, 2.5, 4, 6, 10] 같은 허용값 목록 중에서 x 이상인 것 중 제일 작은 값 고르기",
        None,
    ),
    (
        "boltons/mathutils.py",
        "floor",
        "허용값 리스트에서 주어진 숫자보다 작거나 같은 값 중 가장 큰 거 찾기, 없으면 ValueError",
        None,
    ),
    (
        "boltons/namedutils.py",
        "namedlist",
        "namedtuple처럼 필드 이름으로 접근되는데 값 수정도 되는 mutable 버전 클래스 만들어주는 팩토리",
        None,
    ),
    (
        "boltons/pathutils.py",
        "augpath",
        "파일 경로에서 확장자만 바꾸거나 파일명 앞뒤에 prefix/suffix 붙인 새 경로 만들기 (foo.tar.gz 같은 다중 확장자 처리 옵션도)",
        None,
    ),
    (
        "boltons/pathutils.py",
        "shrinkuser",
        "/home/user/projects 같은 절대경로를 ~/projects 로 줄여서 보여주기, expanduser 반대 동작",
        None,
    ),
    (
        "boltons/typeutils.py",
        "make_sentinel",
        "None도 정상 값이라서 '인자 안 넘김'을 구분할 센티넬 객체가 필요함. repr 깔끔하고 pickle도 되게",
        None,
    ),
    (
        "boltons/typeutils.py",
        "issubclass",
        "상속 관계 체크할 때 첫 인자가 클래스가 아니면 TypeError 터지는 게 싫어서, 그냥 False 나오게 감싼 버전",
        None,
    ),
    (
        "boltons/gcutils.py",
        "get_all",
        "메모리 누수 디버깅 중인데 gc 써서 특정 클래스의 살아있는 인스턴스 전부 리스트로 가져오기 (서브클래스 포함 여부 옵션)",
        None,
    ),
    (
        "boltons/debugutils.py",
        "pdb_on_exception",
        "처리 안 된 예외로 프로그램 죽을 때 그냥 종료하지 말고 pdb post-mortem 디버거 자동으로 뜨게 excepthook 걸어두기",
        None,
    ),
    (
        "boltons/formatutils.py",
        "get_format_args",
        "'{noun} is {1:d} years old' 같은 format 문자열을 분석해서 필요한 위치 인자랑 이름 있는 인자 목록을 타입이랑 같이 뽑기",
        None,
    ),
    (
        "boltons/ecoutils.py",
        "get_profile",
        "현재 파이썬 프로세스 실행 환경(호스트명, uname, CPU 수, ulimit, 파이썬 버전 등)을 JSON 직렬화 가능한 dict로 수집, 사용자명 같은 민감정보 가리는 옵션 포함",
        None,
    ),
]

HEADER = """# boltons 26.2.0 blind query set: KOREAN questions on WELL-KNOWN functions (hand-picked, not random)
# writer: blind helper session (no access to the search engine, its benchmarks or scores)
# date: 2026-12-02
# how picked: functions were hand-picked from candidates.tsv as boltons' well-known, public, commonly used API
#   (the kind featured in its docs: iterutils, strutils, cacheutils, dictutils, setutils, fileutils, timeutils,
#   urlutils, tbutils, funcutils, statsutils, tableutils, queueutils, socketutils, jsonutils, mathutils, ...);
#   public names only (no leading underscore), spread over many modules; after reading each function's code.
# exclusion: every gold of `sample.py draw 5353 100` (first 100 positions of the Korean random seed 5353) was
#   excluded, so this set is disjoint from the Korean random draw.
# considered picks (with pick numbers) are listed in korean_wellknown_picks.tsv; skips in korean_wellknown_skips.tsv
# format: query<TAB>path<TAB>qualname
"""


def main():
    rows, skips, picks = [], [], []
    for i, (p, q, query, reason) in enumerate(PICKS):
        picks.append(f"pick{i:03d}\t{p}\t{q}")
        if reason:
            skips.append(f"pick{i:03d}\t{p}\t{q}\t{reason}")
        else:
            rows.append(f"{query}\t{p}\t{q}")
    with open(os.path.join(HERE, "korean_wellknown_test.tsv"), "w", encoding="utf-8") as f:
        f.write(HEADER + "\n".join(rows) + "\n")
    with open(os.path.join(HERE, "korean_wellknown_skips.tsv"), "w", encoding="utf-8") as f:
        f.write(
            "# skips for korean_wellknown_test.tsv: position(pick#)<TAB>path<TAB>qualname<TAB>reason\n"
        )
        f.write("\n".join(skips) + "\n")
    with open(os.path.join(HERE, "korean_wellknown_picks.tsv"), "w", encoding="utf-8") as f:
        f.write(
            "# hand-picked functions considered for korean_wellknown_test.tsv: pick#<TAB>path<TAB>qualname\n"
        )
        f.write("\n".join(picks) + "\n")
    print(len(picks), "picks", len(rows), "rows", len(skips), "skips")


if __name__ == "__main__":
    main()
