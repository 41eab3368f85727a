#!/usr/bin/env bash
# Brings up the services Vista needs: PostgreSQL 15, NATS with JetStream and Elasticsearch 8.
#
#   bash scripts/services.sh [up]                      start what is missing, wait for health, print endpoints
#   bash scripts/services.sh status                    print which services answer (exit 3 if any is down)
#   bash scripts/services.sh stop  elasticsearch|nats|postgres
#   bash scripts/services.sh start elasticsearch|nats|postgres
#   bash scripts/services.sh down                      stop what this script started (never the machine's own
#                                                      PostgreSQL/NATS); with Docker: docker compose down
#
# With a Docker engine that answers, `up`/`down` use docker-compose.yml. Otherwise the services run as local
# processes: the machine's PostgreSQL and nats-server (installed from Debian if missing) and the official
# minimal Elasticsearch distribution from Maven Central, cached under .cache/elasticsearch/ and run as the
# unprivileged system user vista-es (Elasticsearch refuses to run as root).
# That minimal distribution has only the x-pack-core, x-pack-security, transport-netty4 and apm modules: no
# `GET /` (use /_cluster/health or /_nodes/_local), no Painless scripts, no _update_by_query, _delete_by_query
# or _reindex, no scaled_float/search_as_you_type. Indexing, _bulk (incl. doc_as_upsert), search, aggregations,
# aliases and index templates work. The Docker image is the full distribution.
#
# Environment: ES_VERSION (8.19.7), ES_HEAP (512m), ES_PORT (9200), ES_JAVA_HOME (a JDK 17+),
#              VISTA_SERVICES_MODE (auto | docker | local; default auto).
set -euo pipefail

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
COMPOSE_FILE="$REPO_ROOT/docker-compose.yml"

ES_VERSION=${ES_VERSION:-8.19.7}
ES_HEAP=${ES_HEAP:-512m}
ES_PORT=${ES_PORT:-9200}
export ES_VERSION ES_HEAP ES_PORT # docker-compose.yml interpolates them
ES_USER=vista-es
ES_URL="http://127.0.0.1:$ES_PORT"
ES_CACHE="$REPO_ROOT/.cache/elasticsearch"
ES_ZIP="$ES_CACHE/elasticsearch-$ES_VERSION.zip"
ES_HOME="$ES_CACHE/elasticsearch-$ES_VERSION"
# Data, logs and pidfile live outside the checkout, owned by $ES_USER: every clone of the
# repository (CI's fresh clones included) then stops, starts and finds the same node and data.
ES_RUN="${ES_RUN_DIR:-/var/lib/vista-es}"
ES_DATA="$ES_RUN/data"
ES_LOGS="$ES_RUN/logs"
ES_PIDFILE="$ES_RUN/elasticsearch.pid"
ES_CLUSTER=vista-local
ES_LOG="$ES_LOGS/$ES_CLUSTER.log"
ES_STARTUP_LOG="$ES_LOGS/startup.log"
ES_M2_ZIP="${HOME:-/root}/.m2/repository/org/elasticsearch/distribution/integ-test-zip/elasticsearch/$ES_VERSION/elasticsearch-$ES_VERSION.zip"

PG_HOST=127.0.0.1
PG_PORT=5432
PG_DATABASE=vista

NATS_BIN=/usr/sbin/nats-server
NATS_PORT=4222
NATS_MONITOR_PORT=8222
NATS_STORE=/var/lib/nats-server
NATS_LOG=/var/log/nats-server.log
NATS_PIDFILE=/run/vista-nats-server.pid

PG_TIMEOUT=60
NATS_TIMEOUT=30
ES_TIMEOUT=240

log() { printf '[services] %s\n' "$*"; }
warn() { printf '[services] WARNING: %s\n' "$*" >&2; }
die() {
  printf '[services] ERROR: %s\n' "$*" >&2
  exit 1
}
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

# ---------------------------------------------------------------------------------------------- helpers

