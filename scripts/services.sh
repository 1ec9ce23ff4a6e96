#!/usr/bin/env bash
# Real Kafka, ClickHouse server and HAProxy on this machine, for tests and local runs. No Docker.
#
#   scripts/services.sh up [kafka|clickhouse|haproxy]...     install when missing, start, wait until ready
#   scripts/services.sh down [kafka|clickhouse]...           stop what `up` started (pid files)
#   scripts/services.sh status [kafka|clickhouse|haproxy]... exit 0 only when all named ones are ready
#   scripts/services.sh env                                  `export …` lines: eval "$(scripts/services.sh env)"
#
# Kafka: the broker's jars from Maven (infra/kafka/pom.xml, cached in ~/.m2), one KRaft node
# (broker+controller). ClickHouse: Debian's clickhouse-server with a config written here. HAProxy:
# Debian's haproxy (+ halog); end-to-end tests start their own instances. Everything listens on
# 127.0.0.1 only; state, data and logs live under .services/ (BREAKWATER_SERVICES_DIR overrides).
# `up` prints KEY=VALUE lines on stdout; progress and errors go to stderr.
# The readiness probes take an optional HOST PORT (tests pass them); the script calls them bare.
# shellcheck disable=SC2119,SC2120
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
STATE="${BREAKWATER_SERVICES_DIR:-$ROOT/.services}"
# The project's fixed ports (test/support/services.ts knows them); override only to dodge a clash.
KAFKA_PORT="${BREAKWATER_KAFKA_PORT:-19092}"
KAFKA_CONTROLLER_PORT="${BREAKWATER_KAFKA_CONTROLLER_PORT:-19093}"
CLICKHOUSE_HTTP_PORT="${BREAKWATER_CLICKHOUSE_HTTP_PORT:-18123}"
CLICKHOUSE_TCP_PORT="${BREAKWATER_CLICKHOUSE_TCP_PORT:-19000}"
KAFKA_HEAP="${BREAKWATER_KAFKA_HEAP:-512m}"
READY_TIMEOUT="${BREAKWATER_SERVICES_TIMEOUT:-120}"
ALL_COMPONENTS=(kafka clickhouse haproxy)

say() { printf 'services: %s\n' "$*" >&2; }
die() { printf 'services: ERROR: %s\n' "$*" >&2; exit 1; }

# ---------- helpers ----------------------------------------------------------------------------

as_root() {
  if [[ $(id -u) -eq 0 ]]; then "$@"
  elif command -v sudo >/dev/null; then sudo -n "$@"
  else return 1
  fi
}

APT_UPDATED=0
apt_install() { # apt_install PACKAGE... (waits for another apt run to finish)
  command -v apt-get >/dev/null || die "cannot install $* : apt-get not found; install them by hand"
  local opts=(-y -q -o DPkg::Lock::Timeout=600)
  if [[ $APT_UPDATED -eq 0 ]]; then
    say "apt-get update"
    as_root apt-get -q -o DPkg::Lock::Timeout=600 update >"$STATE/apt.log" 2>&1 \
      || die "apt-get update failed (needs root or passwordless sudo); see $STATE/apt.log"
    APT_UPDATED=1
  fi
  say "apt-get install $*"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install "${opts[@]}" "$@" >>"$STATE/apt.log" 2>&1 \
    || die "could not install $* with apt-get; see $STATE/apt.log"
}

find_binary() { # find_binary NAME: PATH first, then the sbin/lib places Debian uses
  local name=$1 dir
  if command -v "$name" 2>/dev/null; then return 0; fi
  for dir in /usr/sbin /usr/bin /sbin /usr/lib/haproxy /usr/local/sbin /usr/local/bin; do
    if [[ -x $dir/$name ]]; then echo "$dir/$name"; return 0; fi
  done
  return 1
}

