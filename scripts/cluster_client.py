#!/usr/bin/python3
"""What the cluster scripts share (scripts/cluster_faults.py, scripts/cluster_throughput.py): an
HTTP client of the facet API, the cluster started by scripts/cluster.sh (its nodes, key and
processes), an enroll/erase load through HAProxy, and the detect/identify/enroll calls.
"""
import http.client
import json
import os
import signal
import subprocess
import threading
import time
import urllib.parse

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SAMPLES = os.path.join(REPO, "models/src/@vladmandic/face-api@1.7.15/demo")
GROUPS = "/face/v1.0/persongroups"


class Api:
    def __init__(self, url, key, client=None):
        parsed = urllib.parse.urlparse(url)
        self.host, self.port, self.key, self.client = parsed.hostname, parsed.port, key, client

    def call(self, method, path, body=None, ctype="application/json", timeout=15, headers_in=None,
             headers_out=None):
        """(status, parsed JSON or None); status 0 when no answer came. headers_in: extra request
        headers; headers_out: a dict that receives the response's headers (lower-case names)."""
        headers = {"Ocp-Apim-Subscription-Key": self.key}
        headers.update(headers_in or {})
        if self.client:
            headers["X-Facet-Client"] = self.client
        if body is not None and ctype == "application/json":
            body = json.dumps(body)
        if body is not None:
            headers["Content-Type"] = ctype
        try:
            conn = http.client.HTTPConnection(self.host, self.port, timeout=timeout)
            conn.request(method, path, body=body, headers=headers)
            res = conn.getresponse()
            data = res.read()
            conn.close()
            if headers_out is not None:
                headers_out.update({k.lower(): v for k, v in res.getheaders()})
            try:
                return res.status, json.loads(data) if data else None
            except ValueError:
                return res.status, None
        except (OSError, http.client.HTTPException):
            return 0, None


def percentile(values, p):
    if not values:
        return None
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100.0 * (len(values) - 1))))]


class Cluster:
    def __init__(self, directory):
        self.dir = directory
        self.base = int(open(os.path.join(directory, "port_base")).read())
        self.n = int(open(os.path.join(directory, "nodes")).read())
        self.key = open(os.path.join(directory, "admin_key")).read().strip()
        self.endpoint = "http://127.0.0.1:%d" % self.base
        self.nodes = ["http://127.0.0.1:%d" % (self.base + i) for i in range(1, self.n + 1)]

    def sh(self, *args):
        return subprocess.run(["bash", os.path.join(REPO, "scripts/cluster.sh"), *args, "--dir",
                               self.dir], check=True, capture_output=True, text=True).stdout

    def members(self):
        out = {}
        for line in self.sh("status").splitlines():
            name, pid, role = line.split()
            out[name] = (int(pid), role)
        return out

    def wait_healthy(self, timeout=120):
        deadline = time.time() + timeout
        while time.time() < deadline:
            roles = sorted(r for _, r in self.members().values())
            if roles == ["leader", "sync_standby"]:
                return True
            time.sleep(0.2)
        return False

    def pid(self, name):
        try:
            return int(open(os.path.join(self.dir, "pids", name)).read())
        except (OSError, ValueError):
            return 0

    def ready(self, url):
        status, _ = Api(url, self.key).call("GET", "/readyz", timeout=2)
        return status == 200


def children(pid):
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open("/proc/%s/stat" % entry) as f:
                    if int(f.read().rsplit(")", 1)[1].split()[1]) == pid:
                        out.append(int(entry))
            except (OSError, ValueError, IndexError):
                pass
    return out


def kill9(pid):
    if pid > 0:
        for p in [pid] + children(pid):
            try:
                os.kill(p, signal.SIGKILL)
            except OSError:
                pass


