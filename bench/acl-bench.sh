#!/usr/bin/env bash
# acl-bench.sh: the cost of ACL rules at the proxy. One keymesh node with two users that may run
# the same commands on the same keys, "open" (no rules: every command, key and channel, so no
# check runs) and "limited" (key patterns and a command list, so every command is checked), and
# redis-benchmark as each user in turn, rotating the order per round. Prints requests per second
# per case and user, and limited/open ratios. Loopback only, free random port, mktemp dir.
#
# Usage: bench/acl-bench.sh             (~2 min on an idle 2-core machine)
# Environment: ROUNDS [3]  TESTS [set,get,incr,lpush,hset]  PIPELINES ["1 16"]  CLIENTS [50]
#   N_P1 [100000]  N_P16 [400000]  KEYMESH_JAR [proxy/target/keymesh.jar]
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
BENCH_NAME=acl-bench
# shellcheck source=lib/common.sh
. "$HERE/lib/common.sh"

ROUNDS=${ROUNDS:-3}
TESTS=${TESTS:-set,get,incr,lpush,hset}
PIPELINES=${PIPELINES:-1 16}
CLIENTS=${CLIENTS:-50}
N_P1=${N_P1:-100000}
N_P16=${N_P16:-400000}
KEYMESH_JAR=${KEYMESH_JAR:-$ROOT/proxy/target/keymesh.jar}
# redis-benchmark's keys: key:__rand_int__ (SET, GET), counter:__rand_int__, mylist, myhash
LIMITED_RULES=("~key:*" "~counter:*" "~mylist" "~myhash" "+@read" "+@write" "+@connection" "-@dangerous")

need redis-benchmark
need redis-cli
install_traps
make_tmp
pick_port PORT
export KEYMESH_JAVA_OPTS="${KEYMESH_JAVA_OPTS:-} -Dkeymesh.requirepass=bench-admin \
 -Dkeymesh.users.0.name=open -Dkeymesh.users.0.password=pw \
 -Dkeymesh.users.1.name=limited -Dkeymesh.users.1.password=pw"
for i in "${!LIMITED_RULES[@]}"; do   # a list, one rule per property: no spaces to split
  KEYMESH_JAVA_OPTS+=" -Dkeymesh.users.1.rules.$i=${LIMITED_RULES[$i]}"
done
# start_keymesh's unauthenticated CONFIG SET save fails here; keymesh's redis-server is set below
start_keymesh "$PORT" 2>/dev/null || true
redis-cli -h 127.0.0.1 -p "$PORT" --user default --pass bench-admin --no-auth-warning config set save '' >/dev/null
[ "$(redis-cli -h 127.0.0.1 -p "$PORT" --user limited --pass pw --no-auth-warning set key:check v)" = OK ] ||
  die "the limited user cannot log in and write key:check"
[ "$(redis-cli -h 127.0.0.1 -p "$PORT" --user limited --pass pw --no-auth-warning set other v)" != OK ] ||
  die "the limited user is not limited"

run() {   # run USER TEST PIPELINE -> requests per second
  local user=$1 test=$2 p=$3 n=$N_P1
  if [ "$p" -gt 1 ]; then n=$N_P16; fi
  redis-benchmark -h 127.0.0.1 -p "$PORT" --user "$user" -a pw -t "$test" -P "$p" -c "$CLIENTS" -n "$n" -q 2>/dev/null |
    tr '\r' '\n' | awk '/requests per second/ { for (i = 1; i <= NF; i++) if ($i == "requests") v = $(i - 1) } END { print v + 0 }'
}

log "warming up the JIT"
run open set 16 >/dev/null
run limited get 16 >/dev/null
declare -A sum
for ((round = 1; round <= ROUNDS; round++)); do
  for test in ${TESTS//,/ }; do
    for p in $PIPELINES; do
      users="open limited"
      [ $(((round + ${#test}) % 2)) = 0 ] && users="limited open"
      for user in $users; do
        v=$(run "$user" "$test" "$p")
        sum[$test/$p/$user]=$(awk -v a="${sum[$test/$p/$user]:-0}" -v b="$v" 'BEGIN { print a + b }')
        log "round $round $test -P $p $user: $v rps"
      done
    done
  done
done
printf '%-8s %4s %12s %12s %8s\n' test P open limited ratio
for test in ${TESTS//,/ }; do
  for p in $PIPELINES; do
    o=${sum[$test/$p/open]}; l=${sum[$test/$p/limited]}
    awk -v t="$test" -v p="$p" -v o="$o" -v l="$l" -v r="$ROUNDS" \
      'BEGIN { printf "%-8s %4s %12.0f %12.0f %8.3f\n", t, p, o / r, l / r, (o > 0 ? l / o : 0) }'
  done
done
