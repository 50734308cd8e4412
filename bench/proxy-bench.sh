#!/usr/bin/env bash
# proxy-bench.sh: keymesh vs direct redis-server (and twemproxy, when installed) in one run.
#
# Starts on 127.0.0.1, on free random ports, in a mktemp dir:
#   direct     redis-server --save '' --appendonly no (TCP)
#   keymesh    java -jar proxy/target/keymesh.jar start, appendonly=false (+ CONFIG SET save "" on its redis-server)
#   twemproxy  nutcracker in front of the direct redis-server (if /usr/sbin/nutcracker or PATH has it)
# warms keymesh's JIT with a throwaway run, then for ROUNDS rounds runs every case
# (test x pipeline x value size) against each target back to back, rotating the target order per
# round and case so drift cancels out. Prints per-case medians and ratios and the target summary;
# raw output goes to bench/results/<timestamp>/. Exit 0 whatever the numbers; non-zero only when
# setup fails (missing tool, a server does not start or dies).
#
# Usage: bench/proxy-bench.sh            full run (~5 min on an idle 2-core machine, ~9 when busy)
#        QUICK=1 bench/proxy-bench.sh    1-minute smoke run (1 round, small counts)
# Environment (defaults in brackets; QUICK changes the counts' defaults only):
#   ROUNDS [3]  TESTS [set,get,incr,lpush,hset,mset]  PIPELINES ["1 16"]  SIZES ["100 8192"]
#   CLIENTS [50]  N_P1 [120000]  N_P16 [600000]  (requests per run for -d < 1024, -P 1 / -P > 1)
#   N_P1_BIG [50000]  N_P16_BIG [120000]  (the same for -d >= 1024)
#   MSET_DIV [3] (MSET runs n/MSET_DIV)  N_MSET_BIG [16000] (MSET with -d >= 1024: 10 x 8 KB a request)
#   (QUICK=1 defaults: ROUNDS 1, N_P1 25000, N_P16 125000, N_P1_BIG 10000, N_P16_BIG 25000, N_MSET_BIG 3200)
#   Counts are rounded down to a multiple of the pipeline depth.
#   KEYSPACE [unset: one key, as redis-benchmark's default; N: -r N]
#   WARMUP [1]  (0 skips the JIT warm-up)  RUN_TIMEOUT [300] s per redis-benchmark run
#   TWEMPROXY [auto|0]  TWEM_MBUF [16384]  TWEM_SERVER_CONNECTIONS [1]
#   KEYMESH_JAR [proxy/target/keymesh.jar]  BUILD [0] (1: mvn package first)
#   KEYMESH_JAVA_OPTS  extra JVM options (e.g. a -XX:StartFlightRecording=... to profile)
#   RESULTS_DIR [bench/results/<timestamp>]  KEEP_TMP [0]
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
BENCH_NAME=proxy-bench
# shellcheck source=lib/common.sh
. "$HERE/lib/common.sh"

QUICK=${QUICK:-0}
if [ "$QUICK" = 1 ]; then
  ROUNDS=${ROUNDS:-1}
  N_P1=${N_P1:-25000}; N_P16=${N_P16:-125000}; N_P1_BIG=${N_P1_BIG:-10000}; N_P16_BIG=${N_P16_BIG:-25000}
  N_MSET_BIG=${N_MSET_BIG:-3200}
else
  ROUNDS=${ROUNDS:-3}
  N_P1=${N_P1:-120000}; N_P16=${N_P16:-600000}; N_P1_BIG=${N_P1_BIG:-50000}; N_P16_BIG=${N_P16_BIG:-120000}
  N_MSET_BIG=${N_MSET_BIG:-16000}
fi
TESTS=${TESTS:-set,get,incr,lpush,hset,mset}
PIPELINES=${PIPELINES:-1 16}
SIZES=${SIZES:-100 8192}
CLIENTS=${CLIENTS:-50}
MSET_DIV=${MSET_DIV:-3}
KEYSPACE=${KEYSPACE:-}
WARMUP=${WARMUP:-1}
RUN_TIMEOUT=${RUN_TIMEOUT:-300}
TWEMPROXY=${TWEMPROXY:-auto}
KEYMESH_JAR=${KEYMESH_JAR:-$ROOT/proxy/target/keymesh.jar}
RESULTS_DIR=${RESULTS_DIR:-$ROOT/bench/results/$(date +%Y%m%d-%H%M%S)}

