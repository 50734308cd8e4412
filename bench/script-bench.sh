#!/usr/bin/env bash
# script-bench.sh: EVALSHA of a two-key writing script on a keymesh primary with a peer attached,
# against a direct redis-server, measured in the same run as a ratio.
#
# Starts two peered keymesh primaries A and B and a plain redis-server (persistence off
# everywhere), loads the script on A and on the direct server with SCRIPT LOAD, then for ROUNDS
# rounds runs `redis-benchmark -c 50 -P PIPELINE -r 100000 -n N EVALSHA <sha> 2 k1:__rand_int__
# k2:__rand_int__ v` against A and against the direct server (the order alternates per round),
# waiting after each run on A until B has applied everything. The script SETs its first key and
# INCRs its second: a register and a counter, both merged and logged as one unit. Prints EVALSHA/s
# and p50 latency per target and round, the per-round ratio A/direct and its median. Exit 0
# whatever the numbers. Then both backends' INFO commandstats (km_w on A, km_r on B).
#
# Usage: bench/script-bench.sh   (~1-2 min on 2 cores)
# Environment: ROUNDS [3]  N [100000]  PIPELINE [1]  KEYMESH_JAR [proxy/target/keymesh.jar]  KEEP_TMP [0]
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
BENCH_NAME=script-bench
# shellcheck source=lib/common.sh
. "$HERE/lib/common.sh"
# shellcheck source=lib/mesh.sh
. "$HERE/lib/mesh.sh"

ROUNDS=${ROUNDS:-3}; N=${N:-100000}; PIPELINE=${PIPELINE:-1}
SCRIPT="redis.call('SET', KEYS[1], ARGV[1]) return redis.call('INCR', KEYS[2])"
start_bench redis-server redis-benchmark redis-cli java awk sort

pick_port A_PORT; pick_port B_PORT
start_peered_pair bench-secret
pick_port D_PORT
start_direct "$D_PORT"

sha_a=$(redis-cli -h 127.0.0.1 -p "$A_PORT" script load "$SCRIPT")
sha_d=$(redis-cli -h 127.0.0.1 -p "$D_PORT" script load "$SCRIPT")
[ "$sha_a" = "$sha_d" ] || die "SCRIPT LOAD answered $sha_a on keymesh and $sha_d on redis-server"

# load PORT: one redis-benchmark run of the script; prints "<EVALSHA/s> <p50 ms>"
load() {
  redis-benchmark -h 127.0.0.1 -p "$1" -c 50 -P "$PIPELINE" -n "$N" -r 100000 --csv \
    EVALSHA "$sha_a" 2 'k1:__rand_int__' 'k2:__rand_int__' v 2>/dev/null |
    awk -F'","' 'NR == 2 { gsub(/"/, "", $5); printf "%s %s\n", $2 + 0, $5 }'
}

echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)  git: $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null)  cpu: $(nproc)"
echo "script: $SCRIPT"
echo "load: redis-benchmark -c 50 -P $PIPELINE -n $N -r 100000 EVALSHA <sha> 2 k1:__rand_int__ k2:__rand_int__ v"
log "warm-up"
redis-benchmark -h 127.0.0.1 -p "$A_PORT" -c 50 -n 30000 -r 100000 EVALSHA "$sha_a" 2 'k1:__rand_int__' 'k2:__rand_int__' v >/dev/null 2>&1
wait_quiet "$PA" "$A_PORT" "$PB" "$B_PORT"
ratios=()
for ((r = 1; r <= ROUNDS; r++)); do
  if ((r % 2)); then order="A D"; else order="D A"; fi
  for t in $order; do
    if [ "$t" = A ]; then
      read -r rps_a p50_a < <(load "$A_PORT")
      wait_quiet "$PA" "$A_PORT" "$PB" "$B_PORT"
    else
      read -r rps_d p50_d < <(load "$D_PORT")
    fi
  done
  ratio=$(awk -v a="$rps_a" -v d="$rps_d" 'BEGIN { printf "%.2f", a / d }')
  ratios+=("$ratio")
  echo "round $r: keymesh A (peer B attached) $rps_a EVALSHA/s p50 $p50_a ms; direct $rps_d EVALSHA/s p50 $p50_d ms; A/direct $ratio"
done
median=$(printf '%s\n' "${ratios[@]}" | sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }')
echo "median A/direct over $ROUNDS rounds: $median (range $(printf '%s\n' "${ratios[@]}" | sort -n | sed -n '1p;$p' | paste -sd- -))"
echo "B applied: $(redis-cli -h 127.0.0.1 -p "$B_PORT" dbsize) keys (A: $(redis-cli -h 127.0.0.1 -p "$A_PORT" dbsize))"
for n in A B; do
  echo "$n backend commandstats (calls, usec per call):"
  redis-cli -s "$(backend_socket $n)" info commandstats | tr -d '\r' |
    awk -F'[:,=]' '/^cmdstat/ && $3 + 0 > 1000 { printf "  %-16s %10d %8s\n", substr($1, 9), $3, $7 }'
done
