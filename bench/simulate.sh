#!/usr/bin/env bash
# The seeded mesh simulation (docs/design/simulation.md): runs seeds through MeshSimTest, prints each
# failing seed with the command that replays it, and ends with "simulate: N seeds, F failures".
#   bench/simulate.sh                      # 200 seeds from seed 1
#   bench/simulate.sh --seeds 2000         # 2000 seeds from seed 1
#   bench/simulate.sh --seeds 500 --seed 9000
#   bench/simulate.sh --seed 1234          # replay one seed: its summary and trace hash
#   bench/simulate.sh --seed 1234 --trace  # ... and every event of it, in order
#   bench/simulate.sh --datagram           # one run in four also loses, doubles and reorders frames
#                                          # within a connection (beyond what TCP does)
#   bench/simulate.sh --snapshots          # faults also trim logs, so links resync by snapshot
# Exit status: 0 when every seed passed, 1 when one failed, 2 on a usage or build error.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

usage() { sed -n '2,12p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 2; }
seeds=""; seed=1; trace=false; datagram=false; snapshots=false
while [ $# -gt 0 ]; do
  case "$1" in
    --seeds) [ $# -ge 2 ] && [[ "$2" =~ ^[1-9][0-9]*$ ]] || usage; seeds=$2; shift 2 ;;
    --seed) [ $# -ge 2 ] && [[ "$2" =~ ^-?[0-9]+$ ]] || usage; seed=$2; seeds=${seeds:-1}; shift 2 ;;
    --trace) trace=true; shift ;;
    --datagram) datagram=true; shift ;;
    --snapshots) snapshots=true; shift ;;
    -h|--help) usage ;;
    *) echo "simulate: unknown argument $1" >&2; usage ;;
  esac
done
seeds=${seeds:-200}

out="$(mktemp)"
trap 'rm -f "$out"' EXIT
(cd "$root" && mvn -B -q -o -pl topology -am test -Dtest='MeshSimTest#everySeedConvergesWithoutLosingAcknowledgedWrites' \
  -Dsurefire.failIfNoSpecifiedTests=false -Dkeymesh.sim.seeds="$seeds" -Dkeymesh.sim.seed="$seed" \
  -Dkeymesh.sim.verbose="$trace" -Dkeymesh.sim.datagram="$datagram" \
  -Dkeymesh.sim.snapshots="$snapshots") >"$out" 2>&1 || true   # the summary line below tells

summary="$(grep -E '^simulate: [0-9]+ seeds, [0-9]+ failures$' "$out" | tail -n 1 || true)"
if [ -z "$summary" ]; then
  tail -n 60 "$out" >&2
  echo "simulate: the run did not finish (build or test error above)" >&2
  exit 2
fi
if [ "$trace" = true ]; then
  grep -E '^[0-9]+ ' "$out" || true
fi
grep -E '^(seed -?[0-9]+ trace|simulate: seed|simulate: [0-9]+ seeds in)' "$out" || true
echo "$summary"
case "$summary" in
  *", 0 failures") exit 0 ;;
  *) exit 1 ;;
esac