APT_UPDATED=0
apt_install() {
  [[ $(id -u) -eq 0 ]] || die "need root to apt-get install $*"
  if [[ $APT_UPDATED -eq 0 ]]; then
    log "apt-get update"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
    APT_UPDATED=1
  fi
  log "apt-get install $*"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

ensure_tool() { # ensure_tool COMMAND [PACKAGE]
  command -v "$1" >/dev/null 2>&1 || apt_install "${2:-$1}"
}

tcp_open() { # tcp_open HOST PORT
  # shellcheck disable=SC2016 # $1/$2 are expanded by the inner bash
  timeout 2 bash -c 'exec 3<>"/dev/tcp/$1/$2"' _ "$1" "$2" 2>/dev/null
}

# wait_until SECONDS COMMAND...: retries COMMAND every half second until it succeeds or time is up.
wait_until() {
  local deadline=$((SECONDS + $1))
  shift
  until "$@"; do
    ((SECONDS < deadline)) || return 1
    sleep 0.5
  done
}

mode() {
  case "${VISTA_SERVICES_MODE:-auto}" in
    docker) echo docker ;;
    local) echo local ;;
    auto)
      if command -v docker >/dev/null 2>&1 && timeout 5 docker info >/dev/null 2>&1; then
        echo docker
      else
        echo local
      fi
      ;;
    *) die "VISTA_SERVICES_MODE must be auto, docker or local (got '${VISTA_SERVICES_MODE}')" ;;
  esac
}

# ---------------------------------------------------------------------------------------------- docker

compose() {
  if docker compose version >/dev/null 2>&1; then
    docker compose -f "$COMPOSE_FILE" "$@"
  elif command -v docker-compose >/dev/null 2>&1; then
    docker-compose -f "$COMPOSE_FILE" "$@"
  else
    die "docker mode needs 'docker compose' or 'docker-compose'; neither is installed (VISTA_SERVICES_MODE=local skips Docker)"
  fi
}

docker_up() {
  log "Docker engine found: docker compose up (waiting for health checks)"
  if ! compose up -d --wait; then
    compose ps >&2 || true
    die "docker compose services did not become healthy; see: docker compose -f $COMPOSE_FILE logs"
  fi
  local es_version
  es_version=$(es_version) || es_version=$ES_VERSION
  print_endpoints "$es_version"
}

# ---------------------------------------------------------------------------------------------- postgres

pg_version() { # the cluster version to use: 15 when present, else the newest one
  [[ -d /etc/postgresql ]] || return 1
  if [[ -d /etc/postgresql/15/main ]]; then
    echo 15
  else
    find /etc/postgresql -mindepth 2 -maxdepth 2 -name main -printf '%h\n' | xargs -r -n1 basename | sort -V | tail -n1 | grep .
  fi
}

pg_ready() {
  if command -v pg_isready >/dev/null 2>&1; then
    pg_isready -q -h "$PG_HOST" -p "$PG_PORT" -t 2
  else
    tcp_open "$PG_HOST" "$PG_PORT"
  fi
}

pg_log() { echo "/var/log/postgresql/postgresql-${1:-15}-main.log"; }