for v in ROUNDS CLIENTS N_P1 N_P16 N_P1_BIG N_P16_BIG N_MSET_BIG MSET_DIV RUN_TIMEOUT; do
  [[ ${!v} =~ ^[1-9][0-9]*$ ]] || die "$v must be a positive integer, got '${!v}'"
done
[ -z "$KEYSPACE" ] || [[ $KEYSPACE =~ ^[1-9][0-9]*$ ]] || die "KEYSPACE must be a positive integer"

need redis-server redis-benchmark redis-cli java ss awk timeout
TWEM_BIN=""
if [ "$TWEMPROXY" != 0 ]; then
  TWEM_BIN=$(command -v nutcracker 2>/dev/null || true)
  [ -z "$TWEM_BIN" ] && [ -x /usr/sbin/nutcracker ] && TWEM_BIN=/usr/sbin/nutcracker
  [ -n "$TWEM_BIN" ] && PATH="$(dirname "$TWEM_BIN"):$PATH"
fi

if [ "${BUILD:-0}" = 1 ]; then
  log "building keymesh"
  (cd "$ROOT" && mvn -B -q -o package -DskipTests) || (cd "$ROOT" && mvn -B -q package -DskipTests) || die "build failed"
fi

install_traps
make_tmp
mkdir -p "$RESULTS_DIR/raw" || die "cannot create $RESULTS_DIR"

save_logs() {
  cp "$TMP_ROOT/keymesh/keymesh.log" "$RESULTS_DIR/keymesh.log" 2>/dev/null || true
  cp "$TMP_ROOT/direct/redis.log" "$RESULTS_DIR/direct-redis.log" 2>/dev/null || true
  cp "$TMP_ROOT/twemproxy/nutcracker.yml" "$TMP_ROOT/twemproxy/nutcracker.log" "$RESULTS_DIR/" 2>/dev/null || true
}
on_exit_hook() { save_logs; }   # run by cleanup (after the servers stopped, before the temp dir goes)

# ---- servers ----------------------------------------------------------------------------------
pick_port DIRECT_PORT
pick_port KM_PORT
log "starting direct redis-server on 127.0.0.1:$DIRECT_PORT"
start_direct "$DIRECT_PORT"
log "starting keymesh on 127.0.0.1:$KM_PORT (jar $KEYMESH_JAR)"
start_keymesh "$KM_PORT"
TARGETS=(direct keymesh)
declare -A PORT=([direct]=$DIRECT_PORT [keymesh]=$KM_PORT)
if [ -n "$TWEM_BIN" ]; then
  pick_port TWEM_PORT
  log "starting twemproxy on 127.0.0.1:$TWEM_PORT -> $DIRECT_PORT"
  start_twemproxy "$TWEM_PORT" "$DIRECT_PORT"
  TARGETS+=(twemproxy)
  PORT[twemproxy]=$TWEM_PORT
else
  log "nutcracker not found: twemproxy is not compared"
fi

# ---- environment record -----------------------------------------------------------------------
commit=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
changes="$(git -C "$ROOT" status --porcelain --untracked-files=no 2>/dev/null)" || changes=""
if [ -n "$changes" ]; then dirty="uncommitted changes in tracked files"; else dirty=clean; fi
jar_sum=$(sha256sum "$TMP_ROOT/keymesh/keymesh.jar" | cut -c1-12)   # the copy that runs
{
  echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "git: $commit ($dirty)"
  echo "jar: $KEYMESH_JAR (sha256 $jar_sum, built $(date -u -r "$KEYMESH_JAR" +%Y-%m-%dT%H:%M:%SZ))"
  echo "cpu: $(nproc) x $(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)"
  echo "kernel: $(uname -sr)"
  echo "redis: $(redis-server --version | awk '{print $3}') ($(command -v redis-server))"
  echo "java: $(java -version 2>&1 | head -n 1)"
  [ -n "$TWEM_BIN" ] && echo "twemproxy: $("$TWEM_BIN" --version 2>&1 | head -n 1) ($TWEM_BIN, mbuf ${TWEM_MBUF:-16384}, server_connections ${TWEM_SERVER_CONNECTIONS:-1})"
  echo "keymesh: appendonly=false + CONFIG SET save '' on its redis-server (no persistence); JVM: $(keymesh_jvm_options)${KEYMESH_JAVA_OPTS:-}"
  echo "direct: redis-server --save '' --appendonly no"
  echo "settings: QUICK=$QUICK ROUNDS=$ROUNDS TESTS=$TESTS PIPELINES='$PIPELINES' SIZES='$SIZES' CLIENTS=$CLIENTS"
  echo "requests: N_P1=$N_P1 N_P16=$N_P16 N_P1_BIG=$N_P1_BIG N_P16_BIG=$N_P16_BIG MSET_DIV=$MSET_DIV N_MSET_BIG=$N_MSET_BIG KEYSPACE=${KEYSPACE:-single-key}"
} >"$RESULTS_DIR/env.txt"
sed 's/^/  /' "$RESULTS_DIR/env.txt" >&2