pid_alive() { # pid_alive PIDFILE EXPECTED_CMDLINE_FRAGMENT
  local pidfile=$1 fragment=$2 pid
  [[ -f $pidfile ]] || return 1
  pid=$(<"$pidfile")
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  [[ -r /proc/$pid/cmdline ]] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "$fragment"
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# kafka_ready [HOST [PORT]]: sends a Kafka ApiVersions v0 request (correlation id 7, client id
# "bw"); ready when the broker answers with correlation id 7 and error code 0. Needs only bash.
kafka_ready() {
  local host=${1:-127.0.0.1} port=${2:-$KAFKA_PORT} resp
  # shellcheck disable=SC2016 # $0 expands in the inner bash
  resp=$(timeout 3 bash -c '
    exec 3<>"/dev/tcp/$0/$1" || exit 1
    printf "\x00\x00\x00\x0c\x00\x12\x00\x00\x00\x00\x00\x07\x00\x02bw" >&3
    head -c 10 <&3 | od -An -tx1' "$host" "$port" 2>/dev/null | tr -d ' \n') || return 1
  [[ ${resp:8:12} == 000000070000 ]]
}

# clickhouse_ready [HOST [PORT]]: SELECT 1 over HTTP answers 1.
clickhouse_ready() {
  local host=${1:-127.0.0.1} port=${2:-$CLICKHOUSE_HTTP_PORT} body
  # shellcheck disable=SC2016 # $0 expands in the inner bash
  body=$(timeout 3 bash -c '
    exec 3<>"/dev/tcp/$0/$1" || exit 1
    printf "GET /?query=SELECT%%201 HTTP/1.0\r\nHost: %s\r\n\r\n" "$0" >&3
    cat <&3' "$host" "$port" 2>/dev/null) || return 1
  [[ $body == "HTTP/1."?" 200"* && $body == *$'\r\n\r\n1'* ]]
}

show_logs() { # show_logs FILE...: the tail of each non-empty log, on stderr
  local f
  for f in "$@"; do
    [[ -s $f ]] || continue
    say "last lines of $f:"
    tail -n 25 "$f" >&2 || true
  done
}

# keep_previous_log FILE: moves the last run's log to FILE.prev, so a failure shows only this run's lines.
keep_previous_log() { if [[ -f $1 ]]; then mv -f "$1" "$1.prev"; fi; }

wait_ready() { # wait_ready NAME CHECK PIDFILE FRAGMENT LOGFILE...
  local name=$1 check=$2 pidfile=$3 fragment=$4 waited=0
  shift 4
  until "$check"; do
    if ! pid_alive "$pidfile" "$fragment"; then
      show_logs "$@"
      die "$name exited during startup (logs above)"
    fi
    if (( waited >= READY_TIMEOUT * 2 )); then
      show_logs "$@"
      die "$name did not become ready within ${READY_TIMEOUT}s (pid $(<"$pidfile"), logs above)"
    fi
    sleep 0.5; waited=$((waited + 1))
  done
}

# already_up NAME CHECK PIDFILE FRAGMENT PORT LOGFILE...: true when NAME already runs, either
# started by this script (then waits until it is ready) or something else that passes CHECK on PORT;
# dies when PORT is taken by something that does not; false when nothing is there.
already_up() {
  local name=$1 check=$2 pidfile=$3 fragment=$4 port=$5
  shift 5
  if pid_alive "$pidfile" "$fragment"; then
    wait_ready "$name" "$check" "$pidfile" "$fragment" "$@"
    say "$name: running (pid $(<"$pidfile"))"
    return 0
  fi
  port_open "$port" || return 1
  "$check" || die "$name: port $port is taken by a process this script did not start, and it does not answer as $name"
  say "$name: a server not started by this script answers on 127.0.0.1:$port; using it"
}

stop_pidfile() { # stop_pidfile NAME PIDFILE FRAGMENT
  local name=$1 pidfile=$2 fragment=$3 pid i
  if ! pid_alive "$pidfile" "$fragment"; then
    rm -f "$pidfile"; say "$name: not running (nothing started by this script)"; return 0
  fi
  pid=$(<"$pidfile")
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < 60; i++)); do
    pid_alive "$pidfile" "$fragment" || break
    sleep 0.5
  done
  if pid_alive "$pidfile" "$fragment"; then
    say "$name (pid $pid) ignored SIGTERM for 30s; sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$pidfile"
  say "$name: stopped (pid $pid)"
}

# ---------- Kafka ------------------------------------------------------------------------------

KAFKA_DIR="$STATE/kafka"
KAFKA_PIDFILE="$KAFKA_DIR/kafka.pid"
KAFKA_FRAGMENT="$KAFKA_DIR/server.properties"
KAFKA_LOGS=("$KAFKA_DIR/kafka.out" "$KAFKA_DIR/logs/server.log")

kafka_libs() { # resolve the broker's jars with mvn unless the copy matches the pom
  local pom="$ROOT/infra/kafka/pom.xml" stamp="$KAFKA_DIR/libs/.pom.sha256" want
  want=$(sha256sum "$pom" | cut -d' ' -f1)
  [[ -f $stamp && $(<"$stamp") == "$want" ]] && return 0
  command -v mvn >/dev/null || apt_install maven
  say "kafka: resolving the broker's jars with mvn (first time: a minute or two)"
  rm -rf "$KAFKA_DIR/libs.tmp"
  mvn -B -q -f "$pom" dependency:copy-dependencies -DincludeScope=runtime \
    -DoutputDirectory="$KAFKA_DIR/libs.tmp" >"$KAFKA_DIR/mvn.log" 2>&1 \
    || { tail -n 20 "$KAFKA_DIR/mvn.log" >&2; die "mvn could not resolve the Kafka jars from $pom; see $KAFKA_DIR/mvn.log"; }
  echo "$want" >"$KAFKA_DIR/libs.tmp/.pom.sha256"
  rm -rf "$KAFKA_DIR/libs"
  mv "$KAFKA_DIR/libs.tmp" "$KAFKA_DIR/libs"
}

kafka_config() {
  cat >"$KAFKA_DIR/server.properties" <<EOF
# Written by scripts/services.sh: one KRaft node, broker and controller, on 127.0.0.1 only.
process.roles=broker,controller
node.id=1
controller.quorum.bootstrap.servers=127.0.0.1:$KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$KAFKA_DIR/data
auto.create.topics.enable=true
num.partitions=1
offsets.topic.num.partitions=10
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
num.network.threads=2
num.io.threads=4
log.retention.hours=24
EOF
  cat >"$KAFKA_DIR/log4j2.properties" <<EOF
status = warn
appender.file.type = RollingFile
appender.file.name = file
appender.file.fileName = $KAFKA_DIR/logs/server.log
appender.file.filePattern = $KAFKA_DIR/logs/server.log.%i
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
appender.file.policies.type = Policies
appender.file.policies.size.type = SizeBasedTriggeringPolicy
appender.file.policies.size.size = 50MB
appender.file.strategy.type = DefaultRolloverStrategy
appender.file.strategy.max = 2
rootLogger.level = info
rootLogger.appenderRef.file.ref = file
logger.request.name = kafka.request.logger
logger.request.level = warn
EOF
}

require_java() { # require_java MAJOR: installs a JRE when java is missing; fails when it is too old
  command -v java >/dev/null || apt_install openjdk-17-jre-headless
  local major
  major=$(java -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java\.specification\.version = \([0-9]*\).*/\1/p')
  [[ ${major:-0} -ge $1 ]] || die "kafka: needs Java $1 or newer, found '$(command -v java)' version ${major:-unknown}"
}

kafka_java_cmd() { # the java command line with the broker's classpath and JVM flags
  KAFKA_JAVA=(java -Xms128m -Xmx"$KAFKA_HEAP" -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -Djava.awt.headless=true
    -Dlog4j2.configurationFile="$KAFKA_DIR/log4j2.properties" -Dkafka.logs.dir="$KAFKA_DIR/logs"
    -cp "$KAFKA_DIR/libs/*")
}

# spawn_detached PIDFILE LOGFILE COMMAND...: runs COMMAND in a session of its own (it outlives this
# script and the caller's process group) without the lock fd, and records its pid.
spawn_detached() {
  local pidfile=$1 logfile=$2 i; shift 2
  rm -f "$pidfile"
  (cd "$(dirname "$pidfile")" && echo "$BASHPID" >"$pidfile" && exec setsid "$@") </dev/null >"$logfile" 2>&1 9>&- &
  for ((i = 0; i < 50; i++)); do [[ -s $pidfile ]] && break; sleep 0.1; done
}

kafka_up() {
  already_up kafka kafka_ready "$KAFKA_PIDFILE" "$KAFKA_FRAGMENT" "$KAFKA_PORT" "${KAFKA_LOGS[@]}" && return 0
  mkdir -p "$KAFKA_DIR/logs" "$KAFKA_DIR/data"
  require_java 17
  kafka_libs
  kafka_config
  if [[ ! -f $KAFKA_DIR/data/meta.properties ]]; then
    local cluster_id
    cluster_id=$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=')
    say "kafka: formatting storage (cluster id $cluster_id)"
    kafka_java_cmd
    "${KAFKA_JAVA[@]}" kafka.tools.StorageTool format --standalone -t "$cluster_id" \
      -c "$KAFKA_DIR/server.properties" >"$KAFKA_DIR/format.log" 2>&1 \
      || { cat "$KAFKA_DIR/format.log" >&2; die "kafka: storage format failed"; }
  fi
  say "kafka: starting on 127.0.0.1:$KAFKA_PORT"
  keep_previous_log "${KAFKA_LOGS[1]}"
  kafka_java_cmd
  spawn_detached "$KAFKA_PIDFILE" "$KAFKA_DIR/kafka.out" "${KAFKA_JAVA[@]}" kafka.Kafka "$KAFKA_FRAGMENT"
  wait_ready kafka kafka_ready "$KAFKA_PIDFILE" "$KAFKA_FRAGMENT" "${KAFKA_LOGS[@]}"
  say "kafka: ready (pid $(<"$KAFKA_PIDFILE"))"
}

# ---------- ClickHouse -------------------------------------------------------------------------

CH_DIR="$STATE/clickhouse"
CH_PIDFILE="$CH_DIR/clickhouse.pid"
CH_FRAGMENT="$CH_DIR/config.xml"
CH_LOGS=("$CH_DIR/clickhouse.out" "$CH_DIR/log/clickhouse-server.err.log")

clickhouse_config() {
  mkdir -p "$CH_DIR/data" "$CH_DIR/tmp" "$CH_DIR/user_files" "$CH_DIR/format_schemas" "$CH_DIR/log"
  cat >"$CH_DIR/config.xml" <<EOF
<?xml version="1.0"?>
<!-- Written by scripts/services.sh: a ClickHouse server on 127.0.0.1 only, state under $CH_DIR. -->
<yandex>
    <logger>
        <level>warning</level>
        <log>$CH_DIR/log/clickhouse-server.log</log>
        <errorlog>$CH_DIR/log/clickhouse-server.err.log</errorlog>
        <size>50M</size>
        <count>2</count>
    </logger>
    <listen_host>127.0.0.1</listen_host>
    <http_port>$CLICKHOUSE_HTTP_PORT</http_port>
    <tcp_port>$CLICKHOUSE_TCP_PORT</tcp_port>
    <max_connections>1024</max_connections>
    <keep_alive_timeout>10</keep_alive_timeout>
    <max_concurrent_queries>100</max_concurrent_queries>
    <uncompressed_cache_size>268435456</uncompressed_cache_size>
    <mark_cache_size>268435456</mark_cache_size>
    <path>$CH_DIR/data/</path>
    <tmp_path>$CH_DIR/tmp/</tmp_path>
    <user_files_path>$CH_DIR/user_files/</user_files_path>
    <format_schema_path>$CH_DIR/format_schemas/</format_schema_path>
    <users_config>$CH_DIR/users.xml</users_config>
    <default_profile>default</default_profile>
    <default_database>default</default_database>
    <timezone>UTC</timezone>
    <mlock_executable>false</mlock_executable>
    <max_session_timeout>3600</max_session_timeout>
    <default_session_timeout>60</default_session_timeout>
</yandex>
EOF
  cat >"$CH_DIR/users.xml" <<'EOF'
<?xml version="1.0"?>
<!-- Written by scripts/services.sh: user "default" without a password, from localhost only. -->
<yandex>
    <profiles>
        <default>
            <max_memory_usage>4000000000</max_memory_usage>
            <load_balancing>random</load_balancing>
        </default>
    </profiles>
    <users>
        <default>
            <password></password>
            <networks>
                <ip>127.0.0.1</ip>
                <ip>::1</ip>
            </networks>
            <profile>default</profile>
            <quota>default</quota>
        </default>
    </users>
    <quotas>
        <default>
            <interval>
                <duration>3600</duration>
                <queries>0</queries>
                <errors>0</errors>
                <result_rows>0</result_rows>
                <read_rows>0</read_rows>
                <execution_time>0</execution_time>
            </interval>
        </default>
    </quotas>
</yandex>
EOF
}

clickhouse_up() {
  already_up clickhouse clickhouse_ready "$CH_PIDFILE" "$CH_FRAGMENT" "$CLICKHOUSE_HTTP_PORT" "${CH_LOGS[@]}" && return 0
  local bin
  bin=$(find_binary clickhouse-server) || { apt_install clickhouse-server clickhouse-client; bin=$(find_binary clickhouse-server) \
    || die "clickhouse: clickhouse-server is not on this machine after apt-get install clickhouse-server"; }
  clickhouse_config
  keep_previous_log "${CH_LOGS[1]}"
  say "clickhouse: starting on 127.0.0.1:$CLICKHOUSE_HTTP_PORT (http), :$CLICKHOUSE_TCP_PORT (native)"
  spawn_detached "$CH_PIDFILE" "$CH_DIR/clickhouse.out" "$bin" --config-file="$CH_DIR/config.xml"
  wait_ready clickhouse clickhouse_ready "$CH_PIDFILE" "$CH_FRAGMENT" "${CH_LOGS[@]}"
  say "clickhouse: ready (pid $(<"$CH_PIDFILE"))"
}

# ---------- HAProxy ----------------------------------------------------------------------------

haproxy_up() {
  if ! find_binary haproxy >/dev/null || ! find_binary halog >/dev/null; then apt_install haproxy; fi
  find_binary haproxy >/dev/null || die "haproxy: not on this machine after apt-get install haproxy"
  find_binary halog >/dev/null || die "haproxy: halog not found (looked in PATH, /usr/sbin, /usr/bin, /usr/lib/haproxy)"
  say "haproxy: installed ($(find_binary haproxy)); end-to-end tests start their own instances"
}

# ---------- commands ---------------------------------------------------------------------------

print_env() { # print_env PREFIX COMPONENT...
  local prefix=$1 c; shift
  for c in "$@"; do
    case $c in
      kafka) echo "${prefix}KAFKA_BROKERS=127.0.0.1:$KAFKA_PORT" ;;
      clickhouse) echo "${prefix}CLICKHOUSE_URL=http://127.0.0.1:$CLICKHOUSE_HTTP_PORT" ;;
      haproxy)
        local h l
        if h=$(find_binary haproxy) && l=$(find_binary halog); then
          echo "${prefix}HAPROXY_BIN=$h"; echo "${prefix}HALOG_BIN=$l"
        fi ;;
    esac
  done
}

