#!/usr/bin/env bash
# replication-cpu.sh: where the CPU of a replicated SET goes, process by process.
#
# Starts two peered keymesh primaries A and B on 127.0.0.1 (persistence off), warms them up, then
# per test of TESTS (set, incr, hset) for ROUNDS rounds runs `redis-benchmark -c 50 -t <test> -d 100
# -r 100000 -n N` against A, waits
# until B has everything, and prints the throughput and the CPU time (user + sys, /proc) each
# process spent per SET: A's JVM, A's redis-server, B's JVM, B's redis-server. Then the
# backends' INFO commandstats (km_w on A, km_r and what it calls on B), so that per-call costs
# of the apply library can be compared between versions. Each round also gives the CPU the
# redis-benchmark client itself spent per SET, and is followed by the same load against a plain
# redis-server ("direct"): its throughput and CPU per SET (server and client), the budget the
# ratio of issue 3 is measured against. Exit 0 whatever the numbers.
#
# With REFERENCE=1 each round also measures what forwarding alone costs here: a keymesh node
# without peers (its JVM and redis-server) and twemproxy in front of the direct redis-server.
#
# Usage: bench/replication-cpu.sh   (~1-2 min on 2 cores)
# Environment: ROUNDS [2]  N [200000]  TESTS ["set incr hset": the redis-benchmark tests, each
#   measured ROUNDS times]  KEYMESH_JAR [proxy/target/keymesh.jar]  KEEP_TMP [0]  REFERENCE [0]
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
BENCH_NAME=replication-cpu
# shellcheck source=lib/common.sh
. "$HERE/lib/common.sh"
# shellcheck source=lib/mesh.sh
. "$HERE/lib/mesh.sh"

ROUNDS=${ROUNDS:-2}; N=${N:-200000}; TESTS=${TESTS:-set incr hset}
start_bench redis-server redis-benchmark redis-cli java pgrep awk

pick_port A_PORT; pick_port B_PORT
start_peered_pair bench-secret
RA=$(pgrep -P "$PA" redis-server | head -n 1) || die "A's redis-server not found"
RB=$(pgrep -P "$PB" redis-server | head -n 1) || die "B's redis-server not found"
pick_port D_PORT
start_direct "$D_PORT"
PD=$DIRECT_PID
# REFERENCE=1: two more targets each round, for what forwarding alone costs on this machine: a keymesh
# node without peers ("solo": its JVM + its redis-server) and twemproxy (nutcracker + the direct
# redis-server it fronts)
if [ "${REFERENCE:-0}" = 1 ]; then
  need nutcracker
  pick_port S_PORT
  start_mesh_node solo "$S_PORT"
  PS=${NODE_PID[solo]}
  RS=$(pgrep -P "$PS" redis-server | head -n 1) || die "solo's redis-server not found"
  pick_port T_PORT
  start_twemproxy "$T_PORT" "$D_PORT"
  PT=$TWEM_PID
fi

# set_load PORT TEST: N requests of TEST as the rounds send them; prints "<req/s> <client CPU
# seconds>" (the subshell's `times`, written to a file since a builtin in a pipeline runs in a child
# of its own, gives the user and system time of its children: the redis-benchmark run).
set_load() {
  (
    redis-benchmark -h 127.0.0.1 -p "$1" -c 50 -n "$N" -r 100000 -t "$2" -d 100 --csv 2>/dev/null |
      awk -F'","' -v name="\"${2^^}" '$1 == name { printf "%s ", $2 + 0 }'
    times >"$TMP_ROOT/times"
  )
  awk 'NR == 2 { u = $1; s = $2; sub(/s$/, "", u); sub(/s$/, "", s); split(u, a, "m"); split(s, b, "m")
    print a[1] * 60 + a[2] + b[1] * 60 + b[2] }' "$TMP_ROOT/times"
}

# us_per_set TICKS: CPU microseconds per request of the round
us_per_set() { awk -v d="$1" -v t="$tck" -v n="$N" 'BEGIN { printf "%.1f", d * 1e6 / t / n }'; }

echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)  git: $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null)  cpu: $(nproc)"
log "warm-up"
warm_pass() {
  local test
  for test in $TESTS; do
    redis-benchmark -h 127.0.0.1 -p "$A_PORT" -c 50 -n 50000 -r 100000 -t "$test" -d 100 -q >/dev/null 2>&1
    [ "${REFERENCE:-0}" = 1 ] && redis-benchmark -h 127.0.0.1 -p "$S_PORT" -c 50 -n 50000 -r 100000 -t "$test" -d 100 -q >/dev/null 2>&1
  done
  wait_quiet "$PA" "$A_PORT" "$PB" "$B_PORT"
}
warm_jit warm_pass "$PA" "$PB" ${PS:-}
tck=$(getconf CLK_TCK)
for test in $TESTS; do
  T=${test^^}
  for ((r = 1; r <= ROUNDS; r++)); do
    wait_quiet "$PA" "$A_PORT" "$PB" "$B_PORT"
    declare -A t0=()
    for p in "$PA" "$RA" "$PB" "$RB"; do t0[$p]=$(cpu_ticks "$p"); done
    read -r rps client < <(set_load "$A_PORT" "$test")
    rps_a=$rps
    wait_quiet "$PA" "$A_PORT" "$PB" "$B_PORT"
    line="$T round $r: $rps $T/s on A; CPU us per $T:"
    for n in "A-jvm:$PA" "A-redis:$RA" "B-jvm:$PB" "B-redis:$RB"; do
      p=${n#*:}
      line="$line ${n%%:*} $(us_per_set "$(($(cpu_ticks "$p") - ${t0[$p]}))")"
    done
    echo "$line client $(awk -v c="$client" -v n="$N" 'BEGIN { printf "%.1f", c * 1e6 / n }')"
    d0=$(cpu_ticks "$PD")
    read -r rps client < <(set_load "$D_PORT" "$test")
    echo "$T round $r: $rps $T/s on direct; CPU us per $T: redis $(us_per_set "$(($(cpu_ticks "$PD") - d0))")" \
      "client $(awk -v c="$client" -v n="$N" 'BEGIN { printf "%.1f", c * 1e6 / n }');" \
      "A/direct $(awk -v a="$rps_a" -v d="$rps" 'BEGIN { printf "%.2f", a / d }')  (load $(cut -d' ' -f1-3 /proc/loadavg))"
    if [ "${REFERENCE:-0}" = 1 ]; then
      s0=$(cpu_ticks "$PS"); r0=$(cpu_ticks "$RS")
      read -r rps client < <(set_load "$S_PORT" "$test")
      echo "$T round $r: $rps $T/s on solo; CPU us per $T: solo-jvm $(us_per_set "$(($(cpu_ticks "$PS") - s0))")" \
        "solo-redis $(us_per_set "$(($(cpu_ticks "$RS") - r0))")"
      tw0=$(cpu_ticks "$PT"); d0=$(cpu_ticks "$PD")
      read -r rps client < <(set_load "$T_PORT" "$test")
      echo "$T round $r: $rps $T/s on twemproxy; CPU us per $T: nutcracker $(us_per_set "$(($(cpu_ticks "$PT") - tw0))")" \
        "its redis $(us_per_set "$(($(cpu_ticks "$PD") - d0))")"
    fi
  done
done
for n in A B; do
  echo "$n backend commandstats (calls, usec per call):"
  redis-cli -s "$(backend_socket $n)" info commandstats | tr -d '\r' |
    awk -F'[:,=]' '/^cmdstat/ && $3 + 0 > 1000 { printf "  %-16s %10d %8s\n", substr($1, 9), $3, $7 }'
done
