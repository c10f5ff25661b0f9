#!/usr/bin/python3
"""Fault tests of a facet cluster started by scripts/cluster.sh (docs/cluster.md).

    /usr/bin/python3 scripts/cluster_faults.py --dir DIR [--failovers N] [--json OUT]

Against the cluster in DIR (its HAProxy endpoint, nodes and admin key), under an enroll/erase
load through HAProxy:
  1. erase visibility: after each erase, every node is probed (identify of the erased person's
     photo) every few ms until none matches; the time from the erase's answer to the last match.
  2. kill -9 of one facet node under identify load: requests that failed through HAProxy, and the
     time until the node is ready again after a restart.
  3. SIGSTOP of a node for 2 s (past its lease) while a person is erased: after SIGCONT it
     refuses (503 NodeStale) until it has proven itself current again, and no answer names the
     erased person (a stale answer).
  3b. every node cut off from PostgreSQL (HAProxy, which carries the nodes' database
     connections, SIGSTOPped): each fails /readyz within its lease and refuses identify with 503
     NodeStale, then answers again.
  3c. read-your-writes: a write through node 1 and an identify on node 2 carrying its
     Facet-Min-Change: node 2 reflects the write every time.
  4. kill -9 of the PostgreSQL primary (its Patroni and postmaster: the machine dies) N times, the
     member restarted each time (it rejoins as a standby): the write outage of each failover.
  5. (--rogue) the primary dies, the standby is promoted, and the old primary is restarted by
     hand outside Patroni, writable with the old history: no write may land on it.
Then every write the client saw acknowledged is checked against the cluster (persons present
with at least their acknowledged faces, erased ones absent) and the audit chain is verified end
to end. Exit 1 if any acknowledged write was lost, a stale answer was given, or the chain breaks.
"""
import argparse
import json
import os
import signal
import subprocess
import sys
import threading
import time

from cluster_client import (GROUPS, SAMPLES, Api, Cluster, Load, detect_ids, enroll,
                            identify_names, kill9, percentile)


def erase_visibility(c, group, photo, rounds):
    """Enroll, erase through node 1, probe every node until none names the person."""
    apis = [Api(u, c.key) for u in c.nodes]
    ids = [detect_ids(a, photo) for a in apis]
    delays, clean, stale_after_tmax = [], [], 0
    admin = Api(c.nodes[0], c.key)
    for r in range(rounds):
        person = "erase%d-%d" % (r, int(time.time()))
        change = enroll(admin, group, person, photo)
        # Another node may apply the enrollment up to its lease later: ask each to have it first
        # (read-your-writes), so that this checks the erasure below, not a race with the log.
        for a, i in zip(apis, ids):
            found = identify_names(a, group, i, headers_in={"Facet-Min-Change": str(change)})[1]
            assert person in (found or set()), "enrolled but not found"
        status, _ = admin.call("DELETE", "%s/%s/persons/%s" % (GROUPS, group, person))
        t0 = time.time()
        assert status == 200
        last_match = t0
        pending = set(range(len(apis)))
        while pending and time.time() - t0 < 5:
            for k in list(pending):
                _, names = identify_names(apis[k], group, ids[k])
                if names is not None and person in names:
                    last_match = time.time()
                elif names is not None:
                    pending.discard(k)
            time.sleep(0.01)
        delay = last_match - t0
        delays.append(delay * 1000)
        clean.append((time.time() - t0) * 1000)
        if delay > 0.5 or pending:
            stale_after_tmax += 1
    return {"erase_visible_ms_p50": percentile(delays, 50),
            "erase_visible_ms_p99": percentile(delays, 99),
            "erase_visible_ms_max": max(delays), "rounds": rounds,
            "all_nodes_answered_clean_ms_p50": percentile(clean, 50),
            "all_nodes_answered_clean_ms_max": max(clean),
            "still_matching_after_500ms": stale_after_tmax}


def node_kill(c, group, photo):
    """kill -9 node 1 while a client identifies through HAProxy; restart it; time to ready."""
    api = Api(c.endpoint, c.key, client="node-kill")
    errors, calls, stop, statuses = [0], [0], threading.Event(), {}

    def load():
        ids = detect_ids(api, photo)
        while not stop.is_set():
            status, names = identify_names(api, group, ids)
            calls[0] += 1
            if status == 404:  # the faceIds lived on the node that died: detect again
                ids = detect_ids(api, photo)
            elif names is None:
                errors[0] += 1
                statuses[status] = statuses.get(status, 0) + 1
    t = threading.Thread(target=load, daemon=True)
    t.start()
    time.sleep(1)
    try:
        out = _node_kill(c, calls, errors, stop, t)
        out["failed_by_status"] = {str(k): v for k, v in statuses.items()}
        return out
    finally:
        stop.set()


