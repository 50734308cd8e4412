# Shared helpers for the bench/ scripts (sourced, not run).
# Starts servers on 127.0.0.1 only, on free random high ports, in a mktemp dir, and stops exactly
# the processes it started (by pid) when the calling script exits.
# shellcheck shell=bash

BENCH_NAME="${BENCH_NAME:-bench}"
STARTED_PIDS=()     # every process we started, in start order (stopped in reverse)
USED_PORTS=()
BENCH_PID=""        # the redis-benchmark currently running, if any
TMP_ROOT=""
KM_PID=""; KM_REDIS_PID=""; DIRECT_PID=""; TWEM_PID=""

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { printf '%s: %s\n' "$BENCH_NAME" "$*" >&2; exit 2; }

need() {
  local c
  for c in "$@"; do command -v "$c" >/dev/null 2>&1 || die "missing required command: $c"; done
}

alive() { [ -n "${1:-}" ] && kill -0 "$1" 2>/dev/null; }

# Stops a pid we started: SIGTERM, up to $2 seconds of grace, then SIGKILL.
stop_pid() {
  local pid=$1 grace=${2:-15} i
  alive "$pid" || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < grace * 10; i++)); do alive "$pid" || break; sleep 0.1; done
  if alive "$pid"; then
    log "pid $pid did not stop in ${grace}s; killing it"
    kill -KILL "$pid" 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null || true
}

