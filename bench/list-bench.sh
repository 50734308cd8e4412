#!/usr/bin/env bash
# list-bench.sh: a list used as a queue through a primary with a peer: does the cost of a push or a
# pop grow with the list's length? Measured against direct Redis in the same run.
#
# Starts on 127.0.0.1, on free random ports, in a mktemp dir, persistence off everywhere:
#   direct   redis-server --save '' --appendonly no
#   A, B     two keymesh primaries peered with each other (cluster secret set)
# and prints, for a list that starts empty and one that starts with LONG (100,000) elements:
#   1. LPUSH throughput (redis-benchmark -c CLIENTS, N_OPS 100-byte values), then RPOP throughput
#      (the same number of pops, so the list ends at its starting length), on direct and on A;
#   2. bytes on the links (kernel TCP counters of both connections between A and B) per 100-byte
#      LPUSH onto the long list, and per RPOP, as ratios of the client's request bytes;
#   3. whether B ends with the same list as A (LLEN and a digest of LRANGE).
# Exit 0 whatever the numbers; non-zero when setup fails.
#
# Usage: bench/list-bench.sh          (~1-2 min on 2 cores)
# Environment: N_OPS [50000]  CLIENTS [50]  LONG [100000]  WIRE_OPS [20000]  KEYMESH_JAR [proxy/target/keymesh.jar]
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
BENCH_NAME=list-bench
# shellcheck source=lib/common.sh
. "$HERE/lib/common.sh"
# shellcheck source=lib/mesh.sh
. "$HERE/lib/mesh.sh"

N_OPS=${N_OPS:-50000}; CLIENTS=${CLIENTS:-50}; LONG=${LONG:-100000}; WIRE_OPS=${WIRE_OPS:-20000}
SECRET=bench-secret
VALUE=$(printf 'x%.0s' $(seq 1 100))

start_bench redis-server redis-benchmark redis-cli java ss awk sha1sum

pick_port DIRECT_PORT; pick_port A_PORT; pick_port B_PORT
log "direct :$DIRECT_PORT  A :$A_PORT  B :$B_PORT"
start_direct "$DIRECT_PORT"
start_peered_pair "$SECRET"

echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)  git: $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null)  cpu: $(nproc) x $(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)"
echo "redis $(redis-server --version | awk '{print $3}' | sed 's/^v=//'), $(java -version 2>&1 | head -n 1)"

# fill PORT KEY COUNT: RPUSH COUNT elements (1000 per command)
fill() {
  local port=$1 key=$2 count=$3 i
  for ((i = 0; i < count; i += 1000)); do
    seq -f "element-%08g" "$i" $((i + 999)) | tr '\n' ' ' | sed "s/^/RPUSH $key /; s/ \$/\n/"
  done | redis-cli -p "$port" >/dev/null
}

# rps PORT COMMAND...: requests per second of one redis-benchmark run of that command
rps() {
  local port=$1
  shift
  redis-benchmark -h 127.0.0.1 -p "$port" -c "$CLIENTS" -n "$N_OPS" --csv "$@" 2>/dev/null |
    awk -F'","' 'NR == 2 || /^"[A-Z]/ { v = $2 + 0 } END { print v }'
}

# one PORT KEY: LPUSH then RPOP throughput on KEY; prints "lpush rpop"
one() {
  local port=$1 key=$2 push pop
  push=$(rps "$port" LPUSH "$key" "$VALUE")
  pop=$(rps "$port" RPOP "$key")
  echo "$push $pop"
}

log "warm-up"
one "$DIRECT_PORT" warm >/dev/null
one "$A_PORT" warm >/dev/null
wait_quiet "$PA" "$A_PORT" "$PB" "$B_PORT"

log "filling the long lists ($LONG elements)"
fill "$DIRECT_PORT" long "$LONG"
fill "$A_PORT" long "$LONG"
wait_quiet "$PA" "$A_PORT" "$PB" "$B_PORT"
[ "$(redis-cli -p "$B_PORT" llen long)" = "$LONG" ] || log "warning: B holds $(redis-cli -p "$B_PORT" llen long) elements of the long list"

declare -A R=()
for round in 1 2; do
  for target in "direct empty $DIRECT_PORT" "direct long $DIRECT_PORT" "A empty $A_PORT" "A long $A_PORT"; do
    set -- $target
    key=$2
    [ "$key" = empty ] && key=q$round
    R[$1.$2.$round]=$(one "$3" "$key")
    [ "$1" = A ] && wait_quiet "$PA" "$A_PORT" "$PB" "$B_PORT"
  done
done
for t in "direct empty" "direct long" "A empty" "A long"; do
  set -- $t
  echo "$1 (${2} list): LPUSH ${R[$1.$2.1]% *} / ${R[$1.$2.2]% *} rps, RPOP ${R[$1.$2.1]#* } / ${R[$1.$2.2]#* } rps  (rounds 1 / 2)"
done
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
for op in push pop; do
  for r in 1 2; do
    if [ $op = push ]; then ae=${R[A.empty.$r]% *}; al=${R[A.long.$r]% *}; de=${R[direct.empty.$r]% *}
    else ae=${R[A.empty.$r]#* }; al=${R[A.long.$r]#* }; de=${R[direct.empty.$r]#* }; fi
    echo "round $r $op: A long/A empty $(ratio "$al" "$ae"), A empty/direct $(ratio "$ae" "$de"), A long/direct $(ratio "$al" "$de")"
  done
done

# ---- wire bytes per LPUSH and RPOP on the long list ------------------------------------------------
push_request=$(( 4 + 4 + 7 + 4 + 6 + 6 + 102 ))   # *3 $5 LPUSH $4 long $100 <100 bytes>
pop_request=$(( 4 + 4 + 6 + 4 + 6 ))               # *2 $4 RPOP $4 long
before=$(link_bytes "$PA" "$A_PORT" "$PB" "$B_PORT")
redis-benchmark -h 127.0.0.1 -p "$A_PORT" -c 10 -n "$WIRE_OPS" LPUSH long "$VALUE" >/dev/null 2>&1
wait_quiet "$PA" "$A_PORT" "$PB" "$B_PORT"
mid=$(link_bytes "$PA" "$A_PORT" "$PB" "$B_PORT")
redis-benchmark -h 127.0.0.1 -p "$A_PORT" -c 10 -n "$WIRE_OPS" RPOP long >/dev/null 2>&1
wait_quiet "$PA" "$A_PORT" "$PB" "$B_PORT"
after=$(link_bytes "$PA" "$A_PORT" "$PB" "$B_PORT")
awk -v b="$before" -v m="$mid" -v a="$after" -v n="$WIRE_OPS" -v q="$push_request" -v p="$pop_request" -v len="$LONG" 'BEGIN {
  printf "wire bytes on a %d-element list: per 100-byte LPUSH %.1f (request %d bytes, ratio %.2f); per RPOP %.1f (request %d bytes, ratio %.2f)\n",
    len, (m - b) / n, q, (m - b) / n / q, (a - m) / n, p, (a - m) / n / p }'

# ---- convergence -----------------------------------------------------------------------------------
digest() { redis-cli -p "$1" lrange long 0 -1 | sha1sum | cut -c1-12; }
echo "long list after the run: A $(redis-cli -p "$A_PORT" llen long) elements (lrange sha1 $(digest "$A_PORT")), B $(redis-cli -p "$B_PORT" llen long) elements (lrange sha1 $(digest "$B_PORT"))"
