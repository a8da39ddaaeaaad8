"""Side-by-side benchmark of khuyencong, the raw-SQL floor and PostGraphile 5 (see README)."""
import argparse, base64, json, os, platform, re, shutil, signal, subprocess, sys, tempfile, time, urllib.request

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
ap.add_argument("--workloads", default="W1,W2a,W2b,W3,W4,W5d,W5h,W7,W6")
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

gid = lambda kind, i: base64.urlsafe_b64encode(f"{kind}:{i}".encode()).decode().rstrip("=")

# W5: allocate 1,000 đồng into the room appraised projects have left (the generator gives an
# appraised project half its support), with the budget checks on project and source, by the
# approving level. "d": local projects spread over every province's own source (distinct
# rows), each allocated by its province's officer; "h": national projects of one fiscal year,
# all on that year's national source (one hot row), allocated by the Ministry.
def w5_pairs(level):
    where = "p.status = 'APPRAISED' AND p.program_level = '%s'" % level
    if level == "NATIONAL":
        year = psql(f"SELECT p.fiscal_year FROM project p WHERE {where} GROUP BY 1 ORDER BY COUNT(*) DESC LIMIT 1", DB_URL)
        where += f" AND p.fiscal_year = {year}"
    rows = psql(f"SELECT p.id, MIN(a.funding_source_id), p.province_code FROM project p JOIN allocation a ON a.project_id = p.id "
                f"WHERE {where} GROUP BY p.id, p.province_code ORDER BY p.id DESC LIMIT 100", DB_URL).splitlines()
    return [(int(r.split("|")[0]), int(r.split("|")[1]), r.split("|")[2]) for r in rows if r]
W5_PAIRS = {"W5d": w5_pairs("LOCAL"), "W5h": w5_pairs("NATIONAL")}
province_tokens = {}
for code in sorted({prov for _, _, prov in W5_PAIRS["W5d"]}):
    name = f"bench.p{code}"
    subprocess.run([BIN, "users", "create", "--username", name, "--role", "province", "--province", code],
                   env=dict(env, KC_PASSWORD="bench-password-123"), capture_output=True)
    province_tokens[code] = post(KC_URL, {"query": 'mutation { login(username: "%s", password: "bench-password-123") { accessToken } }' % name})["data"]["login"]["accessToken"]
ALLOC = 'mutation($p: ID!, $s: ID!) { allocateFunding(projectId: $p, fundingSourceId: $s, amountVnd: 1000) { id amountVnd } }'
for w, pairs in W5_PAIRS.items():
    KC_Q[w] = [{"query": ALLOC, "variables": {"p": gid("Project", p), "s": gid("FundingSource", f)},
                "_auth": province_tokens.get(prov) if w == "W5d" else None} for p, f, prov in pairs]
# W7: a read mix as a web client would send it, in these proportions: 4 × W1, 2 × W2a, 1 × W2b, 3 × W4.
MIX = ["W1"] * 4 + ["W2a"] * 2 + ["W2b"] + ["W4"] * 3
KC_Q["W7"] = [{"query": KC_Q[w]} for w in MIX]
PG5_Q["W7"] = [{"query": PG5_Q[w]} for w in MIX]

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
        body = q[0] if isinstance(q, list) else {"query": q}
        r = post(url, {k: v for k, v in body.items() if k != "_auth"}, body.get("_auth") or tok)
        return "errors" not in r, (json.dumps(r.get("errors"))[:200] if "errors" in r else "")
    except Exception as e:
        return False, str(e)[:200]

