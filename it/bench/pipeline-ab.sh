#!/usr/bin/env bash
# Side-by-side pipeline benchmark of two revisions of Kiln, run alternately in one session so both see
# the same machine load (the order flips from pair to pair): `it/bench/pipeline-ab.sh BEFORE AFTER [PAIRS]` (git revisions, default 2 pairs).
# Each revision is checked out into its own temporary worktree and runs PipelineBenchmark there (render,
# bake, launch, verify, terminate in one JVM: one cold run with an empty image store, then warm runs);
# the sandbox's base root filesystems are shared (~/.cache/kiln/base). Prints each run's totals, the mean
# per revision and after/before (stdout), and each run's step and control table (stderr). Needs root.
set -euo pipefail
[[ $# -ge 2 ]] || { echo "usage: $0 BEFORE AFTER [PAIRS]" >&2; exit 2; }
before=$1 after=$2 pairs=${3:-2}
[[ $pairs =~ ^[1-9][0-9]?$ ]] || { echo "PAIRS must be a number from 1 to 99, got '$pairs'" >&2; exit 2; }
repo=$(git -C "$(dirname "$0")" rev-parse --show-toplevel)
work=$(mktemp -d)
cleanup() {
  for side in before after; do
    git -C "$repo" worktree remove --force "$work/$side" 2>/dev/null || true
  done
  rm -rf "$work"
}
trap cleanup EXIT
git -C "$repo" worktree add -q --detach "$work/before" "$before"
git -C "$repo" worktree add -q --detach "$work/after" "$after"

# One run: prints "cold warm-mean" (seconds) from the benchmark's total row.
run() {
  local dir=$1
  (cd "$dir" && ./mvnw -B -ntp -o -q -pl plugin -am test -Dtest=PipelineBenchmark -Dkiln.bench=true \
    -Dsurefire.failIfNoSpecifiedTests=false -Djacoco.skip=true -Dspotbugs.skip=true >"$dir/bench.log" 2>&1) \
    || { echo "PipelineBenchmark failed in $dir; log: $dir/bench.log" >&2; tail -40 "$dir/bench.log" >&2; exit 1; }
  # Each run's table (steps and the last warm verify's controls) goes to stderr, so the split of the
  # difference between render, bake, launch, verify and terminate is visible too.
  { echo "--- $(basename "$dir") ($(git -C "$dir" rev-parse --short HEAD))"; cat "$dir/plugin/target/pipeline-benchmark.md"; } >&2
  awk -F'|' '$2 ~ /^ *total *$/ { c = $3 + 0; s = 0; n = 0;
      for (i = 4; i < NF; i++) if ($i ~ /[0-9]/) { s += $i; n++ }
      printf "%.2f %.2f\n", c, s / n }' "$dir/plugin/target/pipeline-benchmark.md"
}

declare -a cold_b warm_b cold_a warm_a
printf '%-6s %-8s %10s %10s   (load average)\n' pair rev cold_s warm_s
for ((i = 1; i <= pairs; i++)); do
  # Odd pairs run before first, even pairs after first: what a run leaves behind (page cache, the
  # load of the previous compile) falls on both sides alike.
  order="before after"
  ((i % 2 == 0)) && order="after before"
  for side in $order; do
    read -r c w < <(run "$work/$side")
    printf '%-6s %-8s %10s %10s   (%s)\n' "$i" "$side" "$c" "$w" "$(cut -d' ' -f1-3 /proc/loadavg)"
    if [[ $side == before ]]; then cold_b+=("$c"); warm_b+=("$w"); else cold_a+=("$c"); warm_a+=("$w"); fi
  done
done
mean() { printf '%s\n' "$@" | awk '{ s += $1 } END { printf "%.2f", s / NR }'; }
cb=$(mean "${cold_b[@]}") wb=$(mean "${warm_b[@]}") ca=$(mean "${cold_a[@]}") wa=$(mean "${warm_a[@]}")
echo
echo "before $(git -C "$repo" rev-parse --short "$before"): cold $cb s, warm $wb s (mean of $pairs)"
echo "after  $(git -C "$repo" rev-parse --short "$after"): cold $ca s, warm $wa s (mean of $pairs)"
awk -v cb="$cb" -v wb="$wb" -v ca="$ca" -v wa="$wa" \
  'BEGIN { printf "after/before: cold %.3f, warm %.3f\n", ca / cb, wa / wb }'