def _node_kill(c, calls, errors, stop, t):
    kill9(c.pid("node1"))
    t_kill = time.time()
    time.sleep(2)
    before = calls[0]
    c.sh("start-node", "1")
    t_start = time.time()
    while not c.ready(c.nodes[0]) and time.time() - t_start < 120:
        time.sleep(0.05)
    ready_s = time.time() - t_start
    time.sleep(1)
    stop.set()
    t.join()
    return {"identify_calls": calls[0], "failed_calls": errors[0],
            "calls_while_node_down": before, "node_restart_to_ready_s": round(ready_s, 2),
            "since_kill_s": round(time.time() - t_kill, 1)}


def sigstop(c, group, photo):
    """SIGSTOP node 2 for 2 s (past its 500 ms lease); erase a person meanwhile. After SIGCONT it
    is probed every 5 ms: each answer is a refusal (503 NodeStale, Retry-After) or does not name
    the erased person; the time until it answers again."""
    if len(c.nodes) < 2:
        return {"skipped": "needs 2 nodes"}
    admin = Api(c.nodes[0], c.key)
    node2 = Api(c.nodes[1], c.key)
    person = "stopped%d" % int(time.time())
    enroll(admin, group, person, photo)
    ids = detect_ids(node2, photo)
    assert person in (identify_names(node2, group, ids)[1] or set())
    pid = c.pid("node2")
    os.kill(pid, signal.SIGSTOP)
    try:
        assert admin.call("DELETE", "%s/%s/persons/%s" % (GROUPS, group, person))[0] == 200
        time.sleep(2)
    finally:
        os.kill(pid, signal.SIGCONT)
    t0 = time.time()
    statuses, stale, refusals_well_formed, first, recovered_ms = {}, 0, True, None, None
    while time.time() - t0 < 5:
        out = {}
        status, names = identify_names(node2, group, ids, timeout=15, out=out)
        first = status if first is None else first
        statuses[str(status)] = statuses.get(str(status), 0) + 1
        if names is not None and person in names:
            stale += 1
        if status == 503:
            refusals_well_formed &= bool(out["error"] and out["error"].get("code") == "NodeStale"
                                         and out["headers"].get("retry-after"))
        if status == 200:
            recovered_ms = round((time.time() - t0) * 1000, 1)
            break
        time.sleep(0.005)
    return {"first_status_after_sigcont": first, "statuses": statuses, "stale_answers": stale,
            "refusals_are_503_NodeStale_with_retry_after": refusals_well_formed,
            "answering_again_after_ms": recovered_ms}


def db_cutoff(c, group, photo, seconds=1.5):
    """Every node cut off from PostgreSQL (HAProxy, which carries their database connections,
    SIGSTOPped for `seconds`): each node must fail /readyz within its 500 ms lease (probed every
    5 ms, from the cut), then refuse identify with 503 NodeStale and Retry-After, and answer
    again once HAProxy resumes."""
    apis = [Api(u, c.key) for u in c.nodes]
    ids = [detect_ids(a, photo) for a in apis]
    pid = c.pid("haproxy")
    refused_after, identify_refusals, well_formed, recovered = [], [], True, []
    os.kill(pid, signal.SIGSTOP)
    t0 = time.time()
    try:
        pending = set(range(len(apis)))
        while pending and time.time() - t0 < seconds:
            for k in list(pending):
                if Api(c.nodes[k], c.key).call("GET", "/readyz", timeout=2)[0] == 503:
                    refused_after.append(round((time.time() - t0) * 1000, 1))
                    pending.discard(k)
            time.sleep(0.005)
        for k, a in enumerate(apis):
            out = {}
            status, _ = identify_names(a, group, ids[k], timeout=5, out=out)
            identify_refusals.append(status)
            well_formed &= bool(status == 503 and out["error"]
                                and out["error"].get("code") == "NodeStale"
                                and out["headers"].get("retry-after"))
        time.sleep(max(0.0, seconds - (time.time() - t0)))
    finally:
        os.kill(pid, signal.SIGCONT)
    t1 = time.time()
    for k, a in enumerate(apis):
        while time.time() - t1 < 30:
            status, _ = identify_names(a, group, ids[k], timeout=10)
            if status == 200:
                break
            time.sleep(0.01)
        recovered.append(round((time.time() - t1) * 1000, 1))
    return {"readyz_failed_after_ms": refused_after,
            "all_nodes_failed_readyz_within_lease": len(refused_after) == len(apis)
            and max(refused_after) <= 600,
            "identify_statuses_while_cut": identify_refusals,
            "refusals_are_503_NodeStale_with_retry_after": well_formed,
            "identify_again_after_resume_ms": recovered}


