#!/usr/bin/env bash
# profile-keymesh.sh: where keymesh's CPU time goes under one redis-benchmark load.
#
# Starts a keymesh node (loopback, free port, mktemp dir, appendonly=false + no RDB save points,
# same JVM flags as bin/keymesh), warms it up, then records JFR (jcmd JFR.start, settings=profile)
# while redis-benchmark drives one case (default SET -P 16 -d 100 -c 50) for DURATION seconds,
# and prints the hottest frames: top frames of jdk.ExecutionSample by count (self time), the
# keymesh methods most often on the stack (inclusive), samples per thread, and how many samples
# were in native code (jdk.NativeMethodSample: syscalls such as epoll_wait/read/write).
#
# Usage: bench/profile-keymesh.sh
# Environment: TEST [set] PIPELINE [16] SIZE [100] CLIENTS [50] DURATION [30] WARMUP_SECONDS [15]
#   TOP [15] JFR_SETTINGS [profile] KEYMESH_JAR [proxy/target/keymesh.jar] KEYMESH_JAVA_OPTS
#   RESULTS_DIR [bench/results/profile-<timestamp>] (keymesh.jfr, samples.txt, profile.md)
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
BENCH_NAME=profile-keymesh
# shellcheck source=lib/common.sh
. "$HERE/lib/common.sh"

TEST=${TEST:-set}
PIPELINE=${PIPELINE:-16}
SIZE=${SIZE:-100}
CLIENTS=${CLIENTS:-50}
DURATION=${DURATION:-30}
WARMUP_SECONDS=${WARMUP_SECONDS:-15}
TOP=${TOP:-15}
JFR_SETTINGS=${JFR_SETTINGS:-profile}
KEYMESH_JAR=${KEYMESH_JAR:-$ROOT/proxy/target/keymesh.jar}
RESULTS_DIR=${RESULTS_DIR:-$ROOT/bench/results/profile-$(date +%Y%m%d-%H%M%S)}
need redis-server redis-benchmark redis-cli java jcmd jfr ss awk timeout

install_traps
make_tmp
mkdir -p "$RESULTS_DIR" || die "cannot create $RESULTS_DIR"
on_exit_hook() { cp "$TMP_ROOT/keymesh/keymesh.log" "$RESULTS_DIR/" 2>/dev/null || true; }

pick_port KM_PORT
log "starting keymesh on 127.0.0.1:$KM_PORT"
start_keymesh "$KM_PORT"

# load SECONDS OUT: redis-benchmark in loop mode for SECONDS, then SIGINT.
load() {
  local secs=$1 out=$2
  timeout -s INT -k 5 "$secs" redis-benchmark -h 127.0.0.1 -p "$KM_PORT" -t "$TEST" -n $((200000 / PIPELINE * PIPELINE)) \
    -c "$CLIENTS" -P "$PIPELINE" -d "$SIZE" -l -q >"$out" 2>&1 &
  BENCH_PID=$!
  wait "$BENCH_PID" || true
  BENCH_PID=""
  alive "$KM_PID" || die "keymesh died under load"
}

if [ "$TEST" = get ]; then   # store the key GET reads (redis-benchmark's default single key), SIZE bytes
  redis-benchmark -h 127.0.0.1 -p "$KM_PORT" -t set -n 1 -c 1 -P 1 -d "$SIZE" -q >/dev/null 2>&1 || die "storing the GET key failed"
