#!/usr/bin/env bash
# flush-bench.sh: how long a FLUSHDB of a large database holds each node's redis-server, as a ratio
# of a plain redis-server's FLUSHDB of the same keys measured in the same run.
#
# Starts on 127.0.0.1, on free random ports, in a mktemp dir, persistence off everywhere:
#   direct   redis-server --save '' --appendonly no
#   A, B     two keymesh primaries peered with each other (cluster secret set)
# fills KEYS 16-byte strings into direct and through A (B receives them), waits until both nodes
# hold them and their housekeeping has marked the logs, then sends FLUSHDB (FLUSH_ARG: empty, ASYNC
# or SYNC) to direct and to A and waits until B is empty too. It prints the longest single command
# each redis-server ran meanwhile (Redis' latency monitor, threshold 1 ms): for direct its FLUSHDB,
# for A the km_w call of the client's FLUSHDB, for B the km_r call that applied it. A node's clients
# wait at most that long behind it (and get -BUSY past busy-reply-threshold, 5 s). It also prints
# how long B took to be empty after A answered.
# WAY=ahead makes B's logs unable to vouch for what the flush keeps (km:snapmax of db 0 set past
# every stamp, as after a snapshot merged later keys): B then goes over its db ahead of the flush in
# km_flushscan steps, and its longest command is one such step.
# Exit 0 whatever the numbers; non-zero when setup fails.
#
# Usage: bench/flush-bench.sh          (~1-2 min on 2 cores)
# Environment: KEYS [1000000]  FLUSH_ARG []  WAY [logged|ahead]  KEYMESH_JAR [proxy/target/keymesh.jar]  KEEP_TMP [0]
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
BENCH_NAME=flush-bench
# shellcheck source=lib/common.sh
. "$HERE/lib/common.sh"
# shellcheck source=lib/mesh.sh
. "$HERE/lib/mesh.sh"

KEYS=${KEYS:-1000000}
FLUSH_ARG=${FLUSH_ARG:-}
WAY=${WAY:-logged}
SECRET=bench-secret

start_bench redis-server redis-benchmark redis-cli java awk

pick_port DIRECT_PORT; pick_port A_PORT; pick_port B_PORT
log "direct :$DIRECT_PORT  A :$A_PORT  B :$B_PORT"
start_direct "$DIRECT_PORT"
start_peered_pair "$SECRET"
SA=$(backend_socket A); SB=$(backend_socket B)

echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)  git: $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null)  jar: $(basename "$KEYMESH_JAR")  cpu: $(nproc) x $(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)"

fill() {   # fill PORT: KEYS distinct 16-byte strings (key:000000000000 .. key:<KEYS-1>)
  redis-benchmark -h 127.0.0.1 -p "$1" -c 20 -P 16 -t set -d 16 -r "$KEYS" -n "$KEYS" -q >/dev/null 2>&1
  # -r draws keys at random: top up until every one of the KEYS keys is there (a pipelined MSET each)
  local have
  have=$(redis-cli -h 127.0.0.1 -p "$1" dbsize)
  if [ "$have" -lt "$KEYS" ]; then
    awk -v n="$KEYS" 'BEGIN { for (i = 0; i < n; i += 1000) { printf "MSET"; for (j = i; j < i + 1000 && j < n; j++) printf " key:%012d v", j; printf "\n" } }' |
      redis-cli -h 127.0.0.1 -p "$1" >/dev/null
  fi
}
log "filling $KEYS keys into direct and through A"
fill "$DIRECT_PORT"
fill "$A_PORT"
wait_quiet "$PA" "$A_PORT" "$PB" "$B_PORT"
sleep 2   # the housekeeping marks each node's logs every second
log "direct $(redis-cli -p "$DIRECT_PORT" dbsize) keys, A $(redis-cli -p "$A_PORT" dbsize), B $(redis-cli -p "$B_PORT" dbsize)"

for target in "-p $DIRECT_PORT" "-s $SA" "-s $SB"; do
  # shellcheck disable=SC2086
  { redis-cli $target config set latency-monitor-threshold 1 && redis-cli $target latency reset &&
    redis-cli $target config set slowlog-log-slower-than 1000 slowlog-max-len 100000 && redis-cli $target slowlog reset; } >/dev/null
done
slowest() {   # slowest REDIS-CLI-ARGS: "<us> <command and first arguments>" of the slowest call in its slowlog
  # shellcheck disable=SC2086
  redis-cli $1 --json slowlog get 100000 2>/dev/null | tr -d '\n' |
    grep -o '\[[0-9]*,[0-9]*,[0-9]*,\["[^"]*"\(,"[^"]*"\)\{0,2\}' |
    awk -F, '{ us = $3; cmd = $4 " " $5 " " $6; gsub(/[\["]/, "", cmd); if (us + 0 > best) { best = us + 0; line = us " us: " cmd } }
      END { print line }'
}
worst() {   # worst REDIS-CLI-ARGS: the longest "command" event of the latency monitor, in ms
  # shellcheck disable=SC2086
  redis-cli $1 latency latest | awk 'NR % 4 == 1 { e = $0 } NR % 4 == 0 && e == "command" { print $0 + 0 }' | sort -n | tail -n 1
}
if [ "$WAY" = ahead ]; then
  # the log database is the last one (2N)
  redis-cli -s "$SB" -n $(($(redis-cli -s "$SB" config get databases | sed -n 2p) - 1)) hset km:snapmax 0 ffffffffffffffff >/dev/null
fi
# shellcheck disable=SC2086
redis-cli -p "$DIRECT_PORT" flushdb $FLUSH_ARG >/dev/null
# shellcheck disable=SC2086
redis-cli -p "$A_PORT" flushdb $FLUSH_ARG >/dev/null
t0=$(date +%s%N)
for ((i = 0; i < 6000; i++)); do [ "$(redis-cli -p "$B_PORT" dbsize)" = 0 ] && break; sleep 0.02; done
empty_ms=$((($(date +%s%N) - t0) / 1000000))
[ "$(redis-cli -p "$B_PORT" dbsize)" = 0 ] || log "warning: B still holds keys 120 s after the flush"
D=$(worst "-p $DIRECT_PORT"); A=$(worst "-s $SA"); B=$(worst "-s $SB")
echo "FLUSHDB ${FLUSH_ARG:-(no option)} of $KEYS keys ($WAY), longest command: direct ${D:-<1} ms, A (local) ${A:-<1} ms, B (received) ${B:-<1} ms"
echo "B empty ${empty_ms} ms after A answered"
echo "slowest call: A $(slowest "-s $SA"); B $(slowest "-s $SB")"
if [ -n "$D" ]; then
  # under 1 ms counts as 1 ms
  awk -v d="$D" -v a="${A:-1}" -v b="${B:-1}" 'BEGIN { printf "ratio to direct: A %.2f  B %.2f\n", a / d, b / d }'
else
  echo "ratio to direct: none (direct's FLUSHDB took under 1 ms)"
fi
for n in A B; do
  s=$([ "$n" = A ] && echo "$SA" || echo "$SB")
  # the log database is 2N: N user databases, N metadata databases, then the log
  dbs=$(redis-cli -s "$s" config get databases | sed -n 2p)
  echo "  $n: ways taken (km:flushes): $(redis-cli -s "$s" -n $((dbs - 1)) hgetall km:flushes | paste -sd' ')"
done
