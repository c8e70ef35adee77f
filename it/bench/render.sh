#!/usr/bin/env bash
# Render benchmark: warm in-JVM render of all five recipes, then the whole `mvn kiln:render` process.
# Usage (from the repository root, after `./mvnw -q install -DskipTests -Dinvoker.skip`): it/bench/render.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
./mvnw -B -ntp -o -pl plugin -am test -Dkiln.bench=true -Dtest=RenderBenchmark \
  -Dsurefire.failIfNoSpecifiedTests=false | grep 'render-bench:'
# The same process with kiln.skip: Maven's start-up and plugin loading alone, side by side.
runs=5
for mode in render skip; do
  total=0
  for i in $(seq $runs); do
    s=$(date +%s%N)
    ./mvnw -q -B -ntp -o -f it/example kiln:render -Dkiln.skip=$([ $mode = skip ] && echo true || echo false) \
      -Dkiln.recipes=al2023,ubuntu-24.04,ubuntu-22.04,debian-12,rhel-9 >/dev/null
    total=$((total + ($(date +%s%N) - s) / 1000000))
  done
  echo "mvn kiln:render process ($mode), 5 recipes: mean $((total / runs)) ms over $runs runs"
done
