# Aggregates `jfr print --events jdk.ExecutionSample --stack-depth 64 FILE.jfr` output (one or more
# files) into markdown tables: top frames by self time, keymesh methods on the stack (inclusive),
# self time by package, samples by thread. Used by profile-keymesh.sh; also by hand:
#   awk -v top=15 -f bench/lib/jfr-top.awk bench/results/profile-*/samples.txt
# -v native=N adds the native-sample count to the heading line.
function strip(f) { sub(/^[ \t]+/, "", f); sub(/[ \t]+line:.*$/, "", f); sub(/[ \t]+$/, "", f); return f }
/^jdk.ExecutionSample/ { total++; depth = -1; delete onstack; next }
/sampledThread = / { t = $0; sub(/.*sampledThread = "/, "", t); sub(/".*/, "", t)
                     gsub(/[0-9]+$/, "N", t); threads[t]++ }
/stackTrace = \[/ { depth = 0; next }
depth >= 0 && /^[ \t]*\]/ { depth = -1; next }
depth >= 0 {
  f = strip($0)
  if (f == "..." || f == "") next
  if (depth == 0) self[f]++
  depth++
  if (f ~ /^io\.keymesh\./ && !(f in onstack)) { onstack[f] = 1; km[f]++ }   # once per sample
  p = f; sub(/\.[^.]+\(.*$/, "", p); sub(/\.[^.]+$/, "", p)   # package of the top frame
  if (depth == 1) pkg[p]++
}
function topn(arr, n, title, hdr,    k, i, j, best, bk, done2, m) {
  printf "%s\n\n%s\n", title, hdr
  delete done2
  for (i = 1; i <= n; i++) {
    best = -1; bk = ""
    for (k in arr) if (!(k in done2) && arr[k] > best) { best = arr[k]; bk = k }
    if (bk == "") break
    done2[bk] = 1
    printf "| %d | %d | %.1f%% | `%s` |\n", i, arr[bk], 100 * arr[bk] / total, bk
  }
  printf "\n"
}
END {
  if (total == 0) { print "no jdk.ExecutionSample events recorded"; exit }
  if (native == "") printf "%d Java execution samples (jdk.ExecutionSample).\n\n", total
  else {
    printf "%d Java execution samples (jdk.ExecutionSample); %d native-method samples (threads in JNI/syscalls,\n", total, native
    printf "e.g. epoll_wait, read, write: not included below).\n\n"
  }
  topn(self, top, "### Top frames (self time)", "| # | samples | share | frame |\n|---:|---:|---:|---|")
  topn(km, top, "### keymesh methods on the stack (inclusive)", "| # | samples | share | method |\n|---:|---:|---:|---|")
  topn(pkg, 10, "### Self time by package", "| # | samples | share | package |\n|---:|---:|---:|---|")
  topn(threads, 8, "### Samples by thread", "| # | samples | share | thread (digits folded to N) |\n|---:|---:|---:|---|")
}
