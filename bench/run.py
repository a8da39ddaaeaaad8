"""Side-by-side benchmark of khuyencong, the raw-SQL floor and PostGraphile 5 (see README)."""
import argparse, json, os, platform, re, shutil, signal, subprocess, sys, tempfile, time, urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, "target", "release", "khuyencong")

ap = argparse.ArgumentParser()
ap.add_argument("--admin-url", default=os.environ.get("BENCH_ADMIN_URL", "postgres://postgres@127.0.0.1:5432/postgres"))
ap.add_argument("--db", default="kc_bench")
ap.add_argument("--scale", default="s")
ap.add_argument("--seed", default="1")
ap.add_argument("--duration", type=int, default=5, help="seconds per wrk run")
ap.add_argument("--concurrency", default="1,10,50")
ap.add_argument("--rounds", type=int, default=1, help="interleaved repetitions")
ap.add_argument("--workloads", default="W1,W2a,W2b,W3,W4")
ap.add_argument("--no-peer", action="store_true", help="skip PostGraphile")
ap.add_argument("--reuse", action="store_true", help="keep an existing generated database")
ap.add_argument("--pg5-dir", help="reuse a folder where postgraphile (and node >= 22) were installed by an earlier run")
ap.add_argument("--out", default=os.path.join(ROOT, "bench", "RESULTS.md"))
a = ap.parse_args()
base = a.admin_url.rsplit("/", 1)[0]
DB_URL = f"{base}/{a.db}"
KC_PORT, PG5_PORT = 18080, 18081
log = lambda *x: print("[bench]", *x, file=sys.stderr, flush=True)

def psql(sql, url=None):
    return subprocess.run(["psql", url or a.admin_url, "-tAc", sql], check=True, capture_output=True, text=True).stdout.strip()

def post(url, body, token=None):
    req = urllib.request.Request(url, json.dumps(body).encode(), {"content-type": "application/json"})
    if token:
        req.add_header("authorization", f"Bearer {token}")
    with urllib.request.urlopen(req, timeout=60) as r:
        return json.loads(r.read())

def wait_http(url):
    for _ in range(300):
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except urllib.error.HTTPError:
            return
        except Exception:
            time.sleep(0.2)
    raise SystemExit(f"{url} did not come up")

def proc_cpu_ms(pid):
    """utime + stime of a process and its children, in ms."""
    f = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12]) + int(f[13]) + int(f[14])) * 1000 / os.sysconf("SC_CLK_TCK")

def peak_rss_mb(pid):
    for l in open(f"/proc/{pid}/status"):
        if l.startswith("VmHWM"):
            return int(l.split()[1]) / 1024
    return 0

def metric(name):
    text = urllib.request.urlopen(f"http://127.0.0.1:{KC_PORT}/metrics").read().decode()
    for l in text.splitlines():
        if l.startswith(name + " "):
            return float(l.split()[1])
    return 0.0

# ---------------------------------------------------------------- data
env = dict(os.environ, DATABASE_URL=DB_URL, KC_JWT_SECRET="bench-secret-" + "x" * 40,
           KC_ACCESS_TOKEN_TTL_SECS="86400", KC_REQUESTS_PER_SECOND="1000000", KC_BIND=f"127.0.0.1:{KC_PORT}",
           KC_DB_MAX_CONNECTIONS="20", RUST_LOG="warn")
exists = psql(f"SELECT 1 FROM pg_database WHERE datname = '{a.db}'") == "1"
gen_secs = None
if not (a.reuse and exists):
    psql(f"DROP DATABASE IF EXISTS {a.db} WITH (FORCE)")
    psql(f"CREATE DATABASE {a.db}")
    t = time.time()
    subprocess.run([BIN, "generate", "--scale", a.scale, "--seed", a.seed], env=env, check=True)
    gen_secs = time.time() - t
    subprocess.run([BIN, "users", "create", "--username", "bench.national", "--role", "national"],
                   env=dict(env, KC_PASSWORD="bench-password-123"), check=True, capture_output=True)
