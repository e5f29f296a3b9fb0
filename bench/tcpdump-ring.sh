#!/usr/bin/env bash
# How many packets tcpdump's kernel ring holds in immediate mode while tcpdump is not
# scheduled: `tcpdump -i any --immediate-mode -s 0` in one of two network namespaces joined
# by a veth pair, stopped (SIGSTOP) during a 100-ping flood (200 packets), then resumed and
# stopped; prints tcpdump's own "captured" and "dropped by kernel" counts, with the default
# buffer and with -B 32768 (what the lab uses). Root; addresses 198.18.0.1-2 inside the
# namespaces only; the namespaces are deleted on exit.
#   bench/tcpdump-ring.sh
set -u
NS1=ndring1; NS2=ndring2
delns() { ip netns del $NS1 2>/dev/null; ip netns del $NS2 2>/dev/null; }
delns
out="$(mktemp -d)"
trap 'delns; rm -rf "$out"' EXIT
ip netns add $NS1; ip netns add $NS2
ip link add ndr0 netns $NS1 type veth peer name ndr1 netns $NS2
ip -n $NS1 addr add 198.18.0.1/24 dev ndr0; ip -n $NS2 addr add 198.18.0.2/24 dev ndr1
ip -n $NS1 link set ndr0 up; ip -n $NS2 link set ndr1 up; ip -n $NS1 link set lo up
for B in "" "-B 32768"; do
  # shellcheck disable=SC2086
  ip netns exec $NS1 timeout 30 tcpdump -i any --immediate-mode $B -n -s 0 -w "$out/ring.pcap" 2> "$out/ring.err" &
  T=$!; sleep 1
  P=$(pgrep -n -x tcpdump); kill -STOP "$P"
  ip netns exec $NS2 timeout 20 ping -f -c 100 -s 1000 198.18.0.1 > /dev/null 2>&1
  kill -CONT "$P"; sleep 0.5; kill -INT "$P"; wait $T
  echo "tcpdump ${B:-(default buffer)}: $(grep -E 'captured|dropped by kernel' "$out/ring.err" | tr '\n' ' ')"
done