# ---------------------------------------------------------------- runs
LAT = re.compile(r"^\s+(50|99)(?:\.000)?%\s+([\d.]+)(us|ms|s)\b", re.M)
def wrk(url, query, tok, c):
    """wrk for `a.duration` s; `query` is one query text or a list of request bodies sent in turn."""
    script = os.path.join(tmp, "req.lua")
    bodies = query if isinstance(query, list) else [{"query": query}]
    hdr = f'wrk.headers["Authorization"] = "Bearer {tok}"\n' if tok else ""
    clean = lambda b: {k: v for k, v in b.items() if k != "_auth"}
    lua = "".join(f"bodies[{i + 1}] = {json.dumps(json.dumps(clean(b)))}\nauths[{i + 1}] = {json.dumps(('Bearer ' + (b.get('_auth') or tok)) if (b.get('_auth') or tok) else '')}\n"
                  for i, b in enumerate(bodies))
    open(script, "w").write(f'wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\n{hdr}'
                            f'bodies = {{}}\nauths = {{}}\n{lua}i = 0\n'
                            'request = function()\n  i = i + 1\n  local k = (i % #bodies) + 1\n'
                            '  if auths[k] ~= "" then wrk.headers["Authorization"] = auths[k] end\n'
                            '  return wrk.format(nil, nil, nil, bodies[k])\nend\n')
    out = subprocess.run(["wrk", "-t", str(min(c, 2)), "-c", str(c), "-d", f"{a.duration}s", "--latency", "--timeout", "10s", "-s", script, url],
                         capture_output=True, text=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    reqs = int(re.search(r"(\d+) requests in", out).group(1))
    errs = sum(int(x) for x in re.findall(r"(?:Non-2xx or 3xx responses|timeout) (\d+)", out))
    lat = {}
    for p, v, u in LAT.findall(out):
        lat[p] = float(v) * {"us": 0.001, "ms": 1, "s": 1000}[u]
    return rps, reqs, errs, lat.get("50"), lat.get("99")

def pgbench(w, c):
    """The floor: pgbench with prepared statements doing what workload `w` needs."""
    path = os.path.join(ROOT, "bench", "pgbench", w.lower() + ".sql")
    defs = ["-D", f"id={est_id}"]
    if w in W5_PAIRS:
        pairs = W5_PAIRS[w]
        case = lambda k: "case " + " ".join(f"when :k = {i} then {p[k]}" for i, p in enumerate(pairs)) + " end"
        body = open(os.path.join(ROOT, "bench", "pgbench", "w5.sql")).read()
        path = os.path.join(tmp, w + ".sql")
        open(path, "w").write(f"\\set k random(0, {len(pairs) - 1})\n\\set pid {case(0)}\n\\set sid {case(1)}\n" + body)
    elif w == "W7":
        path = None
    if path is None:
        # The mix: each script with the weight it has in the mix.
        files = sum((["-f", os.path.join(ROOT, "bench", "pgbench", f"{x.lower()}.sql") + f"@{MIX.count(x)}"] for x in sorted(set(MIX))), [])
    else:
        files = ["-f", path]
    out = subprocess.run(["pgbench", "-n", "-M", "prepared", "-c", str(c), "-j", str(min(c, 2)), "-T", str(a.duration)] + defs + files + [DB_URL],
                         capture_output=True, text=True)
    m = re.search(r"tps = ([\d.]+)", out.stdout)
    if not m:
        log("pgbench failed", w, out.stderr[-400:])
    return float(m.group(1)) if m else 0.0

def rss_mb(pid):
    for l in open(f"/proc/{pid}/status"):
        if l.startswith("VmRSS"):
            return int(l.split()[1]) / 1024
    return 0

def w6():
    """The NDJSON export of every establishment: rows/s, time to first byte, memory growth;
    the floor is COPY of the same rows to standard output through psql."""
    import threading
    req = urllib.request.Request(f"http://127.0.0.1:{KC_PORT}/export/establishments.ndjson", headers={"authorization": f"Bearer {token}"})
    rss0, peak = rss_mb(kc.pid), [0.0]
    stop = threading.Event()
    def sample():
        while not stop.is_set():
            peak[0] = max(peak[0], rss_mb(kc.pid))
            time.sleep(0.05)
    th = threading.Thread(target=sample); th.start()
    t0 = time.time()
    rows, ttfb = 0, None
    with urllib.request.urlopen(req, timeout=600) as r:
        while True:
            chunk = r.read(1 << 16)
            if ttfb is None:
                ttfb = (time.time() - t0) * 1000
            if not chunk:
                break
            rows += chunk.count(b"\n")
    secs = time.time() - t0
    stop.set(); th.join()
    t1 = time.time()
    subprocess.run(["psql", DB_URL, "-qc", "COPY (SELECT * FROM establishment ORDER BY id) TO STDOUT"], check=True, stdout=subprocess.DEVNULL)
    floor_secs = time.time() - t1
    n = int(counts["establishment"])
    return dict(rows=rows, secs=secs, rps=rows / secs, ttfb=ttfb, growth=max(peak[0] - rss0, 0), floor_rps=n / floor_secs)

results = {}
workloads = a.workloads.split(",")
conc = [int(x) for x in a.concurrency.split(",")]
w6_runs = []
ok_kc = {w: check(KC_URL, KC_Q[w], token) for w in workloads if w != "W6"}
ok_pg5 = {w: (check(PG5_URL, PG5_Q[w], None) if pg5 and w in PG5_Q else (False, "no equivalent query")) for w in workloads if w != "W6"}
log("kc checks", ok_kc); log("pg5 checks", ok_pg5)
for rnd in range(a.rounds):
    if "W6" in workloads:
        w6_runs.append(w6())
        log("W6", w6_runs[-1])
    for w in workloads:
        if w == "W6":
            continue
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
            r["floor"].append(pgbench(w, c))
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
             (f"; generated in {gen_secs:.1f} s (COPY)" if gen_secs else ""))