counts = {t: psql(f"SELECT COUNT(*) FROM {t}", DB_URL) for t in
          ["establishment", "product", "project", "project_beneficiary", "allocation"]}
log("data", counts)
est_id = int(psql("SELECT MIN(id) FROM establishment WHERE province_code = '66'", DB_URL))

# ---------------------------------------------------------------- servers
kc = subprocess.Popen([BIN, "serve"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
wait_http(f"http://127.0.0.1:{KC_PORT}/healthz")
KC_URL = f"http://127.0.0.1:{KC_PORT}/graphql"
token = post(KC_URL, {"query": 'mutation { login(username: "bench.national", password: "bench-password-123") { accessToken } }'})["data"]["login"]["accessToken"]
kc_est = post(KC_URL, {"query": '{ establishments(first: 1, filter: {provinceCode: "66"}) { nodes { id } } }'}, token)["data"]["establishments"]["nodes"][0]["id"]

KC_Q = {
    "W1": '{ establishments(first: 50, filter: {provinceCode: "66"}) { totalCount nodes { id name kind sector status } } }',
    "W2a": '{ establishments(first: 50, filter: {provinceCode: "66"}) { nodes { id name products { nodes { id name } } } } }',
    "W2b": '{ projects(first: 20) { nodes { id code title supportVnd beneficiaries { supportVnd establishment { name } } allocations { amountVnd fundingSource { name } } } } }',
    "W3": '{ fundingSummary { byProvince { key projectCount nationalVnd localVnd otherVnd counterpartVnd disbursedVnd } } }',
    "W4": '{ establishment(id: "%s") { id name provinceCode: province { code } products { nodes { id name } } } }' % kc_est,
}
PG5_Q = {
    "W1": '{ allEstablishments(first: 50, condition: {provinceCode: "66"}, orderBy: PRIMARY_KEY_ASC) { totalCount nodes { rowId name kind sector status } } }',
    "W2a": '{ allEstablishments(first: 50, condition: {provinceCode: "66"}, orderBy: PRIMARY_KEY_ASC) { nodes { rowId name productsByEstablishmentId { nodes { rowId name } } } } }',
    "W2b": '{ allProjects(first: 20, orderBy: PRIMARY_KEY_ASC) { nodes { rowId code title supportVnd projectBeneficiariesByProjectId { nodes { supportVnd establishmentByEstablishmentId { name } } } allocationsByProjectId { nodes { amountVnd fundingSourceByFundingSourceId { name } } } } } }',
    "W4": '{ establishmentByRowId(rowId: \"%d\") { rowId name provinceCode productsByEstablishmentId { nodes { rowId name } } } }' % est_id,
}

pg5 = None
pg5_version = "not run"
tmp = a.pg5_dir or tempfile.mkdtemp(prefix="kc-bench-pg5-")
if not a.no_peer:
    try:
        node = shutil.which("node")
        major = int(subprocess.run(["node", "-p", "process.versions.node.split('.')[0]"], capture_output=True, text=True).stdout or 0) if node else 0
        pkgs = ["postgraphile@^5"] + (["node@22"] if major < 22 else [])
        log("npm install", pkgs, "into", tmp)
        if not a.pg5_dir:
          subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--prefix", tmp] + pkgs, check=True, capture_output=True)
        local_node = os.path.join(tmp, "node_modules", ".bin", "node")
        nodebin = local_node if os.path.exists(local_node) else node
        cli = os.path.join(tmp, "node_modules", "postgraphile", "dist", "cli-run.js")
        if not os.path.exists(cli):
            cli = os.path.join(tmp, "node_modules", ".bin", "postgraphile")
        pg5_version = json.load(open(os.path.join(tmp, "node_modules", "postgraphile", "package.json")))["version"]
        pg5_env = dict(os.environ, NODE_ENV="production")
        pg5 = subprocess.Popen([nodebin, cli, "--preset", "postgraphile/presets/amber", "-c", DB_URL, "-s", "public", "-p", str(PG5_PORT), "-n", "127.0.0.1"],
                               env=pg5_env, cwd=tmp, stdout=open(os.path.join(tmp, "pg5.log"), "w"), stderr=subprocess.STDOUT)
        wait_http(f"http://127.0.0.1:{PG5_PORT}/graphql")
        time.sleep(2)
    except Exception as e:
        log("PostGraphile not available:", e)
        pg5 = None
PG5_URL = f"http://127.0.0.1:{PG5_PORT}/graphql"

def check(url, q, tok):
    try:
        r = post(url, {"query": q}, tok)
        return "errors" not in r, (json.dumps(r.get("errors"))[:200] if "errors" in r else "")
    except Exception as e:
        return False, str(e)[:200]

# ---------------------------------------------------------------- runs
LAT = re.compile(r"^\s+(50|99)\.000%\s+([\d.]+)(us|ms|s)", re.M)
def wrk(url, query, tok, c):
    script = os.path.join(tmp, "req.lua")
    body = json.dumps({"query": query})
    hdr = f'wrk.headers["Authorization"] = "Bearer {tok}"\n' if tok else ""
    open(script, "w").write(f'wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\n{hdr}wrk.body = {json.dumps(body)}\n')
    out = subprocess.run(["wrk", "-t", str(min(c, 2)), "-c", str(c), "-d", f"{a.duration}s", "--latency", "--timeout", "10s", "-s", script, url],
                         capture_output=True, text=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    reqs = int(re.search(r"(\d+) requests in", out).group(1))
    errs = sum(int(x) for x in re.findall(r"(?:Non-2xx or 3xx responses|timeout) (\d+)", out))
    lat = {}
    for p, v, u in LAT.findall(out):
        lat[p] = float(v) * {"us": 0.001, "ms": 1, "s": 1000}[u]
    return rps, reqs, errs, lat.get("50"), lat.get("99")

def pgbench(sqlfile, c):
    out = subprocess.run(["pgbench", "-n", "-M", "prepared", "-c", str(c), "-j", str(min(c, 2)), "-T", str(a.duration),
                          "-D", f"id={est_id}", "-f", os.path.join(ROOT, "bench", "pgbench", sqlfile), DB_URL], capture_output=True, text=True).stdout
    m = re.search(r"tps = ([\d.]+)", out)
    return float(m.group(1)) if m else 0.0

results = {}
workloads = a.workloads.split(",")
conc = [int(x) for x in a.concurrency.split(",")]
ok_kc = {w: check(KC_URL, KC_Q[w], token) for w in workloads}
ok_pg5 = {w: (check(PG5_URL, PG5_Q[w], None) if pg5 and w in PG5_Q else (False, "not measured")) for w in workloads}
log("kc checks", ok_kc); log("pg5 checks", ok_pg5)
for rnd in range(a.rounds):
    for w in workloads:
        for c in conc:
            r = results.setdefault((w, c), {"kc": [], "pg5": [], "floor": []})
            s0, cpu0 = metric("db_statements_total"), proc_cpu_ms(kc.pid)
            rps, n, e, p50, p99 = wrk(KC_URL, KC_Q[w], token, c)
            s1, cpu1 = metric("db_statements_total"), proc_cpu_ms(kc.pid)
            r["kc"].append(dict(rps=rps, err=e, p50=p50, p99=p99, stmts=(s1 - s0) / max(n, 1), cpu=(cpu1 - cpu0) / max(n, 1)))
            if pg5 and ok_pg5[w][0]:
                cpu0 = proc_cpu_ms(pg5.pid)
                rps, n, e, p50, p99 = wrk(PG5_URL, PG5_Q[w], None, c)
                r["pg5"].append(dict(rps=rps, err=e, p50=p50, p99=p99, cpu=(proc_cpu_ms(pg5.pid) - cpu0) / max(n, 1)))
            r["floor"].append(pgbench(w.lower() + ".sql", c))
            log(w, c, r["kc"][-1], r["pg5"][-1] if r["pg5"] else None, r["floor"][-1])

kc_rss = peak_rss_mb(kc.pid)
pg5_rss = peak_rss_mb(pg5.pid) if pg5 else None
kc.send_signal(signal.SIGTERM)
if pg5:
    pg5.send_signal(signal.SIGTERM)

# ---------------------------------------------------------------- table
best = lambda xs, k: max(x[k] for x in xs) if xs else None
med = lambda xs: sorted(xs)[len(xs) // 2] if xs else None
def fmt(v, d=0):
    return "—" if v is None else f"{v:,.{d}f}"
lines = []
lines.append("# Benchmark results\n")
lines.append(f"- date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
lines.append(f"- machine: {platform.node()} — {os.cpu_count()} CPUs ({open('/proc/cpuinfo').read().split('model name')[1].split(':')[1].splitlines()[0].strip()}), "
             f"{int(open('/proc/meminfo').readline().split()[1]) // 1024} MiB; **shared with other builds while it ran: figures are noisy, compare ratios within this run only**")
lines.append(f"- versions: khuyencong {subprocess.run([BIN, '--version'], capture_output=True, text=True).stdout.strip()} (release), "
             f"{psql('SELECT version()').split(' on ')[0]}, PostGraphile {pg5_version}, {subprocess.run(['wrk', '-v'], capture_output=True, text=True).stdout.splitlines()[0] if True else ''}")
lines.append(f"- data: scale `{a.scale}` seed {a.seed}: " + ", ".join(f"{v} {k}" for k, v in counts.items()) +
             (f"; generated in {gen_secs:.1f} s (multi-row INSERTs)" if gen_secs else ""))
lines.append(f"- command: `bench/run.sh --scale {a.scale} --duration {a.duration} --rounds {a.rounds} --concurrency {a.concurrency} --workloads {a.workloads}`")
lines.append(f"- each cell: wrk {a.duration} s, best of {a.rounds} interleaved round(s); floor = pgbench with prepared statements doing what the query needs (bench/pgbench/*.sql)")
lines.append(f"- peak RSS: khuyencong {fmt(kc_rss)} MiB, PostGraphile {fmt(pg5_rss)} MiB\n")
lines.append("| workload | c | kc rps | kc p50 ms | kc p99 ms | kc errors | kc SQL/request | kc CPU ms/request | PostGraphile rps | PG5 p99 ms | PG5 CPU ms/request | kc ÷ PG5 | SQL floor tps | kc ÷ floor |")
lines.append("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
for w in workloads:
    for c in conc:
        r = results[(w, c)]
        k = max(r["kc"], key=lambda x: x["rps"])
        p = max(r["pg5"], key=lambda x: x["rps"]) if r["pg5"] else None
        fl = max(r["floor"])
        lines.append(f"| {w} | {c} | {fmt(k['rps'])} | {fmt(k['p50'], 1)} | {fmt(k['p99'], 1)} | {k['err']} | {k['stmts']:.2f} | {k['cpu']:.2f} | "
                     f"{fmt(p['rps']) if p else '—'} | {fmt(p['p99'], 1) if p else '—'} | {fmt(p['cpu'], 2) if p else '—'} | "
                     f"{(k['rps'] / p['rps']):.2f} |" .replace("|  |", "|") if p else
                     f"| {w} | {c} | {fmt(k['rps'])} | {fmt(k['p50'], 1)} | {fmt(k['p99'], 1)} | {k['err']} | {k['stmts']:.2f} | {k['cpu']:.2f} | — | — | — | — |")
        lines[-1] += f" {fmt(fl)} | {(k['rps'] / fl if fl else 0):.2f} |"
notes = [f"- {w}: PostGraphile {'not measured: ' + ok_pg5[w][1] if not ok_pg5[w][0] else 'ok'}" for w in workloads]
notes += [f"- {w}: khuyencong check {'ok' if ok_kc[w][0] else 'FAILED ' + ok_kc[w][1]}" for w in workloads]
lines.append("\nChecks before the runs (a query answering with GraphQL errors is not measured):\n")
lines += notes
open(a.out, "w").write("\n".join(lines) + "\n")
print("\n".join(lines))
if not a.pg5_dir:
    shutil.rmtree(tmp, ignore_errors=True)