def read_your_writes(c, group, photo, rounds):
    """Enroll (then erase) through node 1 and identify at once on node 2 with Facet-Min-Change
    set to the write's Facet-Change: node 2 must already reflect the write, every time."""
    if len(c.nodes) < 2:
        return {"skipped": "needs 2 nodes"}
    admin, node2 = Api(c.nodes[0], c.key), Api(c.nodes[1], c.key)
    ids = detect_ids(node2, photo)
    violations, refused, waits = 0, 0, []
    for r in range(rounds):
        person = "ryw%d-%d" % (r, int(time.time()))
        change = enroll(admin, group, person, photo)
        assert change > 0, "an enrollment answered without Facet-Change"
        t = time.time()
        status, names = identify_names(node2, group, ids,
                                       headers_in={"Facet-Min-Change": str(change)})
        waits.append((time.time() - t) * 1000)
        refused += status == 503
        violations += status == 200 and person not in names
        headers = {}
        status, _ = admin.call("DELETE", "%s/%s/persons/%s" % (GROUPS, group, person),
                               headers_out=headers)
        assert status == 200 and int(headers.get("facet-change", 0)) > change
        status, names = identify_names(node2, group, ids,
                                       headers_in={"Facet-Min-Change": headers["facet-change"]})
        refused += status == 503
        violations += status == 200 and person in names
    return {"rounds": rounds, "violations": violations, "refused_503": refused,
            "identify_with_min_change_ms_p50": round(percentile(waits, 50), 1),
            "identify_with_min_change_ms_max": round(max(waits), 1)}


def failovers(c, load, count):
    outages, promotions = [], []
    for _ in range(count):
        if not c.wait_healthy():
            raise SystemExit("the PostgreSQL pair did not recover (see %s/pg*/patroni.log)" % c.dir)
        time.sleep(1.5)
        leader, deadline = None, time.time() + 60
        while leader is None and time.time() < deadline:
            members = c.members()
            leaders = [n for n, (_, r) in members.items() if r == "leader"]
            leader = leaders[0] if leaders else None
            if leader is None:
                time.sleep(0.2)
        if leader is None:
            raise SystemExit("no PostgreSQL leader (see %s/pg*/patroni.log)" % c.dir)
        kill9(c.pid("patroni-" + leader))
        kill9(members[leader][0])
        t0 = time.time()
        # Patroni promotes the standby once the dead primary's leader key expires (ttl); only
        # then does the dead machine come back, and Patroni rejoins it as a standby (pg_rewind).
        other = [n for n in members if n != leader][0]
        while time.time() - t0 < 60 and c.members().get(other, (0, ""))[1] != "leader":
            time.sleep(0.1)
        promoted = time.time() - t0
        c.sh("start-member", leader)
        while load.outage_after(t0) is None and time.time() - t0 < 120:
            time.sleep(0.05)
        outage = load.outage_after(t0)
        outages.append(round(outage, 2) if outage is not None else None)
        promotions.append(round(promoted, 2))
        print("failover %d: %s was primary, %s promoted after %.2f s, write outage %s s"
              % (len(outages), leader, other, promoted, outages[-1]), file=sys.stderr)
    c.wait_healthy()
    return {"failovers": count, "write_outage_s": outages, "promoted_after_s": promotions,
            "write_outage_s_max": max([o for o in outages if o is not None] or [0])}


