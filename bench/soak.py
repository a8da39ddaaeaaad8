#!/usr/bin/env python3
"""Soak: a mixed load at saturation on PostgreSQL against the release binary.

Creates a database on the server of ADMIN_URL, fills it (`khuyencong generate --scale xs`),
creates a national administrator, starts `target/release/khuyencong serve`, then runs
WORKERS threads (keep-alive HTTP, standard library only) for DURATION seconds:
75 % reads (lists, a node, the public catalogue, a report), 20 % writes
(`createFundingSource` with a unique name, recorded when acknowledged), 5 % sign-ins
(argon2, the most expensive request). WORKERS is well above the server's in-flight slots
(4 x the pool), so the server is saturated and refuses the excess with 503 UNAVAILABLE.

The server's resident memory (VmRSS) is sampled every SAMPLE seconds. At the end it prints
memory start -> end, answers by status and code, throughput, and the acknowledged writes
missing from the database (read with psql afterwards), then drops the database.
Exit status 1 if any acknowledged write is missing or any 5xx other than 503 UNAVAILABLE
was seen.

Run with `bash bench/soak.sh` (see there for the variables).
"""

import http.client
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections import Counter

ADMIN_URL = os.environ.get("ADMIN_URL", "postgres://postgres@127.0.0.1:5432/postgres")
DURATION = int(os.environ.get("DURATION", "600"))
WORKERS = int(os.environ.get("WORKERS", "64"))
SAMPLE = float(os.environ.get("SAMPLE", "5"))
PORT = int(os.environ.get("PORT", "18089"))
POOL = int(os.environ.get("POOL", "10"))
BIN = os.environ.get("BIN", "target/release/khuyencong")
# Shares of the mix: reads, writes, sign-ins (the rest).
READ_SHARE = float(os.environ.get("READ_SHARE", "0.75"))
WRITE_SHARE = float(os.environ.get("WRITE_SHARE", "0.20"))
PASSWORD = "soak-password-long-enough"
USER = "soak_admin"

READS = [
    ("{ establishments(first: 20) { totalCount nodes { id name commune { name } } } }", {}),
    ("{ fundingSources(first: 20) { totalCount nodes { id name amountVnd } } }", {}),
    ("{ products(first: 20) { totalCount nodes { id name } } }", {}),
    ("{ projects(first: 10) { totalCount nodes { id title status totalVnd } } }", {}),
    ("{ publicCatalog(first: 20) { totalCount nodes { productName } } }", {}),
    ("{ me { username role } }", {}),
    ("{ fundingSummary { projectCount nationalVnd localVnd } }", {}),
]
WRITE = (
    "mutation($i: CreateFundingSourceInput!) { createFundingSource(input: $i) { id name } }"
)
LOGIN = "mutation($u: String!, $p: String!) { login(username: $u, password: $p) { accessToken } }"


def db_url(name):
    base, _, query = ADMIN_URL.partition("?")
    prefix = base.rsplit("/", 1)[0]
    return f"{prefix}/{name}" + (f"?{query}" if query else "")


def psql(url, sql):
    out = subprocess.run(
        ["psql", "-w", "-qAt", "-v", "ON_ERROR_STOP=1", url, "-c", sql],
        check=True, capture_output=True, text=True,
    )
    return out.stdout


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


class Client:
    def __init__(self):
        self.conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=60)

    def post(self, body, token=None):
        headers = {"content-type": "application/json"}
        if token:
            headers["authorization"] = f"Bearer {token}"
        data = json.dumps(body).encode()
        for attempt in (0, 1):
            try:
                self.conn.request("POST", "/graphql", data, headers)
                resp = self.conn.getresponse()
                raw = resp.read()
                try:
                    parsed = json.loads(raw)
                except ValueError:
                    parsed = None
                return resp.status, parsed
            except (http.client.HTTPException, OSError):
                self.conn.close()
                self.conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=60)
                if attempt:
                    return 0, None
        return 0, None


def code_of(body):
    try:
        return body["errors"][0]["extensions"]["code"]
    except (TypeError, KeyError, IndexError):
        return "-"


