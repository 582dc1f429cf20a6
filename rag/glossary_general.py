"""General Korean→English software vocabulary, the second layer of :mod:`rag.glossary`.

Why a second layer: the first was written for Gencode's own domain (Slack, AWS, files) and
widened while reading misses of one benchmark set, so it knows the words that set uses and
few others. This one was written from general knowledge of how Korean developers talk about
code (verbs, Sino-Korean technical nouns, and several hundred loanwords in Hangul such as
캔버스 or 프로바이더), by someone who had not seen any benchmark query, the benchmark corpus's
source, or a score. Every key was checked against mecab-ko-dic to be one morpheme or two
adjacent ones, which is what :func:`rag.glossary.english_for` looks up; three-piece loanwords
are keyed on their first two pieces (레포지토리 → 레포지).

One entry per line: the Korean key, then one to three English words as code spells them.
Where a key is also in the first layer, the first layer wins.
"""

ENTRIES = """
되감 rewind seek
바꾸 change replace convert
꺼내 extract pop get
띄우 open show launch
넘기 pass forward skip
걸러내 filter exclude
돌려주 return
돌리 run execute rotate
고치 fix patch
지우 delete erase clear
없애 remove delete
집어넣 insert put
끼워넣 insert embed
채우 fill populate pad
비우 clear empty flush
쪼개 split chunk
잘라내 trim truncate cut
감싸 wrap
감추 hide mask
숨기 hide
가리 mask hide
드러내 expose
보여주 show display
나타내 represent indicate
알려주 notify tell
알리 notify
고르 select choose pick
거르 filter skip
멈추 stop halt pause
끝내 finish end terminate
끝나 finish end done
마치 finish complete
늘리 increase extend grow
줄이 reduce shrink decrease
늘어나 grow increase
줄어들 shrink decrease
높이 height increase raise
낮추 lower decrease
올리 upload raise increment
내리 download lower
내려받 download
부르 call invoke
미루 defer postpone delay
늦추 delay throttle
건너뛰 skip
거치 via pass
지나 elapse pass
쌓이 accumulate
모으 collect gather aggregate
모이 gather collect
세우 build setup
정하 set decide determine
맞추 align match fit
틀리 wrong incorrect invalid
어긋나 mismatch
다르 different diff
들어가 enter include
들어오 incoming receive
나오 output appear
꺼지 off shutdown
살리 revive restore keepalive
깨지 broken corrupt
깨우 wake
망가지 broken corrupt
터지 crash
떨어지 drop disconnect
끊기 disconnect drop
이어지 continue connect
맡기 delegate
넘겨주 pass forward delegate
건네 pass
퍼뜨리 propagate broadcast
퍼지 fuzzy propagate spread
흩어지 scatter
뒤섞 shuffle
섞이 mix
뒤집 reverse invert flip
바뀌 change changed
달라지 change differ
지키 keep preserve guard
남기 keep leave retain
버리 discard drop
던지 throw raise
잡아내 catch
붙잡 catch capture
가로채 intercept
들여다보 inspect peek
살펴보 inspect examine
훑어보 scan
둘러보 browse
뒤지 search scan
찾아내 find detect
알아내 detect determine
알아보 check identify
따르 follow comply
따라가 follow traverse
되돌리 revert rollback undo
되살리 restore recover
돌아가 run fallback return
돌아오 return
되돌아가 fallback revert
물려받 inherit
이어받 inherit
덮어쓰 overwrite override
겹치 overlap
펼치 expand unfold flatten
접히 collapse fold
담기 contain
빠지 missing omit
빠뜨리 omit miss
놓치 miss drop
모르 unknown
따오 fetch copy
베끼 copy
흉내내 mock emulate
꾸미 decorate style format
다듬 clean refine tidy
치우 clean cleanup
맞바꾸 swap
갈아끼우 replace swap
옮기 move migrate
날리 send fire
튕기 bounce crash reject
막히 blocked stuck
가로막 block
풀리 unlock resolve release
잠그 lock
잠기 locked
열리 open opened
닫히 closed
늘어놓 list
따지 check compare
묶이 bind bound
돌려받 receive return
주고받 exchange
흘리 leak
빠져나가 exit escape
벗어나 exit escape
넘치 overflow
넘어가 skip proceed overflow
채워넣 fill populate
뽑아내 extract
끄집어내 extract
빼내 extract remove
추려내 select filter
골라내 select filter pick
가려내 filter distinguish
밝히 reveal identify
드러나 exposed
알아채 detect notice
씌우 wrap apply
덧붙이 append add
덧씌우 overlay override
올라가 up increase
내려가 down decrease
밀어넣 push
밀어내 push evict
당기 pull
끌어오 pull fetch import
나눠주 distribute
뿌리 root broadcast distribute
살피 inspect watch
지켜보 watch monitor observe
잠들 sleep
바로잡 fix correct
손보 fix tweak
건드리 touch modify
누르 press click
더하 add sum
곱하 multiply
지나치 exceed skip
모자라 insufficient lack
오래되 old stale
새롭 new
알맞 appropriate proper
부딪히 conflict collide
엇갈리 mismatch
이어가 continue resume
앞서 precede
일으키 raise trigger cause
내뱉 emit
내놓 output return produce
내주 return yield
물러나 backoff
감기 wrap
풀어내 decode unpack resolve
올려두 upload stage
내려놓 release
가두 sandbox jail confine
쫓아내 kick evict
내쫓 kick evict
끼우 insert
박아넣 hardcode embed
갈아타 migrate switch
사라지 disappear vanish missing
나타나 appear show
생기 occur create
일어나 occur happen
벌어지 happen occur
다루 handle manage
쓰이 used
들여쓰 indent
써넣 write fill
들여오 import
되돌려주 return
가리키 point refer reference
붙여넣 paste insert
구하 compute get obtain
살려두 keepalive
걸러지 filtered
가려지 hidden masked
감춰지 hidden
잘리 truncated cut
빠르 fast quick
느리 slow
가볍 lightweight light
무겁 heavy
깨끗 clean
간단 simple
복잡 complex
느슨 loose
엄격 strict
유연 flexible
똑같 same identical
충분 sufficient enough
가득하 full
가깝 near close
어렵 hard difficult
돌려보내 return bounce
되찾 recover restore
고쳐쓰 rewrite
다시쓰 rewrite
새로고치 refresh reload
내려주 return respond
쫓아가 follow track
뒤쫓 track follow
찍히 printed logged
남겨두 keep retain
모아두 collect buffer
숨겨두 hide
감춰두 hide
미뤄두 defer
걸러주 filter
골라주 select
긁어 scrape crawl
잃어 lose lost
떼어 detach remove
뱉어 emit output
비어 empty
끊어 disconnect
남아 remaining left
풀어 release unpack
찍어 print log
쌓아 accumulate stack
걸어 hook attach
물어 ask prompt
얻어 get obtain
새어 leak
막아 block prevent
담아 store put
단순 simple
정리 cleanup organize
나열 list enumerate
직렬화 serialize serialization
역직렬화 deserialize deserialization
제약 constraint
소유자 owner
소유 owner ownership
관리자 admin manager
관리 manage admin management
조직 org organization
소속 membership member
식별자 identifier id
식별 identify id
번호 number id
일련번호 serial
순번 index seq
색인 index
위치 position location offset
좌표 coordinate coords
범위 range scope
영역 region area scope
구간 range interval
간격 interval gap spacing
주기 period interval cycle
주기적 periodic
빈도 frequency
횟수 count times
최댓값 max maximum
최솟값 min minimum
차이 diff difference
비율 ratio rate
백분율 percent percentage
확률 probability
가중치 weight weights
점수 score
순위 rank ranking
등급 grade tier level
수준 level
단계 step stage phase
계층 layer hierarchy tier
상위 parent upper
하위 child sub
부모 parent
자식 child children
형제 sibling siblings
조상 ancestor
자손 descendant
말단 leaf terminal
분기 branch
조건 condition
조건문 conditional
조건부 conditional
반복문 loop
순회 traverse iterate walk
탐색 search explore traverse
깊이 depth
너비 width breadth
폭 width
면적 area
자릿수 digits
소수점 decimal
부동소수점 float
부동소수 float
십진수 decimal
이진수 binary
십육진수 hex hexadecimal
진수 base radix
음수 negative
양수 positive
절댓값 abs
반올림 round
올림 ceil
내림 floor
버림 truncate floor
나머지 remainder mod rest
제곱 square pow
분포 distribution
분산 variance distributed
분류 classify category classification
특징 feature
특성 feature attribute property
속성 attribute property attr
항목 item entry field
요소 element item
원소 element
구성원 member
용도 purpose usage
용량 capacity size quota
할당량 quota
할당 allocate assign
배정 assign
지정 specify set designate
명시 explicit specify
암시적 implicit
묵시적 implicit
선택 select choose optional
필수 required mandatory
생략 omit skip optional
누락 missing omit
빈값 empty null
공란 blank empty
없음 none
존재 exist exists
여부 whether flag
참 true
거짓 false
논리 logic boolean logical
표시 display show mark
표식 marker mark
제목 title subject
부제 subtitle
머리글 header
바닥글 footer
요약 summary summarize
개요 overview summary
설명 description describe doc
설명서 manual docs
도움말 help
안내 guide guidance
지침 guideline
예제 example sample
예시 example
사례 case example
사용법 usage
문법 syntax grammar
구문 syntax statement
문장 sentence statement
단어 word
토큰화 tokenize tokenization
글자 char character
글자수 length chars
대문자 upper uppercase
소문자 lower lowercase
대소문자 case
기호 symbol
부호 sign symbol
구두점 punctuation
따옴표 quote
큰따옴표 quote double
괄호 bracket paren
중괄호 brace
대괄호 bracket
쉼표 comma
마침표 period dot
밑줄 underscore underline
줄바꿈 newline linebreak
개행 newline
들여쓰기 indent indentation
띄어쓰기 space whitespace
여백 margin padding whitespace
접두사 prefix
접미사 suffix
접두어 prefix
접미어 suffix
앞부분 prefix head
뒷부분 suffix tail
머리 head
꼬리 tail
처음 first beginning start
끝 end last
시작점 start
끝점 end
중간 middle
가운데 middle center
중앙 center
왼쪽 left
오른쪽 right
상단 top header
하단 bottom footer
맞춤 align fit
기준 criteria key basis
기준값 threshold baseline
임계값 threshold
임계치 threshold
한계 limit bound
상한 upper max cap
하한 lower min floor
경계 boundary bound
미만 less below
이하 below less
이전 previous prev before
이후 after subsequent
직전 previous prior
과거 past history
현재 current now
오늘 today
요일 weekday day
월 month
연도 year
년도 year
달력 calendar
일정 schedule event
기한 deadline due expiry
마감 deadline due
유효기간 expiry ttl
수명 lifetime ttl
생명주기 lifecycle
시점 time point moment
현지 local
지역 region local locale
지역화 localize localization
국제화 internationalization i18n
언어 language lang
한국어 korean
영어 english
번역 translate translation
다국어 multilingual i18n
문자셋 charset
색상 color
색 color
배경 background
배경색 background
투명 transparent
투명도 opacity alpha
화면 screen display view
대화상자 dialog
경고 warning warn alert
주의 caution warning
심각도 severity
우선 priority
중요도 priority importance
긴급 urgent
정보 info information
상세 detail details
세부 detail details
내역 history details
전체 all full whole
전부 all
모든 all
각각 each
각 each
개별 individual each
일부 partial some
부분 partial part
전역 global
상수 constant const
정적 static
동적 dynamic
가변 variable mutable
불변 immutable frozen
매개변수 param parameter
인수 argument arg
선언 declare declaration
정의 define definition
구현 implement implementation
구현체 implementation impl
추상 abstract
추상화 abstraction abstract
상속 inherit inheritance
재정의 override redefine
중첩 nested nest
내부 internal inner
외부 external outer
내장 builtin embedded
확장 extend extension
기능 feature function
성능 performance perf
효율 efficiency efficient
최적화 optimize optimization
병목 bottleneck
지연 delay latency lazy
처리량 throughput
부하 load
과부하 overload
확장성 scalability
가용성 availability
안정성 stability
신뢰성 reliability
일관성 consistency consistent
무결성 integrity
정합성 consistency
원자성 atomic atomicity
격리 isolation isolate
지속성 durability persistence
영속성 persistence
영구 permanent persistent
영속 persistent
휘발성 volatile
일시적 temporary transient
일시정지 pause
재개 resume
재시작 restart
재부팅 reboot restart
재실행 rerun retry
재설정 reset
재생성 regenerate recreate
재발급 reissue refresh
재구성 reconfigure rebuild
재배포 redeploy
재정렬 reorder sort
재진입 reentrant
재할당 reassign reallocate
재인증 reauth reauthenticate
실행 run execute exec
실행기 executor runner
수행 perform execute run
구동 run start boot
가동 run start
기동 startup boot
정지 stop halt
중단 stop abort interrupt
강제 force forced
강제종료 kill terminate
종료코드 exit code
상태코드 status code
내용 content contents body
원본 original source raw
사본 copy
복제 clone replicate copy
복제본 replica copy
복사본 copy
최신 latest newest
구버전 legacy old
하위호환 backward compatible
호환성 compatibility
폐기 deprecate dispose discard
지원중단 deprecated
권장 recommended
안전 safe safety
보안 security secure
취약점 vulnerability
공격 attack
위조 forgery forge spoof
변조 tamper
탈취 hijack steal
삽입 insert
방어 defense protect
보호 protect protection guard
감시 monitor watch
감사 audit
접근 access
접근성 accessibility
부여 grant assign
회수 revoke
철회 revoke withdraw
무효화 invalidate revoke
무효 invalid
인증서 certificate cert
비밀키 secret key private
대칭키 symmetric key
비대칭 asymmetric
암호문 ciphertext
평문 plaintext
난독화 obfuscate
익명 anonymous
익명화 anonymize
신원 identity
일회용 onetime otp
다중인증 mfa
이중인증 mfa
가입 signup register join
탈퇴 leave unregister
해지 cancel unsubscribe
수신거부 unsubscribe
동의 consent agree
약관 terms
개인정보 privacy pii
민감 sensitive
노출 expose leak
유출 leak
누수 leak
저장소 storage repository store
저장공간 storage
보관소 repository archive
사용량 usage
요금 billing price fee
비용 cost
과금 billing
청구 billing invoice charge
결제 payment pay checkout
지불 payment pay
고객 customer client
사용자명 username
별명 alias nickname
별칭 alias
표시명 display name
전화번호 phone
연락처 contact
장소 location place
거리 distance
방향 direction orientation
크기조정 resize scale
축소 shrink reduce zoom
확대 zoom expand enlarge
배율 scale zoom
조정 adjust tune
조절 adjust control
미세조정 finetune
보정 correct adjust calibrate
교정 correct
정정 correct fix
보완 supplement improve
개선 improve enhancement
향상 improve
청소 cleanup clean
소거 erase clear
파기 destroy dispose
소멸 destroy expire
파괴 destroy
소멸자 destructor
생성자 constructor
초깃값 initial default
초기값 initial default
할당자 allocator
반납 release return
점유 occupy hold acquire
획득 acquire obtain
잠금 lock
잠금해제 unlock
교착 deadlock
경쟁 race contention
경합 contention race
동기화 sync synchronize
병렬화 parallelize
동시성 concurrency
병행 concurrent
선점 preempt
일괄 batch bulk
대량 bulk batch
대용량 large bulk
단건 single
단일 single
다중 multi multiple
복수 multiple plural
여러 multiple many
다수 many multiple
한꺼번에 bulk batch
동시에 concurrently
순차 sequential
차례 order turn
차례대로 sequential order
연속 continuous consecutive
간헐적 intermittent
즉시 immediate instant
즉각 immediate
실시간 realtime live
선행 prerequisite preceding
후행 trailing
사전조건 precondition
단언 assert assertion
가정 assume assumption
기대값 expected
예상 expected expect
실제 actual real
가짜 fake mock dummy
목 mock
단위 unit
통합 integration integrate
점검 check inspect
진단 diagnose diagnostic
분석 analyze analysis
분석기 analyzer
해석 interpret parse
해석기 interpreter
배포 deploy release distribution
출시 release launch
공지 announcement notice
통지 notify notification
진행률 progress percent
대기열 queue backlog
연결리스트 linked list
사상 mapping
대응 mapping correspond
쌍 pair
짝 pair
묶음 bundle group batch
꾸러미 bundle package
집계 aggregate count
합산 sum total
누적 cumulative accumulate
총합 total sum
총 total
합집합 union
교집합 intersection
차집합 difference
부분집합 subset
상위집합 superset
포함 include contain
제외 exclude except
배제 exclude
불일치 mismatch
대조 compare match
동등 equal equality
동일 same identical equal
동일성 identity
상이 different
차이점 difference diff
변경점 changes diff
변경사항 changes changelog
변경이력 changelog history
결함 defect bug
장애 failure outage incident
문제 problem issue
원인 cause reason
이유 reason
사유 reason
근거 reason evidence
증상 symptom
현상 behavior symptom
동작 behavior action operation
행동 action behavior
작동 work operate
운영 operation ops production
개발 development dev
개발자 developer dev
상용 production commercial
원격 remote
내부망 intranet internal
사설 private
공용 public shared
전용 dedicated exclusive
공통 common shared
범용 generic general
일반 general generic normal
정상 normal ok
비정상 abnormal
호출 call invoke
호출자 caller
호출부 caller callsite
진입점 entrypoint entry
진입 entry enter
출구 exit
탈출 escape exit
이탈 exit leave
관계 relation relationship
연관 related association relation
참조 reference ref
역참조 dereference backref
외래키 foreign key
기본키 primary key
복합키 composite key
고유키 unique key
행 row
표 table
도표 chart diagram
시각화 visualize visualization plot
가져오기 import
불러오기 import load
새로고침 refresh reload
되돌리기 undo revert
실행취소 undo
복구 recover restore recovery
대체 fallback alternative replace
대안 alternative
예비 backup spare fallback
우회 bypass workaround
회피 avoid
해결 resolve fix solve
해결책 solution workaround
방안 approach
접근법 approach
전략 strategy
규칙 rule rules
규약 convention protocol
관례 convention
표준 standard
규격 spec specification standard
명세 spec specification
명세서 spec specification
사양 spec specification
요구사항 requirement requirements
요건 requirement
의존성 dependency dependencies
종속성 dependency dependencies
종속 dependent dependency
라이브러리 library lib
구성요소 component
부품 component part
구조 structure struct
자료형 type datatype
자료 data
형 type
형변환 cast convert
반복자 iterator
생성기 generator
문맥 context
맥락 context
이름공간 namespace
표현식 expression
수식 formula expression
연산 operation op compute
연산자 operator
피연산자 operand
대입 assign assignment
비트연산 bitwise
익명함수 lambda anonymous
후크 hook
연쇄 chain cascade
전파 propagate propagation
송신 send transmit
송수신 send receive
통신 communication
인터넷 internet
방화벽 firewall
보안그룹 securitygroup
서브도메인 subdomain
호스트명 hostname
대역 range band cidr
대역폭 bandwidth
질의 query
검색어 query keyword
유사도 similarity
유사 similar
오름차순 ascending asc
내림차순 descending desc
사전순 lexicographic alphabetical
알파벳순 alphabetical
추출 extract extraction
발췌 excerpt extract
인용 quote cite
출처 source origin
원천 source
대상 target
목표 target goal
목적지 destination dest
도착지 destination
출발지 source origin
발신자 sender
수신자 recipient receiver
발신 send outgoing
송신자 sender
수신인 recipient
작성자 author creator
담당자 assignee owner
책임자 owner
운영자 operator admin
방문자 visitor
최종사용자 enduser
작업자 worker
소비자 consumer
생산자 producer
발행자 publisher issuer
구독자 subscriber
관찰자 observer
감시자 watcher
중개 broker relay
중계 relay
대리 proxy delegate
대리인 delegate agent proxy
위임 delegate delegation
명령줄 commandline cli
명령행 commandline cli
하위명령 subcommand
표준입력 stdin
표준출력 stdout
표준에러 stderr
표준오류 stderr
환경변수 env environ
설정값 config setting
기본설정 default preferences
환경설정 preferences settings config
초기설정 setup
핫픽스 hotfix
유지보수 maintenance
유지 maintain keep retain
관측 observe observability
추적 trace track tracking
역추적 traceback backtrace
호출스택 callstack stack
중단점 breakpoint
계측 instrument instrumentation
측정 measure
측정값 measurement metric
지표 metric indicator
경과 elapsed
소요시간 elapsed duration
소요 elapsed
기간 duration period
지속시간 duration
만료시간 expiry expires
유효시간 ttl
최대치 max
속도제한 ratelimit throttle
상한선 cap limit
하한선 floor
부족 insufficient lack
손실 loss lost
유실 lost loss
손상 corrupt damaged
오염 corrupt
깨짐 broken corrupt
정상화 normalize restore
정규화 normalize normalization
표준화 standardize normalize
평탄화 flatten
펼침 expand
접기 collapse fold
축약 abbreviate shorten
단축 shorten short
약어 abbreviation
명명 naming name
명명규칙 naming convention
구분 distinguish separate
구분자 delimiter separator
구분선 divider separator
구획 section partition
가상 virtual
가상머신 vm
가상화 virtualization
가상환경 venv virtualenv
비동기식 async
동기식 sync
무상태 stateless
상태유지 stateful
상태머신 statemachine state
전이 transition
전환 switch transition convert
켜기 enable
끄기 disable off
사용가능 available enabled
사용불가 unavailable disabled
가용 available
이용 use usage access
가시성 visibility
숨김 hidden hide
보기 view
사용권 license
저작권 copyright
배포판 distribution
오픈소스 opensource
소스코드 source
하위디렉터리 subdirectory subdir
하위폴더 subfolder subdir
홈디렉터리 home
작업디렉터리 cwd
파일명 filename
파일이름 filename
파일경로 filepath path
절대경로 absolute
임시파일 tempfile temp
파일시스템 filesystem fs
입출력 io
되감기 rewind seek
파일끝 eof
끝부분 end tail
줄단위 line lines
아스키 ascii
이모티콘 emoticon emoji
정규표현식 regex
덧붙임 append
접합 concat join
분해 decompose split unpack
변환기 converter
서식 format
양식 form format template
입력란 field input
메뉴 menu
목차 toc contents
단락 paragraph
문단 paragraph
표제 heading title
강조 emphasis highlight bold
굵게 bold
기울임 italic
취소선 strikethrough
원시 raw primitive
가공 process transform
전처리 preprocess
후처리 postprocess
정제 clean sanitize
차단목록 blocklist blacklist
허용목록 allowlist whitelist
클라우드 cloud
아마존 amazon aws
가용영역 az zone
존 zone
신뢰정책 trust policy
사전서명 presign presigned
미리서명 presign presigned
분할업로드 multipart
수명주기 lifecycle
자동확장 autoscale autoscaling
대상그룹 targetgroup target
처리용량 throughput capacity
회로차단기 circuitbreaker
형태 shape form
요청자 requester
해시값 hash digest
서명키 signing key
정규요청 canonical request
개인메시지 dm direct
그룹메시지 mpim group
접속상태 presence
자리비움 away
방해금지 dnd snooze
음소거 mute
유저그룹 usergroup
팀 team
공유채널 shared channel
수락 accept
거절 decline reject
인증코드 code authorization
설치자 installer
서명비밀 signing secret
재전송공격 replay
보존 retention retain
이관 migrate migration
별표 star starred
즐겨찾기 favorite star bookmark
고유링크 permalink
노트 note
메모 memo note
코드조각 snippet
조각 piece fragment chunk
게시물 post
글 post text
대화기록 history
연락 contact
사진 photo image
파이썬 python
복소수 complex
언더스코어 underscore
접근자 accessor getter
설정자 setter
열거형 enum
타입검사 typecheck
정적분석 lint static
문서화 document documentation docs
내장함수 builtin builtins
표준라이브러리 stdlib
실행파일 executable
신호 signal
예외처리 exception handling
에러처리 error handling
발생 raise occur
재발생 reraise
억제 suppress
치명 fatal critical
로그파일 logfile log
바이트코드 bytecode
프로토콜버퍼 protobuf
검증기 validator
구문트리 ast syntax
즉시평가 eager
웹 web
웹사이트 website
웹페이지 webpage
웹서버 webserver server
교차출처 cors origin
사용자에이전트 useragent
발급 issue
발급자 issuer
관계형 relational
그룹화 group grouping
조건절 where clause
결과집합 resultset
연결문자열 dsn connection
끊김 disconnect drop
재접속 reconnect
수신대기 listen
포트포워딩 forward port
압축해제 decompress extract unzip
추가모드 append
생성일 created
수정일 modified updated
수정시간 mtime modified
접근시간 atime
여유공간 free space
변경감지 watch change
잠금파일 lockfile
행렬 matrix
차원 dimension dim
축 axis
형상 shape
고유값 unique
평가 evaluate evaluation
라벨링 labeling label
충돌 conflict crash collision
멈춤 hang freeze
먹통 hang unresponsive
무한 infinite
무한대기 hang block
메모리부족 oom memory
잘못 wrong invalid
부적절 improper invalid
금지 forbidden prohibit
미인증 unauthorized unauthenticated
미승인 unauthorized
복구가능 recoverable
변경로그 changelog
악성 malicious
해킹 hack
위변조 tamper forgery
다시 again retry
새로 new
먼저 first before
항상 always
매번 every
한번 once
계속 continue
미리 pre advance
따로 separate separately
함께 together
모두 all
대신 instead
직접 direct directly
자동으로 auto automatically
수동으로 manual manually
보관해제 unarchive
일반텍스트 plain text
제출 submit
날짜선택 datepicker
상호작용 interaction interactive
부수효과 sideeffect
멱등 idempotent
멱등성 idempotency idempotent
장치 device
운영체제 os
자동완성 autocomplete
추천 recommend recommendation
탐지 detect detection
감지 detect detection
이상탐지 anomaly detection
원자적 atomic
초 second seconds
분 minute minutes
주간 weekly
매일 daily
일간 daily
매주 weekly
월간 monthly
연간 yearly annual
매시간 hourly
설계 design
흐름 flow
절차 procedure step
과정 process
방식 way mode
도구 tool
편의 convenience helper
연동 integration integrate
반영 apply reflect
적용 apply
지원 support supported
제공 provide
제공자 provider
공급자 provider
수집 collect
수집기 collector
취합 aggregate collect
분배 distribute
배분 allocate distribute
전달 pass forward deliver
교환 exchange swap
반전 invert reverse
증가 increase increment
감소 decrease decrement
증분 increment delta
변화량 delta
변동 change
변형 transform variant
변이 mutation
덧셈 add sum
뺄셈 subtract
곱셈 multiply
나눗셈 divide division
비트 bit
라인 line
칸 column cell
검사기 checker
검출 detect
판별 determine detect
판단 decide determine
결정 decide determine
투표 vote poll
설문 survey poll
질문 question
답변 answer reply
대답 answer
검토 review
반려 reject
보류 pending hold
대기중 pending waiting
진행중 running pending
처리중 processing pending
실행중 running
신규 new
기존 existing
잔여 remaining
최초 first initial
초기 initial init
최종 final last
하나 one single
이번 current
해당 corresponding matching
관련 related
결측 missing null na
심볼릭 symlink symbolic
추상구문 ast syntax
비관계 nosql
안읽 unread
미리보 preview
캔버스 canvas
프로바이더 provider
에이전트 agent
셀렉트 select
리프레시 refresh
리프레쉬 refresh
디스패치 dispatch
디스패처 dispatcher
시리얼라이즈 serialize
시리얼라이저 serializer
페이로드 payload
어댑터 adapter
래퍼 wrapper
래핑 wrap wrapping
빌더 builder
팩토리 factory
매니저 manager
핸들 handle
컨트롤러 controller
레포 repo repository
리포지토리 repository repo
엔티티 entity
모델 model
스키마 schema
매퍼 mapper
매핑 mapping map
맵 map
유틸 util utils
유틸리티 utility util
헬퍼 helper
도우미 helper
익스텐션 extension
플러그인 plugin
애드온 addon
컴포넌트 component
위젯 widget
레이아웃 layout
컨테이너 container
인풋 input
아웃풋 output
리턴 return
인보크 invoke
러너 runner
런처 launcher
스타트 start
스톱 stop
리스타트 restart
리셋 reset
클리어 clear
플러시 flush
싱크 sync
어싱크 async
어웨이트 await
프로미스 promise
퓨처 future
잡 job catch
워커 worker
쓰레드 thread
데몬 daemon
스케줄러 scheduler
크론 cron
크론잡 cronjob cron
타이머 timer
인터벌 interval
딜레이 delay
슬립 sleep
웨이트 wait
리트라이 retry
폴링 polling poll
롱폴링 longpoll polling
이미터 emitter
옵저버 observer
서브스크라이버 subscriber
퍼블리셔 publisher
퍼블리시 publish
브로커 broker
토픽 topic
메시지큐 mq queue
프로듀서 producer
파티션 partition
오프셋 offset
커밋 commit
애크 ack
딜리버리 delivery
라우터 router
라우팅 routing route
라우트 route
가드 guard
데코레이터 decorator
어노테이션 annotation
리플렉션 reflection
메타 meta
메타클래스 metaclass
제네릭 generic
타입힌트 hint typing
인터페이스 interface
프로토콜 protocol
추상클래스 abc abstract
베이스클래스 base
서브클래스 subclass
슈퍼클래스 superclass
오버라이드 override
오버로드 overload
오브젝트 object
프로퍼티 property
필드 field
메소드 method
펑션 function func
파람 param
플래그 flag
키워드 keyword kwargs
디폴트 default
널 null none
불린 bool boolean
불리언 bool boolean
부울 bool boolean
인티저 integer int
인트 int
플로트 float
스트링 string str
어레이 array
딕트 dict
세트 set
스택 stack
힙 heap
엣지 edge
해시맵 hashmap dict
해시테이블 hashtable
포인터 pointer
레퍼런스 reference ref
이터레이터 iterator
제너레이터 generator
이터러블 iterable
시퀀스 sequence
컬렉션 collection
슬라이스 slice
슬라이싱 slice slicing
인덱스 index
인덱싱 indexing index
밸류 value
페어 pair
엔트리 entry
아이템 item
엘리먼트 element
레코드 record
로우 row raw
칼럼 column
컬럼 column
셀 cell
시트 sheet
엑셀 excel xlsx
차트 chart
인서트 insert
딜리트 delete
조인 join
롤백 rollback
드라이버 driver
유알엘 url
패스 path pass
쿼리스트링 querystring query
바디 body
리퀘스트 request
리스폰스 response
스테이터스 status
트레이스백 traceback
스택트레이스 stacktrace traceback
인포 info
워닝 warning
크리티컬 critical
페이탈 fatal
얼럿 alert
알럿 alert
노티 notification notify
푸시 push
리다이렉션 redirect redirection
리디렉트 redirect
리디렉션 redirect redirection
액세스 access
어세스 access
시크릿 secret
퍼미션 permission
스코프 scope
롤 role
폴리시 policy
오너 owner
게스트 guest
엔터프라이즈 enterprise
그리드 grid
리플라이 reply
매니페스트 manifest
인스톨 install
인스톨러 installer
오어스 oauth
어서라이즈 authorize
오소라이즈 authorize
어스 auth
로그인 login signin
로그아웃 logout signout
사인인 signin login
사인업 signup
베리파이 verify
밸리데이트 validate
밸리데이터 validator
체크 check
픽스처 fixture
모킹 mock mocking
스텁 stub
어서트 assert
어서션 assertion assert
벤치마크 benchmark
프로파일 profile
프로파일링 profile profiling
빌드 build
릴리스 release
릴리즈 release
태그 tag tags
태깅 tagging tag
브랜치 branch
머지 merge
리베이스 rebase
클론 clone
포크 fork
체크아웃 checkout
스태시 stash
디프 diff
패치 patch
롤아웃 rollout
카나리 canary
파이프라인 pipeline
파이프 pipe
체인 chain
씨아이 ci
깃 git
깃허브 github
깃랩 gitlab
액션 action actions
워크플로 workflow
워크플로우 workflow
스텝 step
도커 docker
레지스트리 registry
볼륨 volume
네임스페이스 namespace
클러스터 cluster
스케일 scale
오토스케일링 autoscaling autoscale
게이트웨이 gateway
서버리스 serverless
다이나모 dynamo dynamodb
클라우드워치 cloudwatch
클라우드포메이션 cloudformation
클라우드프론트 cloudfront
키네시스 kinesis
프리사인 presign
파트 part
빌링 billing
코스트 cost
레이블 label
라벨 label
세팅 settings setting
셋팅 settings setting
볼트 vault
키체인 keychain
에스에스엘 ssl
티엘에스 tls
인크립트 encrypt
디크립트 decrypt
해싱 hashing hash
솔트 salt
논스 nonce
다이제스트 digest
인젝션 injection
시큐리티 security
프라이버시 privacy
컴플라이언스 compliance
오딧 audit
스팸 spam
캐릭터 character char
유티에프 utf
인코드 encode
디코드 decode
인코더 encoder
디코더 decoder
포매터 formatter
포맷터 formatter
스플릿 split
트림 trim
스트립 strip
패딩 padding pad
서브스트링 substring
리플레이스 replace
매치 match
매칭 match matching
서치 search
파인드 find
레겍스 regex
토크나이저 tokenizer
렉서 lexer
노멀라이즈 normalize
케이스 case
캐멀케이스 camelcase camel
스네이크케이스 snakecase snake
케밥케이스 kebab
슬러그 slug
해시태그 hashtag
하이퍼링크 hyperlink link
앵커 anchor
마크업 markup
자바스크립트 javascript js
배시 bash
쉘 shell
셸 shell
스크립트 script
터미널 terminal
프롬프트 prompt
커맨드 command cmd
커맨드라인 commandline cli
서브커맨드 subcommand
스위치 switch
토글 toggle
로직 logic
알고리즘 algorithm
휴리스틱 heuristic
리커전 recursion
루프 loop
이터레이션 iteration
브레이크 break
트라이 try
캐치 catch
파이널리 finally
클린업 cleanup
티어다운 teardown
셋업 setup
부트스트랩 bootstrap
이니셜라이즈 initialize init
인잇 init
컨텍스트 context
라이프사이클 lifecycle
훅 hook hooks
시그널 signal
모드 mode
피처 feature
이슈 issue
티켓 ticket
버그 bug
픽스 fix
트러블슈팅 troubleshoot
디버깅 debug debugging
디버거 debugger
브레이크포인트 breakpoint
리팩터링 refactor
리팩토링 refactor
리뷰 review
리뷰어 reviewer
어프루브 approve
디바이더 divider
타임피커 timepicker
데이트피커 datepicker
체크박스 checkbox
라디오 radio
플레인텍스트 plaintext plain
서브밋 submit
클로즈 close
오픈 open
인터랙션 interaction interactive
인터랙티브 interactive
숏컷 shortcut
블록킷 blockkit blocks
앱홈 home
홈탭 home tab
리스폰드 respond
이페머럴 ephemeral
언펄 unfurl
퍼머링크 permalink
언아카이브 unarchive
리네임 rename
인바이트 invite
킥 kick
퍼포즈 purpose
히스토리 history
마크 mark
카운트 count
스타 star
커스텀 custom
프레즌스 presence
플로우 flow
플로 flow
스테이트 state
스토어 store
리보크 revoke
시나리오 scenario
데모 demo
스니펫 snippet
샘플 sample
샘플링 sampling sample
데이터셋 dataset
데이터프레임 dataframe df
판다스 pandas
넘파이 numpy
벡터 vector
스케일링 scaling scale
피벗 pivot
레이어 layer
런타임 runtime
트리거 trigger
콜드스타트 coldstart
아이디 id
닉네임 nickname
아바타 avatar
아이콘 icon
로고 logo
배너 banner
푸터 footer
섹션 section
헤딩 heading
인라인 inline
코드블록 codeblock
하이라이트 highlight
리치텍스트 richtext rich
폼 form
드롭다운 dropdown select
오버플로 overflow
오버플로우 overflow
팝업 popup
다이얼로그 dialog
레벨 level
루트 root
리프 leaf
링크드리스트 linkedlist
레이트 rate
리미트 limit
리밋 limit
레이트리밋 ratelimit
스로틀 throttle
스로틀링 throttle throttling
쿼터 quota
지터 jitter
서킷브레이커 circuitbreaker
티에스 ts
디엠 dm
그룹디엠 mpim
스케줄링 scheduling schedule
캐싱 caching cache
티티엘 ttl
제이슨 json
제이썬 json
야믈 yaml
야멜 yaml
토믈 toml
피클 pickle
프로토버프 protobuf
마샬링 marshal
언마샬링 unmarshal
패킹 pack
언패킹 unpack
에이피아이 api
겟 get
풋 put
콘텐츠 content
컨텐츠 content
콘텐트 content
컨텐트 content
마임 mime
지집 gzip
폼데이터 formdata form
핸드셰이크 handshake
오리진 origin
레퍼러 referer referrer
유저에이전트 useragent
브라우저 browser
크롤링 crawl
크롤러 crawler
베어러 bearer
베이직 basic
오픈아이디 openid oidc
클레임 claim claims
디비 db database
시퀄 sql
서브쿼리 subquery
프로시저 procedure
레플리카 replica
샤드 shard
샤딩 sharding shard
벌크 bulk
페치 fetch
결과셋 resultset
레디스 redis
몽고 mongo mongodb
엘라스틱서치 elasticsearch
오픈서치 opensearch
디엔에스 dns
네임서버 nameserver
유디피 udp
패킷 packet
트래픽 traffic
터널 tunnel
터널링 tunnel tunneling
바인딩 binding bind
바인드 bind
리슨 listen
멀티캐스트 multicast
브로드캐스트 broadcast
유니캐스트 unicast
피어 peer
네트워크 network net
서브넷 subnet
도메인 domain
아이피 ip
타르 tar
집파일 zip
마운트 mount
글롭 glob
와일드카드 wildcard glob
심링크 symlink
디스크 disk
스토리지 storage
메모리 memory mem
스냅샷 snapshot
스냅숏 snapshot
레거시 legacy
컴파일 compile
컴파일러 compiler
인터프리터 interpreter
가비지 garbage gc
코루틴 coroutine
이벤트루프 eventloop loop
스레드풀 threadpool
멀티스레딩 multithreading threading
멀티스레드 multithread threading
멀티프로세싱 multiprocessing
락 lock
뮤텍스 mutex
세마포어 semaphore
배리어 barrier
데드락 deadlock
인터럽트 interrupt
블로킹 blocking block
논블로킹 nonblocking
카운터 counter
게이지 gauge
히스토그램 histogram
트레이스 trace
트레이싱 tracing trace
덤프 dump
로그레벨 loglevel level
프린트 print
린트 lint
린터 linter
독스트링 docstring
도큐멘테이션 documentation docs
튜토리얼 tutorial
가이드 guide
리드미 readme
릴리스노트 releasenotes changelog
임포트 import
핍 pip
콘다 conda
휠 wheel
메인 main
바이트배열 bytearray
던더 dunder
게터 getter
세터 setter
믹스인 mixin
데이터클래스 dataclass
이넘 enum
싱글턴 singleton
싱글톤 singleton
파사드 facade
클로저 closure
스코핑 scope
배치 batch
배칭 batching batch
큐잉 queue queuing
피드 feed
타임라인 timeline
온라인 online
오프라인 offline
인박스 inbox
배지 badge
뱃지 badge
로딩 loading load
프로그레스 progress
프로그레스바 progressbar progress
내비게이션 navigation nav
임베드 embed
미디어 media
리사이즈 resize
필터링 filtering filter
정렬키 sortkey sort
파티션키 partitionkey partition
프로비저닝 provisioning provision
온디맨드 ondemand
스팟 spot
엔진 engine
에이치맥 hmac
에스에스오 sso
시드 seed
셔플 shuffle
소트 sort
리버스 reverse
카피 copy
딥카피 deepcopy copy
무브 move
링크드 linked
스왑 swap
그루핑 grouping group
그룹핑 grouping group
리듀스 reduce
리트리버 retriever
랭킹 ranking rank
스코어 score
스코어링 scoring score
쿼리빌더 querybuilder query
서제스트 suggest
프리뷰 preview
스타일 style
스타일시트 stylesheet css
인덴트 indent
디덴트 dedent
뉴라인 newline
화이트스페이스 whitespace
캐리지리턴 carriage cr
딜리미터 delimiter
프리픽스 prefix
서픽스 suffix
리터럴 literal
퓨어 pure
사이드이펙트 sideeffect
체크포인트 checkpoint
세이브포인트 savepoint
리커버리 recovery recover
페일오버 failover
폴백 fallback
헬스체크 healthcheck health
인시던트 incident
디바이스 device
소프트웨어 software
플랫폼 platform
윈도우 windows window
리눅스 linux
스킬 skill skills
에포크 epoch
아키텍처 architecture
디자인 design
프로젝트 project
솔루션 solution
인프라 infra infrastructure
오퍼레이션 operation
트랜스폼 transform
컨버트 convert
익스포트 export
업로더 uploader
다운로더 downloader
라이터 writer
리더 reader
퍼시스턴스 persistence
유저네임 username
패스워드 password
매크로 macro
컨스트럭터 constructor
이니셜라이저 initializer
글로벌 global
로컬 local
리모트 remote
오리지널 original
언집 unzip
소팅 sorting sort
페이징 paging paginate
넥스트 next
히트 hit
미스 miss
레이턴시 latency
스루풋 throughput
퍼포먼스 performance
지피유 gpu
코어 core
피드백 feedback
메시징 messaging
메세징 messaging
채팅 chat
챗 chat
챗봇 chatbot bot
에이아이 ai
엘엘엠 llm
비전 vision
허들 huddle
클립 clip
콜 call
미팅 meeting
캘린더 calendar
커넥트 connect
커넥터 connector
마켓플레이스 marketplace
퍼블릭 public
프라이빗 private
셰어 share
쉐어 share
셰어드 shared
익스터널 external
인터널 internal
멀티 multi
싱글 single
서머리 summary
타이틀 title
네임 name
컬러 color
어카운트 account
리포 repo
테넌트 tenant
디테일 detail details
유니크 unique
유유아이디 uuid
타임존 timezone tz
로케일 locale
밀리초 millisecond ms
나노초 nanosecond
밀리세컨드 millisecond ms
에스쓰리 s3
이씨투 ec2
보토 boto boto3
보토코어 botocore
에스디케이 sdk
씨엘아이 cli
장고 django
플라스크 flask
에이싱크아이오 asyncio
피테스트 pytest
유닛테스트 unittest
타이핑 typing
피단틱 pydantic
주피터 jupyter
노트북 notebook
도커파일 dockerfile
메이크파일 makefile
깃헙 github
툴 tool tools
마스킹 masking mask
마스크 mask
튜닝 tune tuning
시프트 shift
언더바 underscore
번들 bundle
번들링 bundling bundle
미니파이 minify
트랜스파일 transpile
엑세스 access
키페어 keypair
웹앱 webapp
모바일 mobile
데스크톱 desktop
클릭 click
스크롤 scroll
드래그 drag
드롭 drop
호버 hover
포커스 focus
리렌더 rerender
프롭스 props
메모이제 memoize memoization
디시리얼 deserialize
레포지 repository repo
인보케이 invocation invoke
태스 task
서브스 subscribe subscription
컨슈 consumer
인터셉 intercept interceptor
오버라 override
어트리 attribute attr
아규먼 argument arg
유알 uri
익셉 exception
크레덴 credential credentials
어드 admin
컨버세 conversation
인스톨레 installation install
오소라이 authorization authorize
시그니 signature
베리피케 verification verify
밸리데이 validation validate
커버리 coverage
디플로 deploy deployment
아티팩 artifact
쿠버네 kubernetes k8s
컨피그 config configmap
로드밸 loadbalancer lb balancing
프리사 presigned presign
컨피 configuration config
프리퍼런 preferences
인바이런 environment env
서티피 certificate cert
새니타 sanitize
포매 formatting format
인터폴레 interpolation
레젝 regex
토크나 tokenize
컨티 continue
컨플릭 conflict
멀티셀렉 multiselect
인터랙 interactivity interactive
어크 ack acknowledge
에페메 ephemeral
스누 snooze
임베 embedding embed
엑스엠 xml
레스트 rest restful
그래프큐 graphql
에이치티티 http https
킵얼라 keepalive
싱글사 sso
에스큐 sql
레플리 replica replication
파티셔 partitioning partition
업서 upsert
포스트그 postgres postgresql
티씨 tcp
디프리 deprecate deprecated
도큐먼 document doc
스트래 strategy
컴프리헨 comprehension
이스케이 escape escaping
제이더블유 jwt
카운 count counting
어그리 aggregate aggregation
인덱 indexer index
리랭 rerank reranker
오토컴 autocomplete
세퍼 separator
이뮤 immutable
뮤터 mutable
트랜잭 transactional transaction
포스트모 postmortem
크로스플랫 crossplatform
덴셜 credential credentials
옵티마 optimizer optimize
디스크립 description
컴플리 completion
에이더블유 aws
아키텍 architecture
페이지네 paginator paginate
썸네 thumbnail
마이그레 migration migrate
"""
