#!/usr/bin/env python3
"""flannel's UDP backend in user space, as flanneld does it.

Reads IP packets from the TUN device flannel0, looks up which node owns the
destination pod subnet and sends the packet, unchanged, as the payload of a
UDP datagram to that node's port 8285; datagrams received on 8285 are written
back into flannel0. Runs inside a node namespace, for at most --ttl seconds.

    udp-tunnel.py --dev flannel0 --local 198.18.0.1 --port 8285 --ttl 60 \
        --subnet 100.96.2.0/24=198.18.0.2 [--subnet ...]

(Python, because attaching to a TUN device needs the TUNSETIFF ioctl, which
Node.js cannot issue.)
"""
import argparse
import fcntl
import ipaddress
import os
import select
import socket
import struct
import sys
import time

TUNSETIFF = 0x400454CA
IFF_TUN = 0x0001
IFF_NO_PI = 0x1000


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--dev", default="flannel0")
    ap.add_argument("--local", required=True)
    ap.add_argument("--port", type=int, default=8285)
    ap.add_argument("--ttl", type=float, default=60)
    ap.add_argument("--subnet", action="append", default=[])
    args = ap.parse_args()

    routes = []
    for s in args.subnet:
        net, node = s.split("=")
        routes.append((ipaddress.ip_network(net), node))

    tun = os.open("/dev/net/tun", os.O_RDWR)
    fcntl.ioctl(tun, TUNSETIFF, struct.pack("16sH", args.dev.encode(), IFF_TUN | IFF_NO_PI))
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind((args.local, args.port))
    print(f"ready {args.dev} udp/{args.port}", flush=True)

    deadline = time.monotonic() + args.ttl
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return 0
        readable, _, _ = select.select([tun, sock], [], [], min(left, 1.0))
        if tun in readable:
            pkt = os.read(tun, 65535)
            if len(pkt) >= 20 and pkt[0] >> 4 == 4:
                dst = ipaddress.ip_address(pkt[16:20])
                for net, node in routes:
                    if dst in net:
                        sock.sendto(pkt, (node, args.port))
                        break
        if sock in readable:
            data, _ = sock.recvfrom(65535)
            os.write(tun, data)


if __name__ == "__main__":
    sys.exit(main())
