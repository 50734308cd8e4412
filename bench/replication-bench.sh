#!/usr/bin/env bash
# replication-bench.sh: what replication costs, measured against direct Redis and a lone keymesh in one run.
#
# Starts on 127.0.0.1, on free random ports, in a mktemp dir, persistence off everywhere:
#   direct   redis-server --save '' --appendonly no
#   solo     keymesh without peers
#   A, B     two keymesh primaries peered with each other (cluster secret set)
# and prints:
#   1. SET, INCR and HSET throughput (redis-benchmark -c 50 -d 100, TESTS) on A with B attached, as
#      ratios of direct and of solo: ROUNDS rounds per test, targets rotated per round, median and
#      range of the per-round ratios;
#   2. replication lag A -> B, p50 / p99, while LAG_RATE 100-byte SETs per second go to A (one
#      probe run per rate in the list), with the JVM collection pauses of A and B during each run
#      (bench/lib/ReplicationProbe.java: a probe key every 10 ms, polled on B);
#   3. bytes on the links (kernel TCP counters of the B->A and A->B connections) per replicated
#      100-byte SET, as a ratio of the client's request bytes;
#   4. backend used_memory after 1M 100-byte strings written through A (peer attached, caught up),
#      as a ratio of the same written to direct.
# Exit 0 whatever the numbers; non-zero when setup fails.
#
# Usage: bench/replication-bench.sh          (~4-6 min on 2 cores)
#        QUICK=1 bench/replication-bench.sh  (smaller counts, ~1-2 min)
# Environment: ROUNDS [3]  N_SET [200000]  CLIENTS [50]  TESTS ["set incr hset": redis-benchmark
#   tests of part 1]  THROUGHPUT_ONLY [unset: 1 stops after part 1]  LAG_RATE ["5000 10000 20000"]  LAG_SECONDS [15]
#   WIRE_SETS [100000]  MEM_KEYS [1000000]  KEYMESH_JAR [proxy/target/keymesh.jar]  KEEP_TMP [0]
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
BENCH_NAME=replication-bench
# shellcheck source=lib/common.sh
. "$HERE/lib/common.sh"
# shellcheck source=lib/mesh.sh
. "$HERE/lib/mesh.sh"

if [ "${QUICK:-0}" = 1 ]; then
  ROUNDS=${ROUNDS:-1}; N_SET=${N_SET:-50000}; LAG_SECONDS=${LAG_SECONDS:-8}; WIRE_SETS=${WIRE_SETS:-20000}; MEM_KEYS=${MEM_KEYS:-200000}
fi
ROUNDS=${ROUNDS:-3}; N_SET=${N_SET:-200000}; CLIENTS=${CLIENTS:-50}; TESTS=${TESTS:-set incr hset}
LAG_RATE=${LAG_RATE:-5000 10000 20000}; LAG_SECONDS=${LAG_SECONDS:-15}
WIRE_SETS=${WIRE_SETS:-100000}; MEM_KEYS=${MEM_KEYS:-1000000}
PROBE="$HERE/lib/ReplicationProbe.java"
# the lag probe's JVM never collects (it allocates ~300 MB in a run): its own 20-40 ms young
# collections were pauses of the instrument, counted as lag
PROBE_JVM="-XX:+UnlockExperimentalVMOptions -XX:+UseEpsilonGC -Xms2g -Xmx2g"
SECRET=bench-secret

start_bench redis-server redis-benchmark redis-cli java ss awk

pick_port DIRECT_PORT; pick_port SOLO_PORT; pick_port A_PORT; pick_port B_PORT
log "direct :$DIRECT_PORT  solo :$SOLO_PORT  A :$A_PORT  B :$B_PORT"
start_direct "$DIRECT_PORT"
start_mesh_node solo "$SOLO_PORT"
start_peered_pair "$SECRET"
declare -A PORT=([direct]=$DIRECT_PORT [solo]=$SOLO_PORT [A]=$A_PORT)

redis-cli -p "$A_PORT" set bench:hello 1 >/dev/null
for ((i = 0; i < 100; i++)); do [ "$(redis-cli -p "$B_PORT" get bench:hello)" = 1 ] && break; sleep 0.2; done
REPLICATING=1
if [ "$(redis-cli -p "$B_PORT" get bench:hello)" != 1 ]; then
  REPLICATING=0
  log "warning: a SET on A did not reach B within 20 s: replication is not working; lag and wire bytes are skipped"
fi

echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)  git: $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null)  cpu: $(nproc) x $(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)"
echo "redis $(redis-server --version | awk '{print $3}' | sed 's/^v=//'), $(java -version 2>&1 | head -n 1)"

