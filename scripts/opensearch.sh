#!/usr/bin/env bash
# A real single-node OpenSearch on loopback, for the tests and benchmarks:
#   scripts/opensearch.sh start    start it (once), print its URL
#   scripts/opensearch.sh status   print its URL if it runs (exit 0), else say so (exit 3)
#   scripts/opensearch.sh stop     stop it
#   scripts/opensearch.sh fetch    only download, check and assemble it (no start)
#
# OpenSearch 2.19.1 with the k-NN plugin 2.19.1.0 (lucene engine, no native library) and
# Nori, every part from Maven Central at the versions pinned in infra/opensearch/node/pom.xml,
# every file checked against infra/opensearch/node/SHA256SUMS. The parts are cached outside
# the work tree, so a later start needs no network:
#   GENCODE_OPENSEARCH_CACHE  parts and assembled node (default ~/.cache/gencode/opensearch)
#   GENCODE_OPENSEARCH_RUN    pid, URL, log and data of this checkout's node (default .opensearch/)
#   GENCODE_OPENSEARCH_PORT   HTTP port (default 0: a free one)
#   GENCODE_OPENSEARCH_HEAP   JVM heap (default 512m)
#   JAVA_HOME                 a Java 17 to 21 (default: `java` on PATH)
# Security is off (plain HTTP, loopback only) and the data directory is emptied at each start:
# this node is for tests, never for keeping anything.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
SPEC="$ROOT/infra/opensearch/node"
CACHE="${GENCODE_OPENSEARCH_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/gencode/opensearch}"
RUN="${GENCODE_OPENSEARCH_RUN:-$ROOT/.opensearch}"
PORT="${GENCODE_OPENSEARCH_PORT:-0}"
HEAP="${GENCODE_OPENSEARCH_HEAP:-512m}"
START_TIMEOUT=120
JAVA="${JAVA_HOME:+$JAVA_HOME/bin/}java"
VERSION="OpenSearch 2.19.1 with k-NN 2.19.1.0 and Nori"