pg_start() {
  local version installed=0
  if ! command -v pg_ctlcluster >/dev/null 2>&1 || ! version=$(pg_version); then
    log "postgres: not installed, installing the Debian package"
    apt_install postgresql
    installed=1
    version=$(pg_version) || {
      version=$(find /usr/lib/postgresql -mindepth 1 -maxdepth 1 -printf '%f\n' | sort -V | tail -n1)
      log "postgres: creating cluster $version/main"
      pg_createcluster "$version" main >/dev/null
    }
  fi
  if [[ $installed -eq 1 ]]; then
    # A fresh Debian cluster wants a password over TCP; Vista's local URL is postgres://postgres@127.0.0.1.
    local hba="/etc/postgresql/$version/main/pg_hba.conf"
    if ! grep -qE '^host[[:space:]]+all[[:space:]]+all[[:space:]]+127\.0\.0\.1/32[[:space:]]+trust' "$hba"; then
      log "postgres: allowing trust auth from 127.0.0.1 and ::1 in $hba (local development only)"
      sed -i '1i host all all 127.0.0.1/32 trust\nhost all all ::1/128 trust' "$hba"
    fi
    # glibc's allocator would give a backend's freed heap back to the kernel after each small
    # transaction and take it again in the next (docs/operations.md#postgresqls-allocator).
    local environment="/etc/postgresql/$version/main/environment"
    if ! grep -q '^MALLOC_TRIM_THRESHOLD_' "$environment" 2>/dev/null; then
      log "postgres: keeping freed memory in each backend (glibc allocator settings in $environment)"
      printf 'MALLOC_TRIM_THRESHOLD_ = 33554432\nMALLOC_MMAP_THRESHOLD_ = 33554432\nMALLOC_TOP_PAD_ = 16777216\n' >>"$environment"
      pg_ctlcluster --skip-systemctl-redirect "$version" main status >/dev/null 2>&1 &&
        pg_ctlcluster --skip-systemctl-redirect "$version" main restart
    fi
  fi
  if pg_ctlcluster --skip-systemctl-redirect "$version" main status >/dev/null 2>&1; then
    if [[ $installed -eq 1 ]]; then
      pg_ctlcluster --skip-systemctl-redirect "$version" main reload
    fi
    log "postgres: cluster $version/main is running, waiting for it to accept connections"
  else
    log "postgres: starting cluster $version/main"
    pg_ctlcluster --skip-systemctl-redirect "$version" main start ||
      die "postgres: pg_ctlcluster $version main start failed; see $(pg_log "$version")"
  fi
  wait_until "$PG_TIMEOUT" pg_ready ||
    die "postgres: not ready on $PG_HOST:$PG_PORT after ${PG_TIMEOUT}s; see $(pg_log "$version")"
}

pg_ensure_database() {
  command -v psql >/dev/null 2>&1 || return 0
  local exists
  if ! exists=$(psql -h "$PG_HOST" -p "$PG_PORT" -U postgres -w -XAtc \
    "select 1 from pg_database where datname = '$PG_DATABASE'" postgres 2>&1); then
    warn "postgres: cannot connect as postgres@$PG_HOST:$PG_PORT without a password: $exists"
    return 0
  fi
  if [[ $exists != 1 ]]; then
    log "postgres: creating database $PG_DATABASE"
    psql -h "$PG_HOST" -p "$PG_PORT" -U postgres -w -XqAtc "create database $PG_DATABASE" postgres
  fi
}

postgres_up() {
  if pg_ready; then
    log "postgres: already accepting connections on $PG_HOST:$PG_PORT"
  else
    pg_start
    log "postgres: ready"
  fi
  pg_ensure_database
}

postgres_stop() {
  local version
  version=$(pg_version) || die "postgres: no cluster under /etc/postgresql"
  log "postgres: stopping cluster $version/main"
  if pg_ctlcluster --skip-systemctl-redirect "$version" main status >/dev/null 2>&1; then
    pg_ctlcluster --skip-systemctl-redirect "$version" main stop
  fi
  log "postgres: stopped"
}

# ---------------------------------------------------------------------------------------------- nats

nats_port_open() { tcp_open 127.0.0.1 "$NATS_PORT"; }

