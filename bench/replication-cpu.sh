#!/usr/bin/env bash
# replication-cpu.sh: where the CPU of a replicated SET goes, process by process.
#
# Starts two peered keymesh primaries A and B on 127.0.0.1 (persistence off), warms them up, then
# for ROUNDS rounds runs `redis-benchmark -c 50 -t set -d 100 -r 100000 -n N` against A, waits
# until B has everything, and prints the throughput and the CPU time (user + sys, /proc) each
# process spent per SET: A's JVM, A's redis-server, B's JVM, B's redis-server. Then the
# backends' INFO commandstats (km_w on A, km_r and what it calls on B), so that per-call costs
# of the apply library can be compared between versions. Exit 0 whatever the numbers.
#
# Usage: bench/replication-cpu.sh   (~1 min on 2 cores)
# Environment: ROUNDS [2]  N [200000]  KEYMESH_JAR [proxy/target/keymesh.jar]  KEEP_TMP [0]
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
BENCH_NAME=replication-cpu
# shellcheck source=lib/common.sh
. "$HERE/lib/common.sh"
# shellcheck source=lib/mesh.sh
. "$HERE/lib/mesh.sh"

ROUNDS=${ROUNDS:-2}; N=${N:-200000}
KEYMESH_JAR=${KEYMESH_JAR:-$ROOT/proxy/target/keymesh.jar}
need redis-server redis-benchmark redis-cli java pgrep awk
[ -f "$KEYMESH_JAR" ] || die "no keymesh jar at $KEYMESH_JAR (build: mvn -B -q -o package -DskipTests)"
install_traps
make_tmp

pick_port A_PORT; pick_port B_PORT
start_mesh_node A "$A_PORT" -Dkeymesh.peers.0="127.0.0.1:$B_PORT" -Dkeymesh.cluster-secret=bench-secret
start_mesh_node B "$B_PORT" -Dkeymesh.peers.0="127.0.0.1:$A_PORT" -Dkeymesh.cluster-secret=bench-secret
PA=${NODE_PID[A]}; PB=${NODE_PID[B]}
RA=$(pgrep -P "$PA" redis-server | head -n 1) || die "A's redis-server not found"
RB=$(pgrep -P "$PB" redis-server | head -n 1) || die "B's redis-server not found"

# cpu_ticks PID: user + sys clock ticks the process has used so far.
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)  git: $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null)  cpu: $(nproc)"
log "warm-up"
redis-benchmark -h 127.0.0.1 -p "$A_PORT" -c 50 -n 50000 -r 100000 -t set -d 100 -q >/dev/null 2>&1
tck=$(getconf CLK_TCK)
for ((r = 1; r <= ROUNDS; r++)); do
  wait_quiet "$PA" "$A_PORT" "$PB" "$B_PORT"
  declare -A t0=()
  for p in "$PA" "$RA" "$PB" "$RB"; do t0[$p]=$(cpu_ticks "$p"); done
  rps=$(redis-benchmark -h 127.0.0.1 -p "$A_PORT" -c 50 -n "$N" -r 100000 -t set -d 100 --csv 2>/dev/null |
    awk -F'","' '/^"SET"/ { print $2 + 0 }')
  wait_quiet "$PA" "$A_PORT" "$PB" "$B_PORT"
  line="round $r: $rps SET/s on A; CPU us per SET:"
  for n in "A-jvm:$PA" "A-redis:$RA" "B-jvm:$PB" "B-redis:$RB"; do
    p=${n#*:}
    line="$line ${n%%:*} $(awk -v d="$(($(cpu_ticks "$p") - ${t0[$p]}))" -v t="$tck" -v n="$N" 'BEGIN { printf "%.1f", d * 1e6 / t / n }')"
  done
  echo "$line"
done
for n in A B; do
  echo "$n backend commandstats (calls, usec per call):"
  redis-cli -s "$(backend_socket $n)" info commandstats | tr -d '\r' |
    awk -F'[:,=]' '/^cmdstat/ && $3 + 0 > 1000 { printf "  %-16s %10d %8s\n", substr($1, 9), $3, $7 }'
done
