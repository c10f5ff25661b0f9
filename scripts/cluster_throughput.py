#!/usr/bin/python3
"""Identify throughput of a facet cluster (scripts/cluster.sh): one node against all nodes.

    /usr/bin/python3 scripts/cluster_throughput.py --dir DIR [--seconds 20] [--clients 8]

Enrolls one person in a person group of its own, then runs `clients` threads for `seconds`
each phase: (1) every client on node 1; (2) the clients spread over every node. Each client
detects once on its node (faceIds live in one node's memory) and then identifies in a loop;
with --detect each iteration also runs detect (inference: one worker per node). Prints JSON:
requests per second per phase and the ratio.
"""
import argparse
import json
import os
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cluster_client import (GROUPS, SAMPLES, Api, Cluster, detect_ids, enroll,  # noqa: E402
                            identify_names, percentile)


def phase(c, group, photo, urls, clients, seconds, with_detect):
    stop = threading.Event()
    done, errors, latencies = [0] * clients, [0] * clients, [[] for _ in range(clients)]

    def client(k):
        api = Api(urls[k % len(urls)], c.key)
        ids = detect_ids(api, photo)
        while not stop.is_set():
            t = time.time()
            if with_detect:
                ids = detect_ids(api, photo)
            status, names = identify_names(api, group, ids, timeout=30)
            latencies[k].append((time.time() - t) * 1000)
            if status == 200:
                done[k] += 1
            else:
                errors[k] += 1
    threads = [threading.Thread(target=client, args=(k,), daemon=True) for k in range(clients)]
    for t in threads:
        t.start()
    time.sleep(2)  # warm-up: every client detected and identified once
    before, t0 = sum(done), time.time()
    time.sleep(seconds)
    after, t1 = sum(done), time.time()
    stop.set()
    for t in threads:
        t.join()
    every = [x for per in latencies for x in per]
    return {"nodes": len(urls), "clients": clients, "per_second": round((after - before) / (t1 - t0), 1),
            "errors": sum(errors), "latency_ms_p50": round(percentile(every, 50), 2),
            "latency_ms_p99": round(percentile(every, 99), 2)}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--dir", default="/tmp/facet-cluster")
    ap.add_argument("--seconds", type=float, default=20)
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--detect", action="store_true", help="detect + identify per iteration")
    args = ap.parse_args()
    c = Cluster(args.dir)
    photo = open(os.path.join(SAMPLES, "sample3.jpg"), "rb").read()
    admin = Api(c.nodes[0], c.key)
    group = "throughput%d" % int(time.time())
    status, body = admin.call("PUT", GROUPS + "/" + group, {"purpose": "throughput test"})
    assert status == 200, (status, body)
    enroll(admin, group, "tp-person", photo)
    time.sleep(1)
    one = phase(c, group, photo, c.nodes[:1], args.clients, args.seconds, args.detect)
    print(json.dumps(one), file=sys.stderr)
    every = phase(c, group, photo, c.nodes, args.clients, args.seconds, args.detect)
    print(json.dumps(every), file=sys.stderr)
    print(json.dumps({"detect": args.detect, "one_node": one, "all_nodes": every,
                      "ratio": round(every["per_second"] / max(one["per_second"], 1e-9), 2)},
                     indent=1))


if __name__ == "__main__":
    main()