def old_primary_by_hand(c, group):
    """The primary dies (kill -9 of its Patroni and postmaster); Patroni promotes the standby;
    then someone restarts the old primary by hand with pg_ctl, outside Patroni: a second
    writable server with the old history. No write through the nodes may land on it (HAProxy
    forwards only to the member Patroni calls primary), and a facet process that saw the new
    history refuses the old one ("diverged")."""
    members = c.members()
    old = [n for n, (_, r) in members.items() if r == "leader"][0]
    kill9(c.pid("patroni-" + old))
    kill9(members[old][0])
    deadline = time.time() + 60
    while time.time() < deadline:
        if any(r == "leader" for n, (_, r) in c.members().items() if n != old):
            break
        time.sleep(0.2)
    data = os.path.join(c.dir, old, "data")
    port = c.base + 60 + int(old[-1])
    run_as = ["runuser", "-u", "postgres", "--"] if os.getuid() == 0 else []
    pg = "/usr/lib/postgresql/15/bin/"
    subprocess.run(run_as + [pg + "pg_ctl", "-D", data, "-w", "-l",
                             os.path.join(c.dir, old, "byhand.log"), "-o",
                             "-c listen_addresses=127.0.0.1 -c port=%d" % port, "start"],
                   capture_output=True)

    def rogue_sql(sql):
        return subprocess.run(run_as + [pg + "psql", "-h", "127.0.0.1", "-p", str(port), "-U",
                                        "postgres", "-d", "facet", "-Atc", sql],
                              capture_output=True, text=True)
    writable = rogue_sql("SELECT NOT pg_is_in_recovery()").stdout.strip() == "t"
    api = Api(c.endpoint, c.key)
    persons = ["fork%d-%d" % (int(time.time()), k) for k in range(3)]
    statuses = [api.call("POST", "%s/%s/persons" % (GROUPS, group), {"personId": p, "name": p},
                         timeout=20)[0] for p in persons]
    on_rogue = rogue_sql("SELECT count(*) FROM persons WHERE person_id LIKE 'fork%%'")
    landed = int(on_rogue.stdout.strip() or 0)
    subprocess.run(run_as + [pg + "pg_ctl", "-D", data, "-m", "immediate", "-w", "stop"],
                   capture_output=True)
    c.sh("start-member", old)  # Patroni rewinds it and makes it a standby of the new primary
    healthy = c.wait_healthy(180)
    return {"rogue_was_writable": writable, "write_statuses": statuses,
            "writes_landed_on_rogue": landed, "pair_recovered": healthy}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--dir", default="/tmp/facet-cluster")
    ap.add_argument("--failovers", type=int, default=1)
    ap.add_argument("--erase-rounds", type=int, default=10)
    ap.add_argument("--ryw-rounds", type=int, default=10)
    ap.add_argument("--rogue", action="store_true", help="also run scenario 5")
    ap.add_argument("--json", help="write the report here too")
    args = ap.parse_args()
    c = Cluster(args.dir)
    photo = open(os.path.join(SAMPLES, "sample3.jpg"), "rb").read()  # one main face + strangers
    load_photo = open(os.path.join(SAMPLES, "sample1.jpg"), "rb").read()
    admin = Api(c.endpoint, c.key)
    group = "faults%d" % int(time.time())  # a gallery of its own per run
    status, body = admin.call("PUT", GROUPS + "/" + group, {"purpose": "fault test"})
    assert status == 200, (status, body)
    report = {"nodes": c.n, "group": group}
    report["erase"] = erase_visibility(c, group, photo, args.erase_rounds)
    print(json.dumps(report["erase"]), file=sys.stderr)
    report["node_kill"] = node_kill(c, group, photo)
    print(json.dumps(report["node_kill"]), file=sys.stderr)
    report["sigstop"] = sigstop(c, group, photo)
    print(json.dumps(report["sigstop"]), file=sys.stderr)
    report["db_cutoff"] = db_cutoff(c, group, photo)
    print(json.dumps(report["db_cutoff"]), file=sys.stderr)
    report["read_your_writes"] = read_your_writes(c, group, photo, args.ryw_rounds)
    print(json.dumps(report["read_your_writes"]), file=sys.stderr)
    load = Load(c, group, load_photo)
    load.start()
    try:
        report["primary_kill"] = failovers(c, load, args.failovers)
        time.sleep(2)
    finally:
        load.finish()
    print(json.dumps(report["primary_kill"]), file=sys.stderr)
    if args.rogue:
        report["rogue_primary"] = old_primary_by_hand(c, group)
        print(json.dumps(report["rogue_primary"]), file=sys.stderr)
    # Every acknowledged write, checked against the cluster.
    lost = []
    for person, state in load.acked.items():
        if state.get("erase_unknown") and not state["erased"]:
            continue  # an erase without answer: present or absent are both right
        status, body = admin.call("GET", "%s/%s/persons/%s" % (GROUPS, group, person))
        if state["erased"]:
            if status != 404:
                lost.append((person, "erase", status))
        elif status != 200 or (body or {}).get("faceCount", 0) < state["faces"]:
            lost.append((person, "write", status))
    status, audit = admin.call("GET", "/face/v1.0/audit/verify", timeout=120)
    report["writes"] = {"acknowledged_persons": len(load.acked),
                        "acknowledged_writes": len(load.successes),
                        "failed_or_unknown": load.failures, "lost": len(lost),
                        "lost_examples": lost[:5],
                        "audit_intact": bool(status == 200 and audit and audit.get("intact")),
                        "audit_entries": (audit or {}).get("entries")}
    print(json.dumps(report, indent=1))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(report, f, indent=1)
    bad = (report["writes"]["lost"] or not report["writes"]["audit_intact"]
           or report.get("rogue_primary", {}).get("writes_landed_on_rogue")
           or report["sigstop"].get("stale_answers")
           or not report["sigstop"].get("refusals_are_503_NodeStale_with_retry_after", True)
           or report["read_your_writes"].get("violations")
           or not report["db_cutoff"]["all_nodes_failed_readyz_within_lease"]
           or not report["db_cutoff"]["refusals_are_503_NodeStale_with_retry_after"]
           or report["erase"]["still_matching_after_500ms"])
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
