# Helpers for the bench scripts with a mesh (sourced after common.sh): keymesh nodes with peers,
# backend INFO fields, and wire bytes of the links between two keymesh JVMs.
# shellcheck shell=bash

declare -A NODE_PID=() NODE_DIR=()

# start_mesh_node NAME PORT [-Dkey=value ...]: a keymesh node (copied jar, no persistence), waits for ready.
start_mesh_node() {
  local name=$1 port=$2 dir="$TMP_ROOT/$1"
  shift 2
  mkdir -p "$dir"
  cp "$KEYMESH_JAR" "$dir/keymesh.jar"
  # shellcheck disable=SC2086
  java $(keymesh_jvm_options) ${KEYMESH_JAVA_OPTS:-} \
    -Dkeymesh.port="$port" -Dkeymesh.bind=127.0.0.1 -Dkeymesh.data-dir="$dir/data" \
    -Dkeymesh.storage.redis.appendonly=false -Xlog:gc:file="$dir/gc.log":uptimemillis "$@" \
    -jar "$dir/keymesh.jar" start >"$dir/keymesh.log" 2>&1 &
  NODE_PID[$name]=$!
  NODE_DIR[$name]=$dir
  STARTED_PIDS+=("${NODE_PID[$name]}")
  wait_keymesh_ready "${NODE_PID[$name]}" "$dir/keymesh.log" "keymesh $name"
  redis-cli -s "$dir/data/redis/redis.sock" config set save '' >/dev/null 2>&1 || true   # refused through keymesh
}

# start_peered_pair SECRET: nodes A (:$A_PORT) and B (:$B_PORT), each the other's peer, with cluster
# secret SECRET; sets PA and PB to their pids.
start_peered_pair() {
  start_mesh_node A "$A_PORT" -Dkeymesh.peers.0="127.0.0.1:$B_PORT" -Dkeymesh.cluster-secret="$1"
  start_mesh_node B "$B_PORT" -Dkeymesh.peers.0="127.0.0.1:$A_PORT" -Dkeymesh.cluster-secret="$1"
  PA=${NODE_PID[A]}; PB=${NODE_PID[B]}
}

# backend_socket NAME: the unix socket of a node's managed redis-server.
backend_socket() {
  local s="${NODE_DIR[$1]}/data/redis/redis.sock"
  [ -S "$s" ] || s=$(find /tmp -maxdepth 3 -type s -name redis.sock -newer "${NODE_DIR[$1]}/keymesh.jar" 2>/dev/null | sed -n 1p)
  echo "$s"
}

# info_field FIELD redis-cli-args...: one field of INFO.
info_field() {
  local field=$1
  shift
  redis-cli "$@" info 2>/dev/null | tr -d '\r' | awk -F: -v f="$field" '$1 == f && !seen++ { print $2 }'
}

# link_bytes PID_A PORT_A PID_B PORT_B: TCP payload bytes (sent + received, from the kernel's
# counters) over every connection from B's JVM to A's port and from A's JVM to B's port: the links.
link_bytes() {
  local pa=$1 porta=$2 pb=$3 portb=$4
  ss -tinpH state established 2>/dev/null | awk -v pa="$pa" -v pb="$pb" -v porta="$porta" -v portb="$portb" '
    /^[^ \t]/ {
      want = 0
      n = split($0, f, /[ \t]+/)
      peer = f[4]; sub(/.*:/, "", peer)
      if ((index($0, "pid=" pb ",") && peer == porta) || (index($0, "pid=" pa ",") && peer == portb)) want = 1
      next
    }
    want {
      if (match($0, /bytes_sent:[0-9]+/)) total += substr($0, RSTART + 11, RLENGTH - 11)
      if (match($0, /bytes_received:[0-9]+/)) total += substr($0, RSTART + 15, RLENGTH - 15)
      want = 0
    }
    END { print total + 0 }'
}

# wait_quiet PID_A PORT_A PID_B PORT_B: until both nodes report every peer caught up (unacked_ops=0 and
# lag_ops=0 in INFO replication) and hold the same DBSIZE (max 120 s). Link bytes are no signal:
# heartbeats keep them moving.
wait_quiet() {
  [ "${REPLICATING:-1}" = 1 ] || return 0
  local i
  for ((i = 0; i < 1200; i++)); do
    if caught_up "$2" && caught_up "$4" &&
       [ "$(redis-cli -h 127.0.0.1 -p "$2" dbsize)" = "$(redis-cli -h 127.0.0.1 -p "$4" dbsize)" ]; then
      return 0
    fi
    sleep 0.1
  done
  log "warning: the nodes did not quiesce within 120 s"
}

# caught_up PORT: every peerN line of the node's INFO replication shows nothing unacknowledged or lagging.
caught_up() {
  redis-cli -h 127.0.0.1 -p "$1" info replication | tr -d '\r' | awk '
    /^peer[0-9]+:/ { n++; if ($0 ~ /unacked_ops=0(,|$)/ && $0 ~ /lag_ops=0(,|$)/) ok++ }
    END { exit !(n > 0 && ok == n) }'
}

# gc_mark NAME: how many lines the node's GC log has now (pass it to gc_pauses_since).
gc_mark() {
  wc -l <"${NODE_DIR[$1]}/gc.log" 2>/dev/null || echo 0
}

# gc_pauses_since NAME LINE: the node's JVM collection pauses logged after line LINE: count, total, max.
gc_pauses_since() {
  tail -n +"$(($2 + 1))" "${NODE_DIR[$1]}/gc.log" 2>/dev/null | awk -v n="$1" '
    / Pause / { ms = $NF; sub(/ms$/, "", ms); c++; t += ms; if (ms > m) m = ms }
    END { printf "%s: %d GC pauses, total %.1f ms, max %.1f ms\n", n, c, t, m }'
}

# jit_compiles PID...: the JIT compilations the JVMs have done so far, summed (jcmd's sun.ci.totalCompiles).
jit_compiles() {
  local p n=0 c
  for p in "$@"; do
    c=$(jcmd "$p" PerfCounter.print 2>/dev/null | awk -F= '$1 == "sun.ci.totalCompiles" { print $2 }')
    n=$((n + ${c:-0}))
  done
  echo "$n"
}

# warm_jit PASS_COMMAND PID...: runs PASS_COMMAND (one warm-up pass of the load to come) at least three
# times and until the JVMs PID... compile fewer than 100 methods in a pass (at most 8 passes; an idle
# node's timers keep a few dozen compilations a pass coming). A receiving node's JIT went on
# compiling for three or four passes of 100k writes after the origin's had settled, ~2-3 us of its CPU
# per write (C2 threads at 200-360 ms per 100k), so a fixed warm-up measured the compiler, not the node.
warm_jit() {
  local pass=$1 i before after
  shift
  for ((i = 1; i <= 8; i++)); do
    before=$(jit_compiles "$@")
    $pass
    after=$(jit_compiles "$@")
    log "warm-up pass $i: $((after - before)) JIT compilations"
    [ "$i" -ge 3 ] && [ $((after - before)) -lt 100 ] && return 0
  done
  log "warning: the JIT still compiled $((after - before)) methods in the last warm-up pass"
}