# ---- 1. throughput --------------------------------------------------------------------------------
rps() {   # rps PORT [TEST]: requests per second of one redis-benchmark run of TEST (set)
  local t=${2:-set}
  redis-benchmark -h 127.0.0.1 -p "$1" -c "$CLIENTS" -t "$t" -d 100 -r 100000 -n "$N_SET" --csv 2>/dev/null |
    awk -F'","' -v name="\"${t^^}" '$1 == name { print $2 + 0 }'
}
log "warm-up"
# every keymesh JVM until its JIT settles (warm_jit); direct gets a run too, so every target starts warm
rps "$DIRECT_PORT" >/dev/null
warm_pass() {
  local test
  for test in $TESTS; do rps "$SOLO_PORT" "$test" >/dev/null; rps "$A_PORT" "$test" >/dev/null; done
  wait_quiet "$PA" "$A_PORT" "$PB" "$B_PORT"
}
warm_jit warm_pass "$PA" "$PB" "${NODE_PID[solo]}"
median() { printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { printf "%s (%s-%s)", v[int((NR + 1) / 2)], v[1], v[NR] }'; }
order=(direct solo A)
for test in $TESTS; do
  ratios_direct=(); ratios_solo=()
  for ((r = 0; r < ROUNDS; r++)); do
    declare -A got=()
    for ((k = 0; k < 3; k++)); do
      t=${order[$(((k + r) % 3))]}
      got[$t]=$(rps "${PORT[$t]}" "$test")
      [ "$t" = A ] && wait_quiet "$PA" "$A_PORT" "$PB" "$B_PORT"
    done
    log "${test^^} round $((r + 1)): direct ${got[direct]}  solo ${got[solo]}  A(with peer) ${got[A]} rps  (load $(cut -d' ' -f1-3 /proc/loadavg))"
    ratios_direct+=("$(awk -v a="${got[A]}" -v d="${got[direct]}" 'BEGIN { printf "%.2f", a / d }')")
    ratios_solo+=("$(awk -v a="${got[A]}" -v s="${got[solo]}" 'BEGIN { printf "%.2f", a / s }')")
  done
  echo "${test^^} -c $CLIENTS -d 100, with one peer attached: A/direct $(median "${ratios_direct[@]}")  A/solo $(median "${ratios_solo[@]}")"
done
[ -n "${THROUGHPUT_ONLY:-}" ] && exit 0

if [ "$REPLICATING" = 0 ]; then
  echo "replication lag A->B: not measured (a SET on A never reached B)"
  echo "wire bytes per replicated SET: not measured"
fi
# ---- 2. lag -------------------------------------------------------------------------------------
if [ "$REPLICATING" = 1 ]; then
for rate in $LAG_RATE; do
  log "lag probe: $rate SET/s for $LAG_SECONDS s"
  gca=$(gc_mark A); gcb=$(gc_mark B)
  lag=$(java $PROBE_JVM -cp "$KEYMESH_JAR" "$PROBE" lag "$A_PORT" "$B_PORT" "$rate" "$LAG_SECONDS" 2>/dev/null | grep writes_per_s || echo "probe failed")
  echo "replication lag A->B at $rate SET/s: $lag"
  echo "  during that probe: $(gc_pauses_since A "$gca"); $(gc_pauses_since B "$gcb")"
  wait_quiet "$PA" "$A_PORT" "$PB" "$B_PORT"
done

# ---- 3. wire bytes --------------------------------------------------------------------------------
request_bytes=$(( 4 + 4 + 5 + 5 + 18 + 6 + 102 ))   # *3 $3 SET $16 key:NNNNNNNNNNNN $100 <100 bytes>
before=$(link_bytes "$PA" "$A_PORT" "$PB" "$B_PORT")
redis-benchmark -h 127.0.0.1 -p "$A_PORT" -c 10 -P 16 -t set -d 100 -r 1000000000 -n "$WIRE_SETS" -q >/dev/null 2>&1
wait_quiet "$PA" "$A_PORT" "$PB" "$B_PORT"
after=$(link_bytes "$PA" "$A_PORT" "$PB" "$B_PORT")
awk -v b="$before" -v a="$after" -v n="$WIRE_SETS" -v q="$request_bytes" \
  'BEGIN { printf "wire bytes per replicated 100-byte SET: %.1f (client request %d bytes): ratio %.2f\n", (a - b) / n, q, (a - b) / n / q }'
fi

# ---- 4. memory ------------------------------------------------------------------------------------
redis-cli -p "$DIRECT_PORT" flushall >/dev/null
redis-cli -p "$A_PORT" flushall >/dev/null
wait_quiet "$PA" "$A_PORT" "$PB" "$B_PORT"
sock=$(backend_socket A)
direct0=$(info_field used_memory -p "$DIRECT_PORT"); a0=$(info_field used_memory -s "$sock")
log "filling $MEM_KEYS 100-byte strings into direct and into A"
java -cp "$KEYMESH_JAR" "$PROBE" fill "$DIRECT_PORT" "$MEM_KEYS" 100 2>/dev/null | grep filled || true
java -cp "$KEYMESH_JAR" "$PROBE" fill "$A_PORT" "$MEM_KEYS" 100 2>/dev/null | grep filled || true
wait_quiet "$PA" "$A_PORT" "$PB" "$B_PORT"
sleep 5   # housekeeping: log entries every peer acknowledged may be trimmed
direct1=$(info_field used_memory -p "$DIRECT_PORT"); a1=$(info_field used_memory -s "$sock")
awk -v d0="$direct0" -v d1="$direct1" -v a0="$a0" -v a1="$a1" -v n="$MEM_KEYS" 'BEGIN {
  printf "used_memory for %d 100-byte strings: direct %.1f MB, keymesh A backend %.1f MB (data, metadata and log): ratio %.2f (growth ratio %.2f)\n",
    n, d1 / 1048576, a1 / 1048576, a1 / d1, (a1 - a0) / (d1 - d0) }'
redis-cli -s "$sock" info keyspace | tr -d '\r' | grep '^db' | sed 's/^/  A backend /'
