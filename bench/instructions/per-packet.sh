#!/usr/bin/env bash
# Steady-state instructions per packet of one part of the analysis, independent of machine load:
# (instructions for one pass over SMALL) subtracted from (one pass over BIG), divided by the
# packets between. Needs valgrind. MODE: walk | decode | facts | none (decode+facts+flows) |
# all (every hook but path) | pass (CapturePass, what `read` runs) | NAME[,NAME] (those hooks).
#   bench/instructions/per-packet.sh dist SMALL.pcap BIG.pcap MODE
# NODE_FLAGS adds V8 flags to the counted runs (e.g. NODE_FLAGS=--max-inlined-bytecode-size=900).
# SMALL/BIG: e.g. the first 50k and 200k packets of a bench/generate.ts capture (editcap -r).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
dist="$1" small="$2" big="$3" mode="$4"
count() { valgrind --tool=cachegrind --cache-sim=no --cachegrind-out-file=/dev/null node --single-threaded ${NODE_FLAGS:-} "$here/one-pass.mjs" "$dist" "$1" "$mode" 1 2>&1 | grep -E "I *refs" | awk '{gsub(",","",$NF); print $NF}'; }
packets() { capinfos -c -M "$1" | awk '/Number of packets/ {print $NF}'; }
a=$(count "$small"); b=$(count "$big")
echo "$mode $(( (b - a) / ($(packets "$big") - $(packets "$small")) ))"