# ---- cases ------------------------------------------------------------------------------------
CASE_TEST=(); CASE_P=(); CASE_D=(); CASE_N=()
for p in $PIPELINES; do
  for d in $SIZES; do
    for t in ${TESTS//,/ }; do
      if [ "$d" -ge 1024 ]; then n=$([ "$p" -gt 1 ] && echo "$N_P16_BIG" || echo "$N_P1_BIG")
      else n=$([ "$p" -gt 1 ] && echo "$N_P16" || echo "$N_P1"); fi
      if [ "$t" = mset ]; then
        if [ "$d" -ge 1024 ]; then n=$N_MSET_BIG; else n=$((n / MSET_DIV)); fi
      fi
      n=$((n / p * p))            # a whole number of pipelines: see prepare()
      [ "$n" -ge "$p" ] || n=$p
      CASE_TEST+=("$t"); CASE_P+=("$p"); CASE_D+=("$d"); CASE_N+=("$n")
    done
  done
done
NCASES=${#CASE_TEST[@]}
RANGE_ARGS=()
[ -n "$KEYSPACE" ] && RANGE_ARGS=(-r "$KEYSPACE")

check_alive() {
  alive "$DIRECT_PID" || die "direct redis-server died (see $RESULTS_DIR)"
  alive "$KM_PID" || { save_logs; tail -n 30 "$TMP_ROOT/keymesh/keymesh.log" >&2; die "keymesh died (log in $RESULTS_DIR/keymesh.log)"; }
  [ -z "$TWEM_PID" ] || alive "$TWEM_PID" || die "twemproxy died"
}

# bench PORT OUT ERR ARGS...: one redis-benchmark run, killable by our traps, bounded in time.
bench() {
  local port=$1 out=$2 err=$3 rc=0
  shift 3
  timeout -k 5 "$RUN_TIMEOUT" redis-benchmark -h 127.0.0.1 -p "$port" "$@" >"$out" 2>"$err" &
  BENCH_PID=$!
  wait "$BENCH_PID" || rc=$?
  BENCH_PID=""
  return "$rc"
}

# prepare TEST SIZE: empty both datasets; for GET, store the keys it will read (value of SIZE bytes).
prepare() {
  local t=$1 d=$2 port n pp cc
  for port in "$DIRECT_PORT" "$KM_PORT"; do
    redis-cli -h 127.0.0.1 -p "$port" flushall >/dev/null 2>&1 || die "FLUSHALL failed on port $port"
    if [ "$t" = get ]; then
      # (redis-benchmark may abort with "All clients disconnected" when -n is not a multiple of -P)
      if [ -n "$KEYSPACE" ]; then n=$((KEYSPACE * 4 / 16 * 16 + 16)); pp=16; cc=4; else n=1; pp=1; cc=1; fi
      bench "$port" /dev/null "$TMP_ROOT/populate.err" -t set -n "$n" -c "$cc" -P "$pp" -d "$d" "${RANGE_ARGS[@]}" ||
        { cat "$TMP_ROOT/populate.err" >&2; die "populating GET keys on port $port failed"; }
    fi
  done
}

# ---- warm-up ----------------------------------------------------------------------------------
if [ "$WARMUP" != 0 ]; then
  log "warming keymesh's JIT (throwaway runs of every case against keymesh, half the requests)"
  for ((c = 0; c < NCASES; c++)); do
    p=${CASE_P[$c]}
    n=$((CASE_N[c] / 2 / p * p)); [ "$n" -ge "$p" ] || n=$p
    prepare "${CASE_TEST[$c]}" "${CASE_D[$c]}"
    bench "$KM_PORT" "$TMP_ROOT/warmup.csv" "$TMP_ROOT/warmup.err" -t "${CASE_TEST[$c]}" -n "$n" -c "$CLIENTS" \
      -P "$p" -d "${CASE_D[$c]}" --csv "${RANGE_ARGS[@]}" || log "warm-up run exited non-zero ($(head -c 200 "$TMP_ROOT/warmup.err"))"
    check_alive
  done
fi

# ---- measurement ------------------------------------------------------------------------------
CSV="$RESULTS_DIR/runs.csv"
echo "round,case,test,pipeline,size,target,requests,rps,avg_ms,min_ms,p50_ms,p95_ms,p99_ms,max_ms,cpu_us_per_op,stderr_lines" >"$CSV"
CLK_TCK=$(getconf CLK_TCK)
total=$((ROUNDS * NCASES * ${#TARGETS[@]}))
done_runs=0
t_start=$(date +%s)
for ((r = 1; r <= ROUNDS; r++)); do
  for ((c = 0; c < NCASES; c++)); do
    t=${CASE_TEST[$c]} p=${CASE_P[$c]} d=${CASE_D[$c]} n=${CASE_N[$c]}
    prepare "$t" "$d"
    nt=${#TARGETS[@]}
    off=$(((r - 1 + c) % nt))
    order=()
    for ((i = 0; i < nt; i++)); do order+=("${TARGETS[$(((off + i) % nt))]}"); done
    line="round $r/$ROUNDS case $((c + 1))/$NCASES ${t^^} -P $p -d $d -n $n:"
    for target in "${order[@]}"; do
      case $target in
        direct) pids=("$DIRECT_PID") ;;
        keymesh) pids=("$KM_PID" "$KM_REDIS_PID") ;;
        twemproxy) pids=("$TWEM_PID" "$DIRECT_PID") ;;
      esac
      base="$RESULTS_DIR/raw/r$r-c$((c + 1))-$t-P$p-d$d-$target"
      cpu0=$(cpu_ticks "${pids[@]}")
      rc=0
      bench "${PORT[$target]}" "$base.csv" "$base.err" -t "$t" -n "$n" -c "$CLIENTS" -P "$p" -d "$d" --csv "${RANGE_ARGS[@]}" || rc=$?
      cpu1=$(cpu_ticks "${pids[@]}")
      check_alive
      # twemproxy cannot answer CONFIG GET; redis-benchmark's warning about it is not an error
      errs=$({ grep -v -e '^WARNING: Could not fetch server CONFIG' -e '^$' "$base.err" || true; } | wc -l)
      [ "$rc" = 0 ] || { errs=$((errs + 1)); log "redis-benchmark exited $rc for $target ($base.err)"; }
      [ -s "$base.err" ] || rm -f "$base.err"
      # columns by header name (redis-benchmark 7.0: test,rps,avg,min,p50,p95,p99,max latency)
      awk -F, -v r="$r" -v c="$((c + 1))" -v t="$t" -v p="$p" -v d="$d" -v tg="$target" -v n="$n" \
        -v cpu="$(awk -v a="$cpu0" -v b="$cpu1" -v hz="$CLK_TCK" -v n="$n" 'BEGIN { printf "%.3f", (b - a) * 1e6 / hz / n }')" \
        -v errs="$errs" '
        { gsub(/"/, "") }
        NR == 1 && $1 == "test" { for (i = 1; i <= NF; i++) col[$i] = i; next }
        ("rps" in col) && $col["rps"] ~ /^[0-9.]+$/ { got = 1
          v = $col["rps"] "," $col["avg_latency_ms"] "," $col["min_latency_ms"] "," $col["p50_latency_ms"] "," \
              $col["p95_latency_ms"] "," $col["p99_latency_ms"] "," $col["max_latency_ms"] }
        END { if (!got) v = "NA,NA,NA,NA,NA,NA,NA"
              print r "," c "," t "," p "," d "," tg "," n "," v "," cpu "," errs }' "$base.csv" >>"$CSV"
      rps=$(tail -n 1 "$CSV" | cut -d, -f8)
      line+=" $target ${rps%.*}"
      done_runs=$((done_runs + 1))
    done
    elapsed=$(($(date +%s) - t_start))
    log "$line  [$done_runs/$total, ${elapsed}s]"
  done
done

# ---- report -----------------------------------------------------------------------------------
REPORT="$RESULTS_DIR/report.md"
{
  echo "## keymesh vs direct redis-server$([ -n "$TWEM_BIN" ] && echo " vs twemproxy")"
  echo
  echo '```'
  cat "$RESULTS_DIR/env.txt"
  echo '```'
  echo
  awk -f "$HERE/lib/report.awk" "$CSV"
} >"$REPORT"
save_logs
cat "$REPORT"
echo
log "raw results: $RESULTS_DIR (runs.csv, raw/*.csv, report.md); total ${SECONDS}s"
exit 0
