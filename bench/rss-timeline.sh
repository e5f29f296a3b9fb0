#!/usr/bin/env bash
# When a run's memory grows: the resident set of `netdiag read CAPTURE... --format json`,
# sampled every 0.1 s from /proc, printed as the largest value in each STEP seconds (default 2).
#   [STEP=1] bench/rss-timeline.sh CAPTURE...
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
step="${STEP:-2}"
out="$(mktemp)"; samples="$(mktemp)"; trap 'rm -f "$out" "$samples"' EXIT
node "$here/bin/netdiag.js" read "$@" --format json --output "$out" &
pid=$!
start=$(date +%s%N)
while kill -0 "$pid" 2>/dev/null; do
  kib=$(awk '/^VmRSS/ {print $2}' "/proc/$pid/status" 2>/dev/null || true)
  [ -n "$kib" ] && echo "$(( ($(date +%s%N) - start) / 1000000 )) $kib" >> "$samples"
  sleep 0.1
done
wait "$pid"
echo "seconds  peak RSS MiB"
awk -v step="$step" '{ b = int($1 / 1000 / step) * step; if ($2 > m[b]) m[b] = $2 } END { for (b in m) printf "%7.1f  %6.1f\n", b, m[b] / 1024 }' "$samples" | sort -n