fi
log "warming up for ${WARMUP_SECONDS}s (${TEST^^} -P $PIPELINE -d $SIZE -c $CLIENTS)"
load "$WARMUP_SECONDS" "$TMP_ROOT/warmup.out"
# snapshot: "tid ticks name" for every JVM thread, plus the managed redis-server and the machine
snapshot() {
  local t
  for t in /proc/"$KM_PID"/task/*; do
    awk -v tid="${t##*/}" -v name="$(tr ' ' '_' <"$t/comm" 2>/dev/null)" '{ sub(/^.*\) /, ""); print tid, $12 + $13, name, $12, $13 }' "$t/stat" 2>/dev/null || true
  done
  echo "redis $(cpu_ticks "$KM_REDIS_PID") managed-redis-server 0 0"
  awk '/^cpu / { print "machine", $2 + $3 + $4 + $7 + $8 + $9, "busy 0 0"; print "machine-all", $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9, "all 0 0" }' /proc/stat
}
jfr_file="$RESULTS_DIR/keymesh.jfr"
jcmd "$KM_PID" JFR.start name=bench settings="$JFR_SETTINGS" >"$RESULTS_DIR/jcmd.log" 2>&1 || die "JFR.start failed: $(cat "$RESULTS_DIR/jcmd.log")"
log "recording JFR for ${DURATION}s"
snapshot >"$RESULTS_DIR/cpu-before.txt"
t0=$(date +%s.%N)
load "$DURATION" "$RESULTS_DIR/load.out"
t1=$(date +%s.%N)
snapshot >"$RESULTS_DIR/cpu-after.txt"
jcmd "$KM_PID" JFR.stop name=bench filename="$jfr_file" >>"$RESULTS_DIR/jcmd.log" 2>&1 || die "JFR.stop failed: $(cat "$RESULTS_DIR/jcmd.log")"
# loop mode prints one "TEST: N requests per second" per completed iteration (\r-separated progress)
rps=$(tr '\r' '\n' <"$RESULTS_DIR/load.out" | awk '/requests per second/ { for (i = 1; i <= NF; i++) if ($(i + 1) == "requests") { s += $i; n++ } }
  END { if (n) printf "%.0f", s / n; else print "NA" }')

jfr print --events jdk.ExecutionSample --stack-depth 64 "$jfr_file" >"$RESULTS_DIR/samples.txt"
jfr print --events jdk.NativeMethodSample --stack-depth 1 "$jfr_file" >"$RESULTS_DIR/native-samples.txt"
native=$(grep -c '^jdk.NativeMethodSample' "$RESULTS_DIR/native-samples.txt" || true)

{
  echo "## keymesh profile: ${TEST^^} -P $PIPELINE -d $SIZE -c $CLIENTS, ${DURATION}s of JFR ($JFR_SETTINGS settings)"
  echo
  echo "git $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown) (the tree may have uncommitted changes), jar sha256 $(sha256sum "$TMP_ROOT/keymesh/keymesh.jar" | cut -c1-12) built $(date -u -r "$KEYMESH_JAR" +%H:%M:%SZ);"
  echo "$(date -u +%Y-%m-%dT%H:%M:%SZ); mean throughput while recording: $rps rps"
  echo
  awk -v top="$TOP" -v native="$native" -f "$HERE/lib/jfr-top.awk" "$RESULTS_DIR/samples.txt"
  echo "### Native-method samples (top frame)"
  echo
  echo "JFR takes at most one native sample per 20 ms, so these counts only rank native frames"
  echo "against each other (epollWait = an I/O thread idle, waiting for sockets)."
  echo
  echo "| samples | frame |"
  echo "|---:|---|"
  awk '/stackTrace = \[/ { getline; sub(/^[ \t]+/, ""); sub(/[ \t]+line:.*$/, ""); n[$0]++ }
    END { for (f in n) printf "| %d | `%s` |\n", n[f], f }' "$RESULTS_DIR/native-samples.txt" | sort -t'|' -k2 -rn | head -n 6
  echo
  echo "### CPU by thread while recording (from /proc, ${DURATION}s wall)"
  echo
  echo "% of one core; thread names with digits folded to N."
  echo
  echo "| CPU % | user | sys | threads |"
  echo "|---:|---:|---:|---|"
  awk -v wall="$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')" -v hz="$(getconf CLK_TCK)" '
    NR == FNR { before[$1] = $2; bu[$1] = $4; bs[$1] = $5; next }
    { d = $2 - ($1 in before ? before[$1] : 0); name = $3; gsub(/[0-9]+/, "N", name)
      usr[name] += $4 - bu[$1]; sys[name] += $5 - bs[$1]
      if ($1 == "machine") { busy = d; next }
      if ($1 == "machine-all") { all = d; next }
      if ($1 == "redis") { redis = d; next }
      cpu[name] += d; jvm += d }
    END {
      srt = "sort -t\"|\" -k2 -rn"
      for (n in cpu) if (cpu[n] > 0) printf "| %.1f | %.1f | %.1f | `%s` |\n", 100 * cpu[n] / hz / wall, 100 * usr[n] / hz / wall, 100 * sys[n] / hz / wall, n | srt
      close(srt)
      for (n in cpu) { ju += usr[n]; js += sys[n] }
      printf "| %.1f | %.1f | %.1f | **keymesh JVM total** |\n", 100 * jvm / hz / wall, 100 * ju / hz / wall, 100 * js / hz / wall
      printf "| %.1f | | | **its redis-server** |\n", 100 * redis / hz / wall
      if (all > 0) printf "| %.0f%% of %d cores | | | **machine busy** (benchmark client, other processes included) |\n", 100 * busy / all, '"$(nproc)"'
    }' "$RESULTS_DIR/cpu-before.txt" "$RESULTS_DIR/cpu-after.txt"
} >"$RESULTS_DIR/profile.md"
cat "$RESULTS_DIR/profile.md"
log "JFR recording and samples in $RESULTS_DIR"
exit 0
