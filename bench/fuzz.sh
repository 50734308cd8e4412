#!/usr/bin/env bash
# fuzz.sh: the seeded fuzzer (proxy/src/test/java/io/keymesh/proxy/fuzz) at scale. One keymesh node
# in its own JVM (-Xmx256m) with a fake peer; malformed and edge-case inputs at its client port,
# from the fake peer (frames after a valid handshake, and snapshots with valid and hostile frames
# after a SYNC snapshot) and from a fake replica. After every batch a
# control connection checks PING, a known key and a counter; every --deep-every cases jcmd checks
# the node's threads (none of the lasting ones may die), its heap after a full GC and its log (no
# ERROR line, exception trace or failing housekeeping: NodeWatch.fault). A finding
# prints the seed, the case numbers, their bytes and the command that replays them. Exit 0 when
# nothing was found.
#
# Usage: bench/fuzz.sh [--seed S] [--client N] [--peer N] [--replica N] [--snapshot N] [--from N]
#   [--deep-every N]
#   default: a seed from the clock, 940000 client + 10000 peer + 50000 replica cases (1,000,000)
#   and 5000 snapshot cases, deep checks every 50000 cases. Replay one case: bench/fuzz.sh --seed 17
#   --client 1 --peer 0 --replica 0 --snapshot 0 --from 453 (add --dump DIR to get each case's bytes
#   as DIR/<target>-<n>.bin).
# Time: see docs/benchmarks.md ("Fuzzing"); the fuzz node reconnects to its fake peer 5 ms after a link
# it refused (keymesh.replication.link-reconnect-min), so peer cases no longer dominate.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"

seed=$(( $(date +%s) % 1000000 )); client=940000; peer=10000; replica=50000; snapshot=5000; from=0; deep=50000; dump=""
while [ $# -gt 0 ]; do
  case "$1" in
    --seed) seed=$2 ;; --client) client=$2 ;; --peer) peer=$2 ;; --replica) replica=$2 ;; --snapshot) snapshot=$2 ;;
    --from) from=$2 ;; --deep-every) deep=$2 ;; --dump) dump=$2 ;;
    *) echo "unknown option $1 (see the header of $0)" >&2; exit 2 ;;
  esac
  shift 2
done
total=$(( client + peer + replica ))
minutes=$(( 15 + total / 20000 + snapshot / 500 ))
echo "fuzz.sh: seed $seed, $client client + $peer peer + $replica replica + $snapshot snapshot cases from $from (timeout $minutes min)"
cd "$ROOT"
args=(-B -q -o -pl proxy -am verify -Dtest=NONE -Dsurefire.failIfNoSpecifiedTests=false -Dit.test=FuzzIT
      -Dfailsafe.failIfNoSpecifiedTests=false -Dkeymesh.fuzz.seed="$seed" -Dkeymesh.fuzz.client="$client"
      -Dkeymesh.fuzz.peer="$peer" -Dkeymesh.fuzz.replica="$replica" -Dkeymesh.fuzz.snapshot="$snapshot" -Dkeymesh.fuzz.from="$from"
      -Dkeymesh.fuzz.deep-every="$deep" -Dkeymesh.fuzz.timeout-minutes="$minutes")
[ -n "$dump" ] && args+=(-Dkeymesh.fuzz.dump="$(realpath -m "$dump")")
start=$(date +%s)
status=0
report="proxy/target/failsafe-reports/io.keymesh.proxy.fuzz.FuzzIT.txt"
rm -f "$report"
mvn "${args[@]}" > /tmp/fuzz-mvn.$$.log 2>&1 || status=$?
grep -E '^(fuzz|FINDING|    )' /tmp/fuzz-mvn.$$.log || true
if grep -q "FAILURE" "$report" 2>/dev/null; then
  echo "fuzz.sh: FINDINGS (seed $seed); details above and in $report" >&2
  exit 1
fi
if [ "$status" -ne 0 ] || [ ! -f "$report" ]; then
  tail -40 /tmp/fuzz-mvn.$$.log >&2
  echo "fuzz.sh: the fuzzer did not run to its end (maven exit $status); its output is in /tmp/fuzz-mvn.$$.log" >&2
  exit 2
fi
rm -f /tmp/fuzz-mvn.$$.log
echo "fuzz.sh: no findings; $(( $(date +%s) - start )) s wall time including the build"