component_status() { # prints one line, returns 0 when ready
  case $1 in
    kafka)
      if kafka_ready; then
        if pid_alive "$KAFKA_PIDFILE" "$KAFKA_FRAGMENT"; then echo "kafka: ready on 127.0.0.1:$KAFKA_PORT (pid $(<"$KAFKA_PIDFILE"))"
        else echo "kafka: ready on 127.0.0.1:$KAFKA_PORT (not started by this script)"; fi
      else echo "kafka: not running"; return 1; fi ;;
    clickhouse)
      if clickhouse_ready; then
        if pid_alive "$CH_PIDFILE" "$CH_FRAGMENT"; then echo "clickhouse: ready on 127.0.0.1:$CLICKHOUSE_HTTP_PORT (pid $(<"$CH_PIDFILE"))"
        else echo "clickhouse: ready on 127.0.0.1:$CLICKHOUSE_HTTP_PORT (not started by this script)"; fi
      else echo "clickhouse: not running"; return 1; fi ;;
    haproxy)
      local h l
      if h=$(find_binary haproxy) && l=$(find_binary halog); then echo "haproxy: installed ($h, halog $l)"
      else echo "haproxy: not installed"; return 1; fi ;;
  esac
}

main() {
  local cmd=${1:-}
  [[ $# -gt 0 ]] && shift
  local components=("$@") c
  [[ ${#components[@]} -eq 0 ]] && components=("${ALL_COMPONENTS[@]}")
  for c in "${components[@]}"; do
    [[ " ${ALL_COMPONENTS[*]} " == *" $c "* ]] || die "unknown component '$c' (expected: ${ALL_COMPONENTS[*]})"
  done

  case $cmd in
    up|down)
      mkdir -p "$STATE"
      exec 9>"$STATE/.lock"
      flock -w 900 9 || die "another services.sh $cmd held $STATE/.lock for 15 minutes"
      if [[ $cmd == up ]]; then
        for c in "${components[@]}"; do "${c}_up"; done
        print_env '' "${components[@]}"
      else
        for c in "${components[@]}"; do
          case $c in
            kafka) stop_pidfile kafka "$KAFKA_PIDFILE" "$KAFKA_FRAGMENT" ;;
            clickhouse) stop_pidfile clickhouse "$CH_PIDFILE" "$CH_FRAGMENT" ;;
            haproxy) ;; # nothing runs: end-to-end tests start and stop their own haproxy
          esac
        done
      fi ;;
    status)
      local rc=0
      for c in "${components[@]}"; do component_status "$c" || rc=1; done
      return $rc ;;
    env) print_env 'export ' "${components[@]}" ;;
    *) sed -n '2,13p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 64 ;;
  esac
}

# Sourcing the script (for tests) defines the functions without running a command.
if [[ ${BASH_SOURCE[0]} == "$0" ]]; then main "$@"; fi
