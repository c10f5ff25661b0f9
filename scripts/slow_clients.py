#!/usr/bin/env python3
"""Slow-client attack on a facet server, on loopback only (see scripts/slow_clients_bench.sh).

Opens IDLE connections that send nothing and TRICKLE connections that send a request head one
byte every TRICKLE_INTERVAL seconds, all from ATTACKER_ADDR (another loopback address), reopening
every one the server closes; meanwhile it times one fresh GET /health from 127.0.0.1 every PROBE_
INTERVAL seconds. Prints the probe latencies (p50, p99, max, failures), how many attack
connections were open, and the server's threads and RSS (from /proc) during the attack.
"""
import argparse
import os
import selectors
import socket
import sys
import time


def server_stats(pid):
    """Threads, RSS (KiB) and open file descriptors of the server."""
    threads = rss = 0
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("Threads:"):
                threads = int(line.split()[1])
            elif line.startswith("VmRSS:"):
                rss = int(line.split()[1])
    return threads, rss, len(os.listdir(f"/proc/{pid}/fd"))


def probe(port, timeout):
    start = time.monotonic()
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
            s.settimeout(timeout)
            s.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            data = b""
            while b"\r\n\r\n" not in data:
                chunk = s.recv(4096)
                if not chunk:
                    break
                data += chunk
            status = int(data[9:12]) if data.startswith(b"HTTP/1.1 ") else 0
    except OSError:
        status = 0
    return time.monotonic() - start, status


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--pid", type=int, required=True)
    ap.add_argument("--idle", type=int, default=1000)
    ap.add_argument("--trickle", type=int, default=250)
    ap.add_argument("--trickle-interval", type=float, default=2.0)
    ap.add_argument("--duration", type=float, default=60.0)
    ap.add_argument("--probe-interval", type=float, default=0.25)
    ap.add_argument("--attacker-addr", default="127.0.0.2")
    args = ap.parse_args()
    if not args.attacker_addr.startswith("127."):
        sys.exit("slow_clients.py: the attacker address must be a loopback address")

    sel = selectors.DefaultSelector()
    conns = {}  # socket -> kind ("idle" or "trickle")
    reopened = 0

    def open_one(kind):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.bind((args.attacker_addr, 0))
        s.setblocking(False)
        try:
            s.connect(("127.0.0.1", args.port))
        except BlockingIOError:
            pass
        except OSError:
            s.close()
            return
        conns[s] = kind
        sel.register(s, selectors.EVENT_READ)

    for _ in range(args.idle):
        open_one("idle")
    for _ in range(args.trickle):
        open_one("trickle")
    head = b"GET /health HTTP/1.1\r\nHost: x\r\nX-Trickle: " + b"a" * 100000
    offset = 0
    latencies, failures, statuses = [], 0, {}
    max_threads = max_rss = 0
    server_fds = []
    start = time.monotonic()
    next_trickle = start
    next_probe = start + 1.0  # let the connections settle first
    while time.monotonic() - start < args.duration:
        now = time.monotonic()
        for key, _ in sel.select(timeout=0.02):
            s = key.fileobj
            try:
                data = s.recv(65536)
            except OSError:
                data = b""
            if not data:  # closed (or refused) by the server: reopen, as the attack does
                sel.unregister(s)
                kind = conns.pop(s)
                s.close()
                open_one(kind)
                reopened += 1
        if now >= next_trickle:
            for s, kind in list(conns.items()):
                if kind == "trickle":
                    try:
                        s.send(head[offset:offset + 1])
                    except OSError:
                        pass
            offset += 1
            next_trickle = now + args.trickle_interval
        if now >= next_probe:
            took, status = probe(args.port, 10.0)
            statuses[status] = statuses.get(status, 0) + 1
            if status == 200:
                latencies.append(took)
            else:
                failures += 1
            threads, rss, fds = server_stats(args.pid)
            max_threads, max_rss = max(max_threads, threads), max(max_rss, rss)
            server_fds.append(fds)
            next_probe = now + args.probe_interval
    for s in conns:
        s.close()
    latencies.sort()

    def pct(p):
        return 1000 * latencies[min(len(latencies) - 1, int(p * len(latencies)))] if latencies else 0

    print(f"attack: {args.idle} idle + {args.trickle} trickling (1 byte / {args.trickle_interval} s) "
          f"connections from {args.attacker_addr}, {args.duration:.0f} s; "
          f"{reopened} reopened after the server closed or refused them")
    print(f"probes: {len(latencies) + failures} GET /health from 127.0.0.1: "
          f"p50 {pct(0.50):.1f} ms, p99 {pct(0.99):.1f} ms, max {pct(1.0):.1f} ms, "
          f"failed {failures} (statuses {statuses})")
    print(f"server: at most {max_threads} threads, at most {max_rss // 1024} MiB RSS, "
          f"open file descriptors (connections + files) median {sorted(server_fds)[len(server_fds) // 2]}"
          f" max {max(server_fds)}")
    ok = failures == 0 and latencies and latencies[-1] < 1.0
    print("RESULT " + ("PASS: every probe answered within 1 s" if ok else "FAIL"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
