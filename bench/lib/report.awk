# Turns runs.csv (one line per redis-benchmark run) into the markdown report of proxy-bench.sh.
# Every ratio is computed per round (keymesh and direct measured back to back in the same round),
# then the median over rounds is shown; rps columns are medians over rounds.
# Input columns:
#   round,case,test,pipeline,size,target,requests,rps,avg_ms,min_ms,p50_ms,p95_ms,p99_ms,max_ms,cpu_us_per_op,stderr_lines
BEGIN { FS = "," }
NR == 1 { next }
{
  k = $2 + 0
  if (!(k in seen)) {
    seen[k] = 1; cases[++nc] = k
    tst[k] = toupper($3); pl[k] = $4; sz[k] = $5
    label[k] = sprintf("%s -P %s -d %s", tst[k], $4, $5)
  }
  r = $1 + 0; t = $6
  if (!(r in rseen)) { rseen[r] = 1; rl[++nr] = r }
  has[t] = 1
  rps[k, t, r] = $8; p50[k, t, r] = $11; p99[k, t, r] = $13; cpu[k, t, r] = $15
  errs[k, t] += $16
}

function isnum(x) { return x ~ /^[0-9.]+$/ }

# median of a[1..n] (sorted in place)
function median(a, n,    i, j, v) {
  if (n == 0) return "NA"
  for (i = 2; i <= n; i++) { v = a[i]; j = i - 1; while (j > 0 && a[j] > v) { a[j + 1] = a[j]; j-- } a[j + 1] = v }
  return (n % 2) ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}

# fills a[] with metric m of target t for case k over rounds; returns the count
function collect(m, k, t, a,    i, r, v, n) {
  n = 0; delete a
  for (i = 1; i <= nr; i++) {
    r = rl[i]
    v = (m == "rps") ? rps[k, t, r] : (m == "p50") ? p50[k, t, r] : (m == "p99") ? p99[k, t, r] : cpu[k, t, r]
    if (isnum(v)) a[++n] = v + 0
  }
  return n
}

# per-round ratio rps(t1)/rps(t2) (op "ratio") or difference m(t1)-m(t2) (op "diff" with metric m)
function paired(op, m, k, t1, t2, a,    i, r, x, y, n) {
  n = 0; delete a
  for (i = 1; i <= nr; i++) {
    r = rl[i]
    if (op == "ratio") { x = rps[k, t1, r]; y = rps[k, t2, r] }
    else if (m == "p50") { x = p50[k, t1, r]; y = p50[k, t2, r] }
    else { x = p99[k, t1, r]; y = p99[k, t2, r] }
    if (!isnum(x) || !isnum(y)) continue
    if (op == "ratio") { if (y + 0 > 0) a[++n] = x / y }
    else a[++n] = x - y
  }
  return n
}

function fmt(x, f) { return (x == "NA") ? "NA" : sprintf(f, x) }
function spread(a, n) { return (n < 2) ? "" : sprintf(" (%.2f-%.2f)", a[1], a[n]) }  # a sorted by median()
function mark(k, t) { return errs[k, t] > 0 ? "!" : "" }