say() { printf 'opensearch.sh: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

# The assembled node is keyed by everything it is made of: a changed pin, hash or launcher
# source gives a new directory instead of a stale one.
node_key() {
    cat "$SPEC/pom.xml" "$SPEC/SHA256SUMS" "$SPEC/log4j2.properties" "$SPEC"/src/gencode/opensearch/*.java \
        | sha256sum | cut -c1-16
}

check_java() {
    command -v "$JAVA" >/dev/null 2>&1 || die "no Java found ($JAVA); install a JDK 17 or set JAVA_HOME"
    local major
    major="$("$JAVA" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')"
    major="${major#1.}"
    if [[ -z "$major" || "$major" -lt 11 || "$major" -gt 21 ]]; then
        die "OpenSearch 2.19 runs on Java 11 to 21, and $JAVA is Java ${major:-?}; set JAVA_HOME to a JDK 17"
    fi
}

# Download (Maven Central, pinned versions), verify (sha256) and assemble: a classpath of the
# server's libraries, the HTTP module, the modules and plugins, and our launcher, compiled.
assemble() {
    local key node parts tmp
    key="$(node_key)"
    node="$CACHE/node-$key"
    if [[ -f "$node/ready" ]]; then
        echo "$node"
        return
    fi
    check_java
    command -v mvn >/dev/null 2>&1 || die "Maven (mvn) is needed once, to fetch OpenSearch from Maven Central"
    command -v javac >/dev/null 2>&1 || [[ -x "${JAVA_HOME:-}/bin/javac" ]] \
        || die "javac is needed once, to compile the node launcher; install a JDK (not only a JRE)"
    mkdir -p "$CACHE"
    tmp="$(mktemp -d "$CACHE/.assemble.XXXXXX")"
    parts="$tmp/parts"
    say "fetching $VERSION from Maven Central into $CACHE (once)"
    if ! mvn -B -q -C -Dmaven.repo.local="$CACHE/m2" -f "$SPEC/pom.xml" \
        dependency:copy-dependencies -DoutputDirectory="$parts" >"$tmp/mvn.log" 2>&1; then
        cat "$tmp/mvn.log" >&2
        rm -rf "$tmp"
        die "could not fetch the node's parts from Maven Central (see Maven's output above)"
    fi
    # Every file pinned, and nothing unpinned: a changed or extra artifact stops here.
    if ! (cd "$parts" && sha256sum --check --strict --quiet "$SPEC/SHA256SUMS"); then
        rm -rf "$tmp"
        die "a downloaded file does not match infra/opensearch/node/SHA256SUMS; refusing to run it"
    fi
    local extra
    extra="$(cd "$parts" && ls | grep -vxFf <(awk '{print $2}' "$SPEC/SHA256SUMS") || true)"
    [[ -z "$extra" ]] || { rm -rf "$tmp"; die "files not in SHA256SUMS were fetched: $extra"; }

    mkdir -p "$tmp/lib" "$tmp/classes" "$tmp/home/config" "$tmp/home/modules" "$tmp/home/plugins"
    unzip -q -j -o "$parts/opensearch-2.19.1.zip" 'opensearch-2.19.1/lib/*.jar' \
        'opensearch-2.19.1/modules/transport-netty4/*.jar' -d "$tmp/lib"
    unzip -q -j -o "$parts/opensearch-knn-2.19.1.0.zip" '*.jar' -d "$tmp/lib"
    local jar
    for jar in "$parts"/*.jar; do
        [[ -e "$tmp/lib/$(basename "$jar")" ]] || cp "$jar" "$tmp/lib/"
    done
    cp "$SPEC/log4j2.properties" "$tmp/home/config/"
    "${JAVA_HOME:+$JAVA_HOME/bin/}javac" -nowarn -d "$tmp/classes" -cp "$tmp/lib/*" \
        "$SPEC"/src/gencode/opensearch/*.java
    rm -rf "$parts"
    touch "$tmp/ready"
    rm -rf "$node"
    mv "$tmp" "$node"
    echo "$node"
}

running_pid() {
    local pid
    [[ -f "$RUN/pid" ]] || return 1
    pid="$(cat "$RUN/pid")"
    [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null || return 1
    echo "$pid"
}

# Healthy means: answers HTTP and the cluster is at least yellow.
healthy() {
    python3 - "$1" <<'EOF'
import json, sys, urllib.request
try:
    with urllib.request.urlopen(sys.argv[1] + "/_cluster/health?wait_for_status=yellow&timeout=1s", timeout=5) as r:
        sys.exit(0 if json.load(r)["status"] in ("green", "yellow") else 1)
except Exception:
    sys.exit(1)
EOF
}

status() {
    local pid url
    if pid="$(running_pid)" && [[ -s "$RUN/url" ]]; then
        url="$(cat "$RUN/url")"
        if healthy "$url"; then
            echo "$url"
            return 0
        fi
        say "node $pid at $url is running but not healthy (log: $RUN/node.log)"
        return 3
    fi
    say "not running"
    return 3
}

start() {
    local node pid url began elapsed
    if url="$(status 2>/dev/null)"; then
        echo "$url"
        return 0
    fi
    if pid="$(running_pid)"; then
        die "node $pid is running but not healthy; run scripts/opensearch.sh stop first"
    fi
    node="$(assemble)"
    check_java
    mkdir -p "$RUN"
    rm -rf "$RUN/data" "$RUN/url" "$RUN/pid"
    mkdir -p "$RUN/data"
    began="$(date +%s.%N)"
    # setsid: the node outlives this script and the shell that ran it, until `stop`.
    setsid "$JAVA" -Xms"$HEAP" -Xmx"$HEAP" -XX:+UseSerialGC -XX:+ExitOnOutOfMemoryError \
        -Djava.awt.headless=true -Dfile.encoding=UTF-8 -Djava.io.tmpdir="$RUN/data" \
        -cp "$node/classes:$node/lib/*" gencode.opensearch.TestNode \
        "$node/home" "$RUN/data" "$PORT" "$RUN/url" >"$RUN/node.log" 2>&1 </dev/null 9>&- &
    pid=$!
    echo "$pid" >"$RUN/pid"
    while :; do
        if ! kill -0 "$pid" 2>/dev/null; then
            tail -n 30 "$RUN/node.log" >&2
            rm -f "$RUN/pid"
            die "the node exited while starting (log: $RUN/node.log)"
        fi
        if [[ -s "$RUN/url" ]] && healthy "$(cat "$RUN/url")"; then
            break
        fi
        elapsed="$(awk -v a="$began" -v b="$(date +%s.%N)" 'BEGIN{printf "%d", b-a}')"
        if ((elapsed > START_TIMEOUT)); then
            kill "$pid" 2>/dev/null || true
            tail -n 30 "$RUN/node.log" >&2
            die "the node did not answer within ${START_TIMEOUT}s (log: $RUN/node.log)"
        fi
        sleep 0.2
    done
    url="$(cat "$RUN/url")"
    elapsed="$(awk -v a="$began" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b-a}')"
    say "$VERSION at $url, started in ${elapsed}s (load average $(cut -d' ' -f1-3 /proc/loadavg))"
    echo "$url"
}

stop() {
    local pid i
    if ! pid="$(running_pid)"; then
        rm -f "$RUN/pid" "$RUN/url"
        say "not running"
        return 0
    fi
    kill "$pid"
    for i in $(seq 1 150); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.2
    done
    if kill -0 "$pid" 2>/dev/null; then
        say "node $pid did not stop within 30s; killing it"
        kill -9 "$pid" 2>/dev/null || true
    fi
    rm -f "$RUN/pid" "$RUN/url"
    say "stopped node $pid"
}

# One start or stop at a time per checkout (two test sessions may ask at once).
lock() {
    mkdir -p "$RUN"
    exec 9>"$RUN/lock"
    flock 9
}

case "${1:-}" in
    start) lock && start ;;
    stop) lock && stop ;;
    status) status ;;
    fetch) assemble >/dev/null && say "$VERSION is assembled in $CACHE" ;;
    *)
        echo "usage: scripts/opensearch.sh start|stop|status|fetch" >&2
        exit 2
        ;;
esac
