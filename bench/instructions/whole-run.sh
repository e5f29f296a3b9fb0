#!/usr/bin/env bash
# Instructions of one whole `netdiag read CAPTURES... --format json` in one process (start-up,
# every capture's pass, the correlation, the report), independent of machine load. Needs valgrind.
#   bench/instructions/whole-run.sh DIST CAPTURE [CAPTURE...]
# DIST: a directory holding a tsc build (dist/src/cli.js), e.g. . or a worktree of another commit.
set -euo pipefail
dist="$1"; shift
out="$(mktemp)"; trap 'rm -f "$out"' EXIT
NETDIAG_NO_WORKERS=1 valgrind --tool=cachegrind --cache-sim=no --cachegrind-out-file=/dev/null \
  node --single-threaded "$dist/dist/src/cli.js" read "$@" --format json --output "$out" 2>&1 \
  | grep -E "I *refs" | awk '{gsub(",","",$NF); print $NF}'
