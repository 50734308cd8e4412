#!/usr/bin/env bash
# link-bench.sh: does a link keep up with its origin? Two keymesh primaries A and B, peered, on
# 127.0.0.1 (random ports, a mktemp dir, persistence off). For each scenario, redis-benchmark
# writes to A, then a marker key is SET on A; B has caught up when it reads the marker (the log is
# applied in order). Printed per scenario:
#   writes/s accepted by A, seconds from the last write to B caught up, snapshot and partial
#   resyncs (reconnects) during the run (INFO replication of B), the bytes B's link received from A
#   (mesh_bytes_received: batches, snapshots and heartbeats, over every connection of the run) as
#   a ratio of the value bytes written, and each backend's used_memory afterwards.
# Scenarios (the targets of issue 19):
#   idle-1k   N_1K SETs of 1 KiB values (-c 50), B otherwise idle
#   storm-8k  N_8K SETs of 8 KiB values (-c 50 -P 16: as fast as a client can)
# Exit 0 whatever the numbers; non-zero when setup fails.
#
# Usage: bench/link-bench.sh           (~2-4 min on 2 cores)
# Environment: N_1K [200000]  N_8K [200000]  KEYSPACE [100000]  KEYMESH_JAR [proxy/target/keymesh.jar]
#   SCENARIOS ["idle-1k storm-8k"]  NODES [2] (3: a third primary C peered with both, idle;
#   its memory shows what a node that is no origin keeps)  KEEP_TMP [0]
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
BENCH_NAME=link-bench
# shellcheck source=lib/common.sh
. "$HERE/lib/common.sh"
# shellcheck source=lib/mesh.sh
. "$HERE/lib/mesh.sh"

N_1K=${N_1K:-200000}; N_8K=${N_8K:-200000}; KEYSPACE=${KEYSPACE:-100000}
SCENARIOS=${SCENARIOS:-idle-1k storm-8k}; NODES=${NODES:-2}
SECRET=bench-secret

start_bench redis-server redis-benchmark redis-cli java awk

now() { date +%s.%N; }

# resyncs PORT: "snapshot partial" resync totals of the node's INFO replication.
resyncs() {
  redis-cli -h 127.0.0.1 -p "$1" info replication | tr -d '\r' | awk -F: '
    $1 == "mesh_snapshot_resyncs" { s = $2 } $1 == "mesh_partial_resyncs" { p = $2 }
    END { print s + 0, p + 0 }'
}

# received PORT: bytes the node's pulling links received (mesh_bytes_received).
received() {
  redis-cli -h 127.0.0.1 -p "$1" info replication | tr -d '\r' | awk -F: '$1 == "mesh_bytes_received" { print $2 + 0 }'
}

# used_memory_mb NAME: the node's backend used_memory in MB.
used_memory_mb() {
  redis-cli -s "$(backend_socket "$1")" info memory | tr -d '\r' |
    awk -F: '$1 == "used_memory" { printf "%.0f", $2 / 1048576 }'
}