END {
  tw = ("twemproxy" in has)
  printf "### Throughput and latency\n\n"
  printf "Medians over %d round(s). Ratios are per-round keymesh/direct (range over rounds in brackets);\n", nr
  printf "+p50/+p99 are per-round added latency vs direct, in ms. `!` marks runs that printed errors.\n\n"
  if (tw) {
    printf "| case | direct rps | keymesh rps | keymesh/direct | km +p50 | km +p99 | twemproxy rps | twem/direct | tw +p50 | tw +p99 | keymesh/twem | keymesh ahead |\n"
    printf "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|:---:|\n"
  } else {
    printf "| case | direct rps | keymesh rps | keymesh/direct | km +p50 | km +p99 |\n"
    printf "|---|---:|---:|---:|---:|---:|\n"
  }
  for (c = 1; c <= nc; c++) {
    k = cases[c]
    n = collect("rps", k, "direct", A); dr = median(A, n)
    n = collect("rps", k, "keymesh", A); kr = median(A, n)
    n = paired("ratio", "", k, "keymesh", "direct", A); kd = median(A, n); kds = spread(A, n)
    KD[k] = kd
    n = paired("diff", "p50", k, "keymesh", "direct", A); k50 = median(A, n)
    n = paired("diff", "p99", k, "keymesh", "direct", A); k99 = median(A, n)
    line = sprintf("| %s | %s%s | %s%s | **%s**%s | %s | %s |", label[k], fmt(dr, "%.0f"), mark(k, "direct"),
      fmt(kr, "%.0f"), mark(k, "keymesh"), fmt(kd, "%.2f"), kds, fmt(k50, "%+.3f"), fmt(k99, "%+.3f"))
    if (tw) {
      n = collect("rps", k, "twemproxy", A); tr = median(A, n)
      n = paired("ratio", "", k, "twemproxy", "direct", A); td = median(A, n)
      n = paired("diff", "p50", k, "twemproxy", "direct", A); t50 = median(A, n)
      n = paired("diff", "p99", k, "twemproxy", "direct", A); t99 = median(A, n)
      n = paired("ratio", "", k, "keymesh", "twemproxy", A); kt = median(A, n); kts = spread(A, n)
      KT[k] = kt
      ahead = (kt == "NA") ? "NA" : (kt > 1 ? "yes" : "no")
      line = line sprintf(" %s%s | %s | %s | %s | %s%s | %s |", fmt(tr, "%.0f"), mark(k, "twemproxy"), fmt(td, "%.2f"),
        fmt(t50, "%+.3f"), fmt(t99, "%+.3f"), fmt(kt, "%.2f"), kts, ahead)
    }
    print line
  }

  printf "\n### Server-side CPU per request\n\n"
  printf "CPU time (user+sys, from /proc) of the serving processes during the run divided by requests, in µs,\n"
  printf "median over rounds: direct = its redis-server; keymesh = JVM + its managed redis-server;\n"
  printf "twemproxy = nutcracker + the direct redis-server. 10 ms tick resolution; the client is not counted.\n\n"
  if (tw) { printf "| case | direct | keymesh | keymesh/direct | twemproxy | twem/direct |\n|---|---:|---:|---:|---:|---:|\n" }
  else { printf "| case | direct | keymesh | keymesh/direct |\n|---|---:|---:|---:|\n" }
  for (c = 1; c <= nc; c++) {
    k = cases[c]
    n = collect("cpu", k, "direct", A); dc = median(A, n)
    n = collect("cpu", k, "keymesh", A); kc = median(A, n)
    line = sprintf("| %s | %s | %s | %s |", label[k], fmt(dc, "%.2f"), fmt(kc, "%.2f"),
      (dc == "NA" || kc == "NA" || dc == 0) ? "NA" : sprintf("%.1fx", kc / dc))
    if (tw) {
      n = collect("cpu", k, "twemproxy", A); tc = median(A, n)
      line = line sprintf(" %s | %s |", fmt(tc, "%.2f"), (dc == "NA" || tc == "NA" || dc == 0) ? "NA" : sprintf("%.1fx", tc / dc))
    }
    print line
  }

  printf "\n### Targets\n\n"
  printf "| target | case | measured | result |\n|---|---|---:|:---:|\n"
  pass = 0; miss = 0
  for (c = 1; c <= nc; c++) {
    k = cases[c]
    if (tst[k] != "GET" && tst[k] != "SET") continue
    goal = (pl[k] == 1) ? 0.9 : (pl[k] == 16 ? 0.6 : "")
    if (goal == "") continue
    ok = (KD[k] != "NA" && KD[k] >= goal)
    if (ok) pass++; else miss++
    printf "| keymesh/direct >= %.1f | %s | %s | %s |\n", goal, label[k], fmt(KD[k], "%.2f"), ok ? "PASS" : "MISS"
  }
  if (tw) {
    ahead = 0
    for (c = 1; c <= nc; c++) {
      k = cases[c]
      ok = (KT[k] != "NA" && KT[k] > 1)
      if (ok) { ahead++; pass++ } else miss++
      printf "| keymesh ahead of twemproxy | %s | %s | %s |\n", label[k], fmt(KT[k], "%.2f"), ok ? "PASS" : "MISS"
    }
    printf "\nkeymesh ahead of twemproxy in %d of %d cases: %s\n", ahead, nc, (ahead == nc) ? "PASS" : "MISS"
  } else {
    printf "\n(twemproxy not run: the \"ahead of twemproxy\" targets were not measured)\n"
  }
  printf "\nTargets: %d PASS, %d MISS\n", pass, miss
}