cleanup() {
  local rc=$? i
  trap - EXIT INT TERM
  if [ -n "$BENCH_PID" ]; then kill -TERM "$BENCH_PID" 2>/dev/null || true; wait "$BENCH_PID" 2>/dev/null || true; fi
  for ((i = ${#STARTED_PIDS[@]} - 1; i >= 0; i--)); do stop_pid "${STARTED_PIDS[$i]}" 20; done
  # keymesh stops its redis-server itself on SIGTERM; only if it could not (it was killed) do we.
  [ -n "$KM_REDIS_PID" ] && stop_pid "$KM_REDIS_PID" 10
  if declare -F on_exit_hook >/dev/null; then on_exit_hook || true; fi
  if [ -n "$TMP_ROOT" ] && [ -d "$TMP_ROOT" ] && [ "${KEEP_TMP:-0}" != 1 ]; then rm -rf "$TMP_ROOT"; fi
  exit "$rc"
}

install_traps() {
  trap cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
}

make_tmp() {
  TMP_ROOT=$(mktemp -d "${TMPDIR:-/tmp}/keymesh-bench.XXXXXX") || die "mktemp failed"
}

# need_keymesh_jar: KEYMESH_JAR (default: this tree's proxy/target/keymesh.jar) is a built jar.
need_keymesh_jar() {
  KEYMESH_JAR=${KEYMESH_JAR:-$ROOT/proxy/target/keymesh.jar}
  [ -f "$KEYMESH_JAR" ] || die "no keymesh jar at $KEYMESH_JAR (build: cd $ROOT && mvn -B -q -o package -DskipTests)"
}

# start_bench COMMAND...: the start of a bench of keymesh nodes: the commands it needs, the keymesh
# jar (need_keymesh_jar), the traps that stop what it starts when it exits, and its temp dir TMP_ROOT.
start_bench() {
  need "$@"
  need_keymesh_jar
  install_traps
  make_tmp
}

port_free() {
  local p=$1 u
  for u in "${USED_PORTS[@]:-}"; do [ "$u" = "$p" ] && return 1; done
  # any socket in any state on that local port (listening, connected, TIME_WAIT) counts as taken
  [ -z "$(ss -Htan "( sport = :$p )" 2>/dev/null)" ] || return 1
  ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null
}

# pick_port VAR: random port in 20000-31999 (below the ephemeral range) that nothing uses.
pick_port() {
  local __var=$1 p i
  for ((i = 0; i < 200; i++)); do
    p=$((20000 + (RANDOM * 32768 + RANDOM) % 12000))
    if port_free "$p"; then USED_PORTS+=("$p"); printf -v "$__var" '%s' "$p"; return 0; fi
  done
  die "no free port found"
}

wait_ping() {
  local port=$1 pid=$2 what=$3 i
  for ((i = 0; i < 300; i++)); do
    alive "$pid" || return 1
    [ "$(redis-cli -h 127.0.0.1 -p "$port" ping 2>/dev/null)" = PONG ] && return 0
    sleep 0.1
  done
  log "$what did not answer PING on port $port"
  return 1
}

# start_direct PORT: a plain redis-server, TCP on loopback, no persistence.
start_direct() {
  local port=$1 dir="$TMP_ROOT/direct"
  mkdir -p "$dir"
  redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --daemonize no \
    --dir "$dir" --logfile "$dir/redis.log" >"$dir/stdout.log" 2>&1 &
  DIRECT_PID=$!
  STARTED_PIDS+=("$DIRECT_PID")
  wait_ping "$port" "$DIRECT_PID" "direct redis-server" || { cat "$dir/redis.log" >&2 || true; die "direct redis-server failed to start"; }
}

# start_keymesh PORT: a keymesh node (jar copied to the temp dir so a concurrent rebuild can't swap
# it mid-run), appendonly off and no RDB save points, so persistence is not part of the comparison.
start_keymesh() {
  local port=$1 dir="$TMP_ROOT/keymesh"
  mkdir -p "$dir"
  need_keymesh_jar
  cp "$KEYMESH_JAR" "$dir/keymesh.jar"
  # the JVM options bin/keymesh uses (bin/jvm-options), plus KEYMESH_JAVA_OPTS
  # shellcheck disable=SC2086
  java $(keymesh_jvm_options) ${KEYMESH_JAVA_OPTS:-} \
    -Dkeymesh.port="$port" -Dkeymesh.bind=127.0.0.1 -Dkeymesh.data-dir="$dir/data" \
    -Dkeymesh.storage.redis.appendonly=false \
    -jar "$dir/keymesh.jar" start >"$dir/keymesh.log" 2>&1 &
  KM_PID=$!
  STARTED_PIDS+=("$KM_PID")
  wait_keymesh_ready "$KM_PID" "$dir/keymesh.log" keymesh
  KM_REDIS_PID=$(ps -o pid=,comm= --ppid "$KM_PID" 2>/dev/null | awk '$2 ~ /redis-server/ {print $1; exit}')
  # With appendonly off keymesh leaves Redis' default RDB save points on; a BGSAVE fork in the
  # middle of a run would be noise, and the direct redis-server has --save '' too. keymesh refuses
  # CONFIG SET save (a crash would lose the replication log), so it goes to its redis-server's socket.
  [ "$(redis-cli -s "$dir/data/redis/redis.sock" config set save '' 2>&1)" = OK ] ||
    log "warning: CONFIG SET save '' on keymesh's redis-server failed; it may take RDB snapshots"
}

# start_twemproxy PORT BACKEND_PORT: nutcracker with one pool in front of the direct redis-server.
start_twemproxy() {
  local port=$1 backend=$2 dir="$TMP_ROOT/twemproxy" stats
  mkdir -p "$dir"
  pick_port stats
  cat >"$dir/nutcracker.yml" <<EOF
bench:
  listen: 127.0.0.1:$port
  redis: true
  hash: fnv1a_64
  distribution: ketama
  preconnect: true
  server_connections: ${TWEM_SERVER_CONNECTIONS:-1}
  auto_eject_hosts: false
  backlog: 1024
  servers:
   - 127.0.0.1:$backend:1
EOF
  nutcracker -t -c "$dir/nutcracker.yml" >"$dir/test-conf.log" 2>&1 || { cat "$dir/test-conf.log" >&2; die "nutcracker rejected its config"; }
  nutcracker -c "$dir/nutcracker.yml" -a 127.0.0.1 -s "$stats" -p "$dir/nutcracker.pid" \
    -o "$dir/nutcracker.log" -v "${TWEM_VERBOSITY:-4}" -m "${TWEM_MBUF:-16384}" &
  TWEM_PID=$!
  STARTED_PIDS+=("$TWEM_PID")
  wait_ping "$port" "$TWEM_PID" twemproxy || { cat "$dir/nutcracker.log" >&2 || true; die "twemproxy failed to start"; }
}

# cpu_ticks PID...: user+system CPU ticks of these processes so far (0 for gone/empty pids).
cpu_ticks() {
  local p t=0 v
  for p in "$@"; do
    [ -n "$p" ] && [ -r "/proc/$p/stat" ] || continue
    v=$(awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$p/stat" 2>/dev/null) || v=0
    t=$((t + ${v:-0}))
  done
  echo "$t"
}

# The JVM options of bin/jvm-options (what bin/keymesh runs a node with), on one line.
# wait_keymesh_ready PID LOG NAME: until LOG says the node is ready (max 120 s); dies, showing the
# log's tail, if the process exits first or never gets there.
wait_keymesh_ready() {
  local pid=$1 logf=$2 name=$3 i
  for ((i = 0; i < 1200; i++)); do
    grep -q "keymesh ready on" "$logf" 2>/dev/null && return 0
    alive "$pid" || { tail -n 30 "$logf" >&2; die "$name exited during start"; }
    sleep 0.1
  done
  tail -n 30 "$logf" >&2
  die "$name not ready after 120 s"
}

keymesh_jvm_options() {
  grep -v '^\s*\(#\|$\)' "$ROOT/bin/jvm-options" | tr '\n' ' '
}