def main():
    name = f"kc_soak_{os.getpid()}_{int(time.time())}"
    url = db_url(name)
    psql(ADMIN_URL, f"CREATE DATABASE {name}")
    server = None
    try:
        env = dict(os.environ)
        env.update({
            "DATABASE_URL": url,
            "KC_JWT_SECRET": "soak-secret-that-is-long-enough-0123456789abcdef",
            "KC_BIND": f"127.0.0.1:{PORT}",
            "KC_PASSWORD": PASSWORD,
            "KC_DB_MAX_CONNECTIONS": str(POOL),
            # The load comes from one address and one user: rate limits would measure
            # themselves, not the server.
            "KC_REQUESTS_PER_SECOND": "1000000",
            "KC_LOGIN_ATTEMPTS_PER_MINUTE": "1000000",
            "KC_ACCESS_TOKEN_TTL_SECS": "7200",
            "KC_LOG_FORMAT": "json",
            "RUST_LOG": "warn",
        })
        env.pop("KC_REDIS_URL", None)
        t0 = time.time()
        subprocess.run([BIN, "generate", "--scale", "xs", "--seed", "14"], env=env,
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        subprocess.run([BIN, "users", "create", "--username", USER, "--role", "national",
                        "--admin"], env=env, check=True, stdout=subprocess.DEVNULL)
        print(f"database {name}: generated (xs) and user created in {time.time() - t0:.1f} s")
        log = open(f"/tmp/{name}.log", "w")
        server = subprocess.Popen([BIN, "serve"], env=env, stdout=log, stderr=log)
        c = Client()
        for _ in range(100):
            try:
                conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=2)
                conn.request("GET", "/readyz")
                if conn.getresponse().status == 200:
                    break
            except OSError:
                pass
            time.sleep(0.2)
        status, body = c.post({"query": LOGIN, "variables": {"u": USER, "p": PASSWORD}})
        token = body["data"]["login"]["accessToken"]

        stop = time.time() + DURATION
        lock = threading.Lock()
        by_status = Counter()
        acknowledged = []
        latencies = []

        def worker(w):
            rng = random.Random(w)
            cl = Client()
            i = 0
            while time.time() < stop:
                i += 1
                roll = rng.random()
                started = time.time()
                wrote = None
                if roll < READ_SHARE:
                    q, v = rng.choice(READS)
                    status, body = cl.post({"query": q, "variables": v}, token)
                elif roll < READ_SHARE + WRITE_SHARE:
                    wrote = f"Soak {w}-{i}"
                    status, body = cl.post({"query": WRITE, "variables": {"i": {
                        "name": wrote, "level": "NATIONAL", "fiscalYear": 2026,
                        "amountVnd": 1_000_000}}}, token)
                else:
                    status, body = cl.post(
                        {"query": LOGIN, "variables": {"u": USER, "p": PASSWORD}})
                elapsed = time.time() - started
                ok = (status == 200 and isinstance(body, dict) and body.get("data") is not None
                      and not body.get("errors"))
                code = "ok" if ok else code_of(body)
                with lock:
                    by_status[(status, code)] += 1
                    latencies.append(elapsed)
                    if ok and wrote and body["data"]["createFundingSource"]["name"] == wrote:
                        acknowledged.append(wrote)
                if status == 503:
                    time.sleep(0.05)

        samples = []
        threads = [threading.Thread(target=worker, args=(w,), daemon=True)
                   for w in range(WORKERS)]
        started = time.time()
        samples.append((0.0, rss_kib(server.pid)))
        for t in threads:
            t.start()
        while time.time() < stop:
            time.sleep(SAMPLE)
            samples.append((time.time() - started, rss_kib(server.pid)))
        for t in threads:
            t.join()
        elapsed = time.time() - started
        samples.append((elapsed, rss_kib(server.pid)))

        stored = set(psql(url, "SELECT name FROM funding_source WHERE name LIKE 'Soak %'")
                     .split("\n")) - {""}
        lost = [n for n in acknowledged if n not in stored]
        total = sum(by_status.values())
        bad_5xx = sum(n for (s, c), n in by_status.items()
                      if s >= 500 and not (s == 503 and c == "UNAVAILABLE"))
        latencies.sort()

        def pct(p):
            return latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000

        mib = lambda kib: kib / 1024  # noqa: E731
        first_loaded = samples[1][1] if len(samples) > 2 else samples[0][1]
        print(f"GLIBC_TUNABLES={os.environ.get('GLIBC_TUNABLES', '<unset>')}, "
              f"load average at the end {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores "
              "(a shared machine: other builds run too)")
        print(f"soak: {elapsed:.0f} s, {WORKERS} workers, pool {POOL} "
              f"(in-flight slots {4 * POOL}), {total} requests ({total / elapsed:.0f}/s), "
              f"p50 {pct(0.5):.0f} ms, p99 {pct(0.99):.0f} ms")
        print(f"memory (VmRSS): idle {mib(samples[0][1]):.1f} MiB, first loaded sample "
              f"{mib(first_loaded):.1f} MiB -> end {mib(samples[-1][1]):.1f} MiB, "
              f"max {mib(max(s for _, s in samples)):.1f} MiB ({len(samples)} samples "
              f"every {SAMPLE:g} s)")
        print("memory samples (s: MiB): " + ", ".join(
            f"{t:.0f}: {mib(k):.1f}" for t, k in samples[:: max(1, len(samples) // 12)]))
        print("answers by status and code:")
        for (s, c), n in sorted(by_status.items()):
            print(f"  {s} {c}: {n}")
        print(f"5xx other than 503 UNAVAILABLE: {bad_5xx}")
        print(f"acknowledged writes: {len(acknowledged)}, found in the database: "
              f"{len(acknowledged) - len(lost)}, lost: {len(lost)}")
        print(f"server still running: {server.poll() is None}; log /tmp/{name}.log")
        return 1 if lost or bad_5xx or server.poll() is not None else 0
    finally:
        if server is not None and server.poll() is None:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()
        try:
            psql(ADMIN_URL, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        except subprocess.CalledProcessError as e:
            print(f"could not drop {name}: {e.stderr}", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