# The INFO line a NATS server sends on connect says whether JetStream is on.
nats_jetstream_enabled() {
  local info
  # shellcheck disable=SC2016 # $1 and $line are expanded by the inner bash
  info=$(timeout 3 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1" && IFS= read -r line <&3 && printf %s "$line"' \
    _ "$NATS_PORT" 2>/dev/null) || return 1
  [[ $info == *'"jetstream":true'* ]]
}

nats_port_closed() { ! nats_port_open; }

nats_monitor_up() { tcp_open 127.0.0.1 "$NATS_MONITOR_PORT"; }

nats_healthy() {
  nats_port_open || return 1
  if nats_monitor_up; then
    curl -fsS -m 3 -o /dev/null "http://127.0.0.1:$NATS_MONITOR_PORT/healthz?js-enabled-only=true" 2>/dev/null || return 1
  fi
  nats_jetstream_enabled
}

nats_start() {
  if [[ ! -x $NATS_BIN ]]; then
    log "nats: nats-server not installed, installing the Debian package"
    apt_install nats-server
    # Some package scripts start a server themselves.
    if nats_port_open; then return 0; fi
  fi
  mkdir -p "$NATS_STORE"
  local monitor=()
  if ! nats_monitor_up; then monitor=(-m "$NATS_MONITOR_PORT"); fi
  log "nats: starting nats-server with JetStream (store $NATS_STORE, log $NATS_LOG)"
  # Checked by its pidfile, not by --exec alone: any other nats-server on the machine (a fault test's
  # own broker, another checkout's) would count as "already running" and this one would never start.
  # Only called with the port closed, so a pidfile left behind names nothing that serves it.
  rm -f "$NATS_PIDFILE"
  start-stop-daemon --start --oknodo --background --make-pidfile --pidfile "$NATS_PIDFILE" \
    --exec "$NATS_BIN" -- \
    -a 127.0.0.1 -p "$NATS_PORT" -js -sd "$NATS_STORE" -l "$NATS_LOG" "${monitor[@]}" >/dev/null
}

# The pid of the process listening on the shared NATS port, whoever started it: the machine's own
# service or nats_start. What `stop nats` ends is that process only, never every process running
# $NATS_BIN: the fault tests' own brokers (test/support/nats-server.ts), and those of a test run
# beside this one, run the same binary.
nats_pid() {
  ss -Hltnp "sport = :$NATS_PORT" 2>/dev/null | grep -o 'pid=[0-9]*' | head -n1 | cut -d= -f2 | grep .
}

nats_up() {
  if nats_port_open; then
    log "nats: already listening on 127.0.0.1:$NATS_PORT"
  else
    nats_start
  fi
  wait_until "$NATS_TIMEOUT" nats_healthy ||
    die "nats: not healthy (port $NATS_PORT with JetStream enabled) after ${NATS_TIMEOUT}s; see $NATS_LOG"
  log "nats: ready, JetStream enabled"
}

nats_stop() {
  local pid
  if ! nats_port_open; then
    log "nats: not running"
    return 0
  fi
  pid=$(nats_pid) || die "nats: cannot tell which process listens on port $NATS_PORT (ss -ltnp shows no pid)"
  log "nats: stopping nats-server pid $pid"
  # --pid and --exec together: that process, and only if it is a nats-server.
  start-stop-daemon --stop --oknodo --retry TERM/15/KILL/5 --pid "$pid" --exec "$NATS_BIN" >/dev/null
  wait_until 10 nats_port_closed || die "nats: port $NATS_PORT still open after stop"
  rm -f "$NATS_PIDFILE"
  log "nats: stopped"
}

# ---------------------------------------------------------------------------------------------- elasticsearch

# Prints the version of whatever Elasticsearch answers on ES_URL. Not from `GET /`: the minimal distribution
# lacks the rest-root module, so `GET /` (and the JS client's info()/ping()) answer 405 there.
es_version() {
  local body
  body=$(curl -fsS -m 3 "$ES_URL/_nodes/_local?filter_path=nodes.*.version" 2>/dev/null) || return 1
  sed -n 's/.*"version"[[:space:]]*:[[:space:]]*"\([^"]*\)".*/\1/p' <<<"$body" | head -n1 | grep .
}

pid_gone() { ! kill -0 "$1" 2>/dev/null; }

es_healthy() {
  curl -fsS -m 10 -o /dev/null "$ES_URL/_cluster/health?wait_for_status=yellow&timeout=5s" 2>/dev/null
}

es_pid() { # the pid from our pidfile when that process is alive
  local pid
  if [[ -s $ES_PIDFILE ]]; then
    pid=$(<"$ES_PIDFILE")
    if [[ $pid =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null; then
      echo "$pid"
      return 0
    fi
  fi
  es_pid_of_user
}

# An Elasticsearch run by $ES_USER but started from another checkout of this repository (CI
# clones, a second work tree) is still ours to stop: find it by its owner and its java command.
es_pid_of_user() {
  id "$ES_USER" >/dev/null 2>&1 || return 1
  pgrep -u "$ES_USER" -f 'org.elasticsearch.bootstrap.Elasticsearch' | head -n1 | grep .
}

es_java_home() {
  local candidate
  if [[ -n ${ES_JAVA_HOME:-} ]]; then
    [[ -x $ES_JAVA_HOME/bin/java ]] || die "elasticsearch: ES_JAVA_HOME=$ES_JAVA_HOME has no bin/java"
    echo "$ES_JAVA_HOME"
    return
  fi
  for candidate in /usr/lib/jvm/java-17-openjdk-amd64 /usr/lib/jvm/java-17-openjdk-* /usr/lib/jvm/java-21-openjdk-*; do
    if [[ -x $candidate/bin/java ]]; then
      echo "$candidate"
      return
    fi
  done
  log "elasticsearch: no JDK 17 found, installing openjdk-17-jre-headless" >&2
  apt_install openjdk-17-jre-headless >&2
  echo /usr/lib/jvm/java-17-openjdk-amd64
}

es_ensure_user() {
  id -u "$ES_USER" >/dev/null 2>&1 && return 0
  log "elasticsearch: creating system user $ES_USER"
  useradd --system --user-group --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$ES_USER"
}

es_download() {
  [[ -s $ES_ZIP ]] && return 0
  local started tmp
  started=$(now)
  mkdir -p "$ES_CACHE"
  if [[ -s $ES_M2_ZIP ]]; then
    log "elasticsearch: copying $ES_VERSION from the local Maven repository"
    cp "$ES_M2_ZIP" "$ES_ZIP.part"
  else
    ensure_tool mvn maven
    log "elasticsearch: downloading $ES_VERSION from Maven Central (~100 MB)"
    tmp=$(mktemp -d "$ES_CACHE/download.XXXXXX")
    if ! mvn -q -B -Dstyle.color=never dependency:copy \
      "-Dartifact=org.elasticsearch.distribution.integ-test-zip:elasticsearch:$ES_VERSION:zip" \
      "-DoutputDirectory=$tmp" >"$ES_CACHE/download.log" 2>&1; then
      tail -n 20 "$ES_CACHE/download.log" >&2
      die "elasticsearch: Maven could not fetch org.elasticsearch.distribution.integ-test-zip:elasticsearch:$ES_VERSION:zip; see $ES_CACHE/download.log"
    fi
    mv "$tmp/elasticsearch-$ES_VERSION.zip" "$ES_ZIP.part"
    rmdir "$tmp"
  fi
  unzip -tqq "$ES_ZIP.part" >/dev/null || die "elasticsearch: $ES_ZIP.part is not a valid zip"
  mv "$ES_ZIP.part" "$ES_ZIP"
  log "elasticsearch: distribution cached in $ES_ZIP ($(elapsed "$started")s)"
}

es_install() {
  [[ -x $ES_HOME/bin/elasticsearch ]] && return 0
  es_download
  log "elasticsearch: unpacking into $ES_HOME"
  local tmp
  tmp=$(mktemp -d "$ES_CACHE/unpack.XXXXXX")
  unzip -qq "$ES_ZIP" -d "$tmp"
  rm -rf "$ES_HOME"
  mv "$tmp/elasticsearch-$ES_VERSION" "$ES_HOME"
  rmdir "$tmp"
}

# vista-es must be able to reach the install: give others search (x) permission on any parent that lacks it.
es_ensure_traversable() {
  runuser -u "$ES_USER" -- test -x "$ES_HOME/bin/elasticsearch" && return 0
  local dir=$ES_CACHE
  while [[ $dir != / ]]; do
    if [[ $(stat -c %A "$dir") != ?????????[xt] ]]; then
      log "elasticsearch: chmod o+x $dir (so $ES_USER can reach $ES_CACHE)"
      chmod o+x "$dir"
    fi
    dir=$(dirname "$dir")
  done
  runuser -u "$ES_USER" -- test -x "$ES_HOME/bin/elasticsearch" ||
    die "elasticsearch: user $ES_USER cannot reach $ES_HOME; move the repository or fix permissions"
}

es_start() {
  local java_home started pid settings
  if [[ $(id -u) -ne 0 ]]; then die "elasticsearch: run this script as root (it starts ES as $ES_USER)"; fi
  ensure_tool unzip
  es_install
  es_ensure_user
  mkdir -p "$ES_DATA" "$ES_LOGS" "$ES_RUN/tmp"
  # ES writes its keystore under config/, its data, logs and pidfile under run/.
  chown -R "$ES_USER:$ES_USER" "$ES_HOME" "$ES_RUN"
  es_ensure_traversable
  java_home=$(es_java_home)
  rm -f "$ES_PIDFILE"

  settings=(
    -E "cluster.name=$ES_CLUSTER"
    -E node.name=vista-local-1
    -E discovery.type=single-node
    -E network.host=127.0.0.1
    -E "http.port=$ES_PORT"
    -E xpack.security.enabled=false
    -E cluster.routing.allocation.disk.threshold_enabled=false
    -E "path.data=$ES_DATA"
    -E "path.logs=$ES_LOGS"
  )
  # With vm.max_map_count below ES's 262144, many indices can run out of memory maps: use NIO instead.
  local max_map_count
  max_map_count=$(cat /proc/sys/vm/max_map_count 2>/dev/null || echo 262144)
  if ((max_map_count < 262144)); then
    settings+=(-E node.store.allow_mmap=false)
  fi

  log "elasticsearch: starting $ES_VERSION as $ES_USER (heap $ES_HEAP, JDK $java_home, log $ES_LOG)"
  started=$(now)
  # -d returns once the node has started (or failed to). env -i keeps root's JAVA_* variables out.
  if ! (
    cd "$ES_HOME"
    timeout "$ES_TIMEOUT" runuser -u "$ES_USER" -- env -i \
      PATH=/usr/local/bin:/usr/bin:/bin LANG=C.UTF-8 HOME="$ES_RUN" \
      ES_JAVA_HOME="$java_home" ES_JAVA_OPTS="-Xms$ES_HEAP -Xmx$ES_HEAP" ES_TMPDIR="$ES_RUN/tmp" \
      ./bin/elasticsearch -d -p "$ES_PIDFILE" "${settings[@]}"
  ) >"$ES_STARTUP_LOG" 2>&1 </dev/null; then
    tail -n 20 "$ES_STARTUP_LOG" >&2 || true
    die "elasticsearch: failed to start; see $ES_STARTUP_LOG and $ES_LOG"
  fi
  wait_until "$ES_TIMEOUT" es_healthy ||
    die "elasticsearch: not healthy on $ES_URL after ${ES_TIMEOUT}s; see $ES_LOG"
  pid=$(es_pid) || pid='?'
  log "elasticsearch: started in $(elapsed "$started")s (pid $pid)"
}

es_up() {
  local version pid
  if version=$(es_version); then
    log "elasticsearch: already answering on $ES_URL ($version)"
    if [[ $version != "$ES_VERSION" ]]; then
      warn "elasticsearch: running version $version is not ES_VERSION=$ES_VERSION"
    fi
  elif pid=$(es_pid); then
    log "elasticsearch: pid $pid is starting, waiting for it"
  else
    es_start
  fi
  wait_until "$ES_TIMEOUT" es_healthy ||
    die "elasticsearch: not healthy on $ES_URL after ${ES_TIMEOUT}s; see $ES_LOG"
}

es_stop() {
  local pid
  if ! pid=$(es_pid); then
    rm -f "$ES_PIDFILE"
    if es_version >/dev/null; then
      die "elasticsearch: something answers on $ES_URL but it was not started by this script (no live $ES_PIDFILE)"
    fi
    log "elasticsearch: not running"
    return 0
  fi
  log "elasticsearch: stopping pid $pid"
  kill -TERM "$pid"
  if ! wait_until 60 pid_gone "$pid"; then
    warn "elasticsearch: pid $pid still alive after 60s, sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    wait_until 10 pid_gone "$pid" || die "elasticsearch: pid $pid would not die"
  fi
  rm -f "$ES_PIDFILE"
  log "elasticsearch: stopped"
}

with_es_lock() { # serialises concurrent runs that may start or stop Elasticsearch
  mkdir -p "$ES_CACHE"
  exec 9>"$ES_CACHE/.lock"
  flock -w 600 9 || die "another services.sh run holds $ES_CACHE/.lock"
  "$@"
}

# ---------------------------------------------------------------------------------------------- commands

print_endpoints() {
  printf '%-14s %s\n' postgres "postgres://postgres@$PG_HOST:$PG_PORT" \
    nats "nats://127.0.0.1:$NATS_PORT" \
    elasticsearch "$ES_URL (${1:-$ES_VERSION})"
}

cmd_up() {
  if [[ $(mode) == docker ]]; then
    docker_up
    return
  fi
  ensure_tool curl
  ensure_tool unzip
  postgres_up
  nats_up
  with_es_lock es_up
  print_endpoints "$(es_version || echo "$ES_VERSION")"
}

cmd_down() {
  if [[ $(mode) == docker ]]; then
    log "docker compose down"
    compose down
  fi
  if es_pid >/dev/null; then
    with_es_lock es_stop
  else
    log "elasticsearch: not started by this script, leaving it alone"
  fi
  log "postgres and nats are the machine's own services: left running"
}

cmd_status() {
  local down=0 version
  if pg_ready; then
    printf '%-14s up    postgres://postgres@%s:%s\n' postgres "$PG_HOST" "$PG_PORT"
  else
    printf '%-14s down\n' postgres
    down=1
  fi
  if nats_port_open; then
    local js="JetStream off"
    if nats_jetstream_enabled; then js="JetStream on"; fi
    printf '%-14s up    nats://127.0.0.1:%s (%s)\n' nats "$NATS_PORT" "$js"
  else
    printf '%-14s down\n' nats
    down=1
  fi
  if version=$(es_version); then
    printf '%-14s up    %s (%s)\n' elasticsearch "$ES_URL" "$version"
  else
    printf '%-14s down\n' elasticsearch
    down=1
  fi
  return $((down * 3))
}

service_arg() {
  case "${1:-}" in
    elasticsearch | es) echo elasticsearch ;;
    nats) echo nats ;;
    postgres | postgresql | pg) echo postgres ;;
    *) die "expected one of: elasticsearch, nats, postgres (got '${1:-}')" ;;
  esac
}

cmd_start() {
  local service
  service=$(service_arg "${1:-}")
  if [[ $(mode) == docker ]]; then
    compose up -d --wait "$service"
    return
  fi
  case "$service" in
    elasticsearch) with_es_lock es_up ;;
    nats) nats_up ;;
    postgres) postgres_up ;;
  esac
}

cmd_stop() {
  local service
  service=$(service_arg "${1:-}")
  if [[ $(mode) == docker ]]; then
    compose stop "$service"
    return
  fi
  case "$service" in
    elasticsearch) with_es_lock es_stop ;;
    nats) nats_stop ;;
    postgres) postgres_stop ;;
  esac
}

usage() {
  sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'
}

main() {
  local command=${1:-up}
  shift || true
  case "$command" in
    up) cmd_up ;;
    down) cmd_down ;;
    status) cmd_status ;;
    start) cmd_start "$@" ;;
    stop) cmd_stop "$@" ;;
    -h | --help | help) usage ;;
    *)
      usage >&2
      exit 2
      ;;
  esac
}

main "$@"