class Load:
    """Writers through HAProxy: add person, consent, sometimes a face; sometimes an erase.
    Keeps the client's own log of what was acknowledged."""

    def __init__(self, cluster, group, photo, threads=2):
        self.c, self.group, self.photo = cluster, group, photo
        self.lock = threading.Lock()
        self.acked = {}  # person -> {"faces": n, "erased": bool}
        self.successes = []  # times of acknowledged writes
        self.failures = 0
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=self.run, args=(t,), daemon=True)
                        for t in range(threads)]
        self.counter = 0

    def ok(self, status, started):
        now = time.time()
        with self.lock:
            if 200 <= status < 300:
                self.successes.append((started, now))
                return True
            self.failures += 1
            return False

    def run(self, t):
        api = Api(self.c.endpoint, self.c.key)
        mine = []
        while not self.stop.is_set():
            with self.lock:
                self.counter += 1
                i = self.counter
            person = "w%d" % i
            base = "%s/%s/persons" % (GROUPS, self.group)
            t = time.time()
            if not self.ok(api.call("POST", base, {"personId": person, "name": person})[0], t):
                time.sleep(0.05)
                continue
            with self.lock:
                self.acked[person] = {"faces": 0, "erased": False}
            t = time.time()
            status, _ = api.call("POST", "%s/%s/consents" % (base, person),
                                 {"grantedBy": person, "scope": "identify", "purpose": "fault test"})
            if not self.ok(status, t):
                continue
            if i % 4 == 0:
                t = time.time()
                status, _ = api.call("POST", "%s/%s/persistedfaces" % (base, person), self.photo,
                                     "image/jpeg", timeout=30)
                if self.ok(status, t):
                    with self.lock:
                        self.acked[person]["faces"] += 1
            mine.append(person)
            if i % 5 == 0 and len(mine) > 3:
                victim = mine.pop(0)
                t = time.time()
                erased = self.ok(api.call("DELETE", "%s/%s" % (base, victim))[0], t)
                with self.lock:  # not acknowledged: it may or may not have happened
                    self.acked[victim]["erased" if erased else "erase_unknown"] = True

    def start(self):
        for t in self.threads:
            t.start()

    def finish(self):
        self.stop.set()
        for t in self.threads:
            t.join()

    def outage_after(self, t0):
        """Seconds from t0 to the first acknowledgement of a write sent after t0 (None if none
        yet): a write in flight at t0 that still succeeds does not end the outage."""
        with self.lock:
            later = [end for start, end in self.successes if start > t0]
        return (min(later) - t0) if later else None


def detect_ids(api, photo):
    status, faces = api.call("POST", "/face/v1.0/detect?returnFaceId=true", photo, "image/jpeg",
                             timeout=30)
    return [f["faceId"] for f in faces] if status == 200 and faces else []


def identify_names(api, group, face_ids, timeout=5, headers_in=None, out=None):
    """(status, set of decisions or None); `out` receives the body's error and the headers."""
    headers = {}
    status, found = api.call("POST", "/face/v1.0/identify",
                             {"personGroupId": group, "faceIds": face_ids,
                              "purpose": "fault test"}, timeout=timeout, headers_in=headers_in,
                             headers_out=headers)
    if out is not None:
        out["headers"] = headers
        out["error"] = (found or {}).get("error") if isinstance(found, dict) else None
    if status != 200 or found is None:
        return status, None
    return status, {f.get("decision") for f in found}


def enroll(api, group, person, photo):
    """Returns the change number of the enrollment (its Facet-Change header; 0 if none)."""
    base = "%s/%s/persons" % (GROUPS, group)
    assert api.call("POST", base, {"personId": person, "name": person})[0] == 200
    assert api.call("POST", "%s/%s/consents" % (base, person),
                    {"grantedBy": person, "scope": "identify", "purpose": "fault test"})[0] == 200
    headers = {}
    status, body = api.call("POST", "%s/%s/persistedfaces" % (base, person), photo, "image/jpeg",
                            timeout=30, headers_out=headers)
    assert status == 200, (status, body)
    return int(headers.get("facet-change", 0))