lines.append(f"- command: `bench/run.sh --scale {a.scale} --duration {a.duration} --rounds {a.rounds} --concurrency {a.concurrency} --workloads {a.workloads}`")
lines.append(f"- each cell: wrk {a.duration} s, best of {a.rounds} interleaved round(s); floor = pgbench with prepared statements doing what the query needs (bench/pgbench/*.sql)")
lines.append(f"- peak RSS: khuyencong {fmt(kc_rss)} MiB, PostGraphile {fmt(pg5_rss)} MiB\n")
lines.append("| workload | c | kc rps | kc p50 ms | kc p99 ms | kc errors | kc SQL/request | kc CPU ms/request | PostGraphile rps | PG5 p99 ms | PG5 CPU ms/request | kc ÷ PG5 | SQL floor tps | kc ÷ floor |")
lines.append("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
for w in workloads:
    if w == "W6":
        continue
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
if w6_runs:
    b = max(w6_runs, key=lambda x: x["rps"])
    lines.append(f"\nW6, the NDJSON export of all {b['rows']:,} establishments (best of {len(w6_runs)}): "
                 f"{b['rps']:,.0f} rows/s against the COPY floor's {b['floor_rps']:,.0f} rows/s (**{b['rps'] / b['floor_rps']:.2f} ×**), "
                 f"first byte after {b['ttfb']:.1f} ms, server memory growth {b['growth']:.1f} MiB. "
                 "PostGraphile has no streamed export (a whole-table query is buffered), so it is not measured here.")
notes = [f"- {w}: PostGraphile {'not measured: ' + ok_pg5[w][1] if not ok_pg5[w][0] else 'ok'}" for w in ok_pg5]
notes += [f"- {w}: khuyencong check {'ok' if ok_kc[w][0] else 'FAILED ' + ok_kc[w][1]}" for w in ok_kc]
lines.append("\nChecks before the runs (a query answering with GraphQL errors is not measured):\n")
lines += notes
open(a.out, "w").write("\n".join(lines) + "\n")
print("\n".join(lines))
if not a.pg5_dir:
    shutil.rmtree(tmp, ignore_errors=True)
