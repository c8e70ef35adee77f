#!/usr/bin/env bash
# Render benchmark: warm in-JVM render of all five recipes, then the whole `mvn kiln:render` process.
# Usage (from the repository root, after `./mvnw -q install -DskipTests -Dinvoker.skip`): it/bench/render.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
./mvnw -B -ntp -o -pl plugin -am test -Dkiln.bench=true -Dtest=RenderBenchmark \
  -Dsurefire.failIfNoSpecifiedTests=false | grep 'render-bench:'
runs=5
total=0
for i in $(seq $runs); do
  s=$(date +%s%N)
  ./mvnw -q -B -ntp -o -f it/example kiln:render -Dkiln.recipes=al2023,ubuntu-24.04,ubuntu-22.04,debian-12,rhel-9 >/dev/null
  e=$(( ($(date +%s%N) - s) / 1000000 ))
  echo "mvn kiln:render process, 5 recipes, run $i: ${e} ms"
  total=$((total + e))
done
echo "mvn kiln:render process mean: $((total / runs)) ms"