run_scenario() {   # run_scenario NAME COUNT VALUE_BYTES [redis-benchmark options]
  local name=$1 n=$2 size=$3
  shift 3
  local marker="bench:marker:$name:$RANDOM" before_resync after_resync wire0 wire1 t0 t1 t2 i
  before_resync=$(resyncs "$B_PORT")
  wire0=$(received "$B_PORT")
  log "$name: $n SETs of $size bytes to A"
  t0=$(now)
  redis-benchmark -h 127.0.0.1 -p "$A_PORT" -t set -d "$size" -r "$KEYSPACE" -n "$n" -c 50 "$@" -q >/dev/null
  t1=$(now)
  redis-cli -h 127.0.0.1 -p "$A_PORT" set "$marker" 1 >/dev/null
  for ((i = 0; i < 6000; i++)); do
    [ "$(redis-cli -h 127.0.0.1 -p "$B_PORT" get "$marker")" = 1 ] && break
    sleep 0.1
  done
  t2=$(now)
  [ "$(redis-cli -h 127.0.0.1 -p "$B_PORT" get "$marker")" = 1 ] || log "warning: $name: B did not catch up within 600 s"
  wire1=$(received "$B_PORT")
  after_resync=$(resyncs "$B_PORT")
  awk -v name="$name" -v n="$n" -v size="$size" -v t0="$t0" -v t1="$t1" -v t2="$t2" -v w0="$wire0" -v w1="$wire1" \
      -v rb="$before_resync" -v ra="$after_resync" 'BEGIN {
    split(rb, b, " "); split(ra, a, " ")
    printf "%s: %d SETs of %d B: A accepted %.0f/s (%.1f s); B caught up %.1f s after the last write; " \
      "snapshot resyncs %d, partial resyncs %d; link bytes %.2f x the values written\n",
      name, n, size, n / (t1 - t0), t1 - t0, t2 - t1, a[1] - b[1], a[2] - b[2], (w1 - w0) / (n * size) }'
  local memory="A $(used_memory_mb A) MB, B $(used_memory_mb B) MB"
  [ "$NODES" = 3 ] && memory="$memory, C $(used_memory_mb C) MB"
  echo "$name: backend used_memory right after: $memory"
  sleep 3   # a few housekeeping rounds (1 s each) trim what the peers acknowledged
  memory="A $(used_memory_mb A) MB, B $(used_memory_mb B) MB"
  [ "$NODES" = 3 ] && memory="$memory, C $(used_memory_mb C) MB"
  echo "$name: backend used_memory 3 s later: $memory"
}

pick_port A_PORT; pick_port B_PORT
if [ "$NODES" = 3 ]; then
  pick_port C_PORT
  start_mesh_node A "$A_PORT" -Dkeymesh.peers.0="127.0.0.1:$B_PORT" -Dkeymesh.peers.1="127.0.0.1:$C_PORT" -Dkeymesh.cluster-secret="$SECRET"
  start_mesh_node B "$B_PORT" -Dkeymesh.peers.0="127.0.0.1:$A_PORT" -Dkeymesh.peers.1="127.0.0.1:$C_PORT" -Dkeymesh.cluster-secret="$SECRET"
  start_mesh_node C "$C_PORT" -Dkeymesh.peers.0="127.0.0.1:$A_PORT" -Dkeymesh.peers.1="127.0.0.1:$B_PORT" -Dkeymesh.cluster-secret="$SECRET"
else
  start_mesh_node A "$A_PORT" -Dkeymesh.peers.0="127.0.0.1:$B_PORT" -Dkeymesh.cluster-secret="$SECRET"
  start_mesh_node B "$B_PORT" -Dkeymesh.peers.0="127.0.0.1:$A_PORT" -Dkeymesh.cluster-secret="$SECRET"
fi
redis-cli -p "$A_PORT" set bench:hello 1 >/dev/null
for ((i = 0; i < 100; i++)); do [ "$(redis-cli -p "$B_PORT" get bench:hello)" = 1 ] && break; sleep 0.2; done
[ "$(redis-cli -p "$B_PORT" get bench:hello)" = 1 ] || die "a SET on A did not reach B within 20 s"

# links_up PORT: true when the node pulls from and serves every peer it is configured with.
links_up() {
  redis-cli -h 127.0.0.1 -p "$1" info replication | tr -d '\r' | awk -F: '
    $1 == "mesh_peers_configured" { c = $2 } $1 == "mesh_peers_connected" { p = $2 } $1 == "mesh_peers_served" { s = $2 }
    END { exit !(c > 0 && p == c && s == c) }'
}
# every link up before the first scenario: a link still connecting would count as a resync in it
PORTS="$A_PORT $B_PORT"; [ "$NODES" = 3 ] && PORTS="$PORTS $C_PORT"
for ((i = 0; i < 150; i++)); do
  up=1; for p in $PORTS; do links_up "$p" || up=0; done
  [ "$up" = 1 ] && break
  sleep 0.2
done
[ "$up" = 1 ] || die "the links between the nodes were not all up within 30 s"

echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)  git: $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null)  cpu: $(nproc) x $(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)"
for s in $SCENARIOS; do
  case $s in
    idle-1k) run_scenario idle-1k "$N_1K" 1024 ;;
    storm-8k) run_scenario storm-8k "$N_8K" 8192 -P 16 ;;
    *) die "unknown scenario $s" ;;
  esac
done
