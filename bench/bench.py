#!/usr/bin/env python3
"""Client side of the Ambito benchmark: drives the API (stdlib only), parses wrk's output and
prints the results. Called by bench/run.sh, one subcommand per step; every step writes a JSON
file into the run's work directory and the `report` step turns them into a table.

    bench.py setup   BASE OUT PASSWORD             log in both accounts, create and publish a call
    bench.py seed    BASE OUT N                    N applications: create a draft, submit it (sequential)
    bench.py walk    BASE OUT REPS EXPECTED        walk every page of 200, REPS times
    bench.py page    BASE OUT EXPECTED             check the first page answers 200 with EXPECTED items
    bench.py targets BASE OUT                      pick the submitted application for the GET runs, check both GETs
    bench.py drafts  BASE OUT N FILE               N fresh drafts (4 client threads), ids into FILE
    bench.py verify  BASE OUT                      after the submits: statuses and protocol numbers
    bench.py wrk     WRK_STDOUT OUT_JSON           pull the JSON line the Lua `done` printed
    bench.py report  WORKDIR RESULTS_MD            the table, on stdout and into RESULTS_MD
"""
import http.client
import json
import os
import statistics
import sys
import threading
import time
import urllib.parse
from datetime import datetime, timedelta, timezone

PAGE = 200


class Api:
    """One keep-alive HTTP/1.1 connection to the server."""

    def __init__(self, base, token=None):
        u = urllib.parse.urlsplit(base)
        self.host, self.port = u.hostname, u.port
        self.token = token
        self.conn = http.client.HTTPConnection(self.host, self.port, timeout=60)

    def call(self, method, path, body=None, token=None, extra_headers=None):
        headers = {"accept": "application/json", **(extra_headers or {})}
        token = token or self.token
        if token:
            headers["authorization"] = f"Bearer {token}"
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["content-type"] = "application/json"
        elif method == "POST":
            headers["content-length"] = "0"
        for attempt in (1, 2):
            try:
                self.conn.request(method, path, body=data, headers=headers)
                resp = self.conn.getresponse()
                raw = resp.read()
                break
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                # A keep-alive connection the server closed while idle: reconnect once.
                self.conn.close()
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=60)
                if attempt == 2:
                    raise
        try:
            parsed = json.loads(raw) if raw else None
        except ValueError:
            parsed = raw.decode(errors="replace")
        return resp.status, parsed, dict(resp.getheaders())

    def expect(self, status, method, path, body=None):
        got, parsed, _ = self.call(method, path, body)
        if got != status:
            raise SystemExit(f"bench: {method} {path} answered {got}, expected {status}: {parsed}")
        return parsed


def write_json(out, name, value):
    with open(os.path.join(out, name), "w") as f:
        json.dump(value, f, indent=1)


def read_json(out, name):
    with open(os.path.join(out, name)) as f:
        return json.load(f)


def pct(values, p):
    """Nearest-rank percentile."""
    s = sorted(values)
    if not s:
        return None
    k = max(0, min(len(s) - 1, int(round(p / 100 * len(s) + 0.5)) - 1))
    return s[k]


def login(api, email, password):
    token = api.expect(200, "POST", "/api/v1/auth/login", {"email": email, "password": password})
    return token["access_token"]


APPLICATION = {
    "scope": [{"intervention": "mediation_health", "municipality": "019036"}],
    "declarations": [{"requirement_code": "no_exclusion_grounds", "accepted": True}],
}


def publish_call(api):
    """Creates and publishes, as the staff member `api` is logged in as, a call that closes in a
    day; returns its id and deadline."""
    rome = timezone(timedelta(hours=1))  # any offset will do; the server shows Rome time
    deadline = (datetime.now(rome) + timedelta(days=1)).replace(microsecond=0).isoformat()
    tender = {
        "kind": "accreditation",
        "title": "Bench call",
        "responsible_official": "Bench official",
        "municipalities": ["019036", "019021"],
        "interventions": [
            {"code": "mediation_health", "unit": "hour", "rate_cents": 2500},
            {"code": "mediation_school", "unit": "hour", "rate_cents": 2500},
        ],
        "requirements": [
            {"code": "no_exclusion_grounds", "category": "general", "description": "No exclusion grounds"}
        ],
        "submission_deadline": deadline,
        "clarification_deadline": deadline,
        "validity_from": "2027-01-01",
        "validity_to": "2029-12-31",
    }
    created = api.expect(201, "POST", "/api/v1/tenders", tender)
    api.expect(200, "POST", f"/api/v1/tenders/{created['id']}/publish")
    return created["id"], deadline


def cmd_setup(base, out, password):
    api = Api(base)
    staff = login(api, "staff@asc.demo", password)
    provider = login(api, "operatore@coop-uno.demo", password)
    api.token = staff
    tender, deadline = publish_call(api)
    write_json(out, "setup.json", {"staff": staff, "provider": provider, "tender": tender})
    for name, value in (("staff.token", staff), ("provider.token", provider), ("tender.id", tender)):
        with open(os.path.join(out, name), "w") as f:
            f.write(value)
    print(f"bench: call {tender} published, deadline {deadline}")


def cmd_seed(base, out, n):
    s = read_json(out, "setup.json")
    api = Api(base, s["provider"])
    creates, submits, protocols = [], [], []
    t0 = time.perf_counter()
    for i in range(n):
        a = time.perf_counter()
        app = api.expect(201, "POST", f"/api/v1/tenders/{s['tender']}/applications", APPLICATION)
        b = time.perf_counter()
        receipt = api.expect(200, "POST", f"/api/v1/applications/{app['id']}/submit")
        c = time.perf_counter()
        creates.append((b - a) * 1000)
        submits.append((c - b) * 1000)
        protocols.append(receipt["receipt"]["protocol_number"] if "receipt" in receipt else None)
        if (i + 1) % 250 == 0:
            print(f"bench: seeded {i + 1}/{n}", flush=True)
    total = time.perf_counter() - t0
    tenth = max(1, n // 10)
    result = {
        "n": n,
        "seconds": total,
        "create_ms": {"mean": statistics.mean(creates), "p50": pct(creates, 50), "p99": pct(creates, 99),
                      "max": max(creates)},
        "submit_ms": {"mean": statistics.mean(submits), "p50": pct(submits, 50), "p99": pct(submits, 99),
                      "max": max(submits),
                      "first_tenth_mean": statistics.mean(submits[:tenth]),
                      "last_tenth_mean": statistics.mean(submits[-tenth:])},
        "protocols_missing": sum(1 for p in protocols if not p),
        "protocols_distinct": len(set(p for p in protocols if p)),
    }
    write_json(out, "seed.json", result)
    print(f"bench: seeded {n} in {total:.1f} s; submit mean {result['submit_ms']['mean']:.2f} ms")


def walk_once(api, tender):
    cursor, items, requests = None, [], 0
    while True:
        path = f"/api/v1/tenders/{tender}/applications?limit={PAGE}"
        if cursor:
            path += "&cursor=" + urllib.parse.quote(cursor, safe="")
        page = api.expect(200, "GET", path)
        requests += 1
        items.extend(page["items"])
        cursor = page.get("next_cursor")
        if not cursor:
            return items, requests


def cmd_walk(base, out, reps, expected):
    s = read_json(out, "setup.json")
    api = Api(base, s["staff"])
    walk_once(api, s["tender"])  # warm-up, not timed
    times, requests, counts = [], None, set()
    for _ in range(reps):
        a = time.perf_counter()
        items, requests = walk_once(api, s["tender"])
        times.append((time.perf_counter() - a) * 1000)
        counts.add(len(items))
    ids = [i["id"] for i in items]
    result = {"reps": reps, "requests_per_walk": requests, "items": sorted(counts),
              "ms": {"median": statistics.median(times), "min": min(times), "max": max(times)},
              "distinct_ids": len(set(ids)), "expected": expected}
    if counts != {expected} or len(set(ids)) != expected:
        result["error"] = f"walk returned {sorted(counts)} items ({len(set(ids))} distinct), expected {expected}"
        print("bench: WARNING: " + result["error"])
    write_json(out, "walk.json", result)
    print(f"bench: walk of {expected} in {requests} pages: median {result['ms']['median']:.1f} ms, "
          f"max {result['ms']['max']:.1f} ms")


def cmd_page(base, out, expected):
    s = read_json(out, "setup.json")
    api = Api(base, s["staff"])
    status, page, headers = api.call("GET", f"/api/v1/tenders/{s['tender']}/applications?limit={PAGE}")
    size = len(json.dumps(page))
    if status != 200 or len(page["items"]) != min(PAGE, expected):
        raise SystemExit(f"bench: first page: {status}, {len(page.get('items', []))} items")
    write_json(out, "page.json", {"bytes": size, "items": len(page["items"])})


def cmd_targets(base, out):
    """What the GET runs read: the one application of the call in status submitted (the last one
    seeded), read by its provider, and the published call, read without a token. Both must answer
    200 with the right resource before wrk is pointed at them. Writes app.id and targets.json."""
    s = read_json(out, "setup.json")
    items, _ = walk_once(Api(base, s["staff"]), s["tender"])
    submitted = [i["id"] for i in items if i["status"] == "submitted"]
    if len(submitted) != 1:
        raise SystemExit(f"bench: {len(submitted)} applications in status submitted before the GET runs, expected 1")
    app_id = submitted[0]
    status, app, headers = Api(base, s["provider"]).call("GET", f"/api/v1/applications/{app_id}")
    if status != 200 or not isinstance(app, dict) or app.get("id") != app_id or app.get("status") != "submitted":
        raise SystemExit(f"bench: GET /api/v1/applications/{app_id} as the provider: {status} {str(app)[:300]}")
    status, call, _ = Api(base).call("GET", f"/api/v1/tenders/{s['tender']}")
    if status != 200 or not isinstance(call, dict) or call.get("id") != s["tender"]:
        raise SystemExit(f"bench: GET /api/v1/tenders/{s['tender']} without a token: {status} {str(call)[:300]}")
    # An anonymous read of the application must be refused, or the authenticated run measures nothing.
    status, _, _ = Api(base).call("GET", f"/api/v1/applications/{app_id}")
    if status != 401:
        raise SystemExit(f"bench: GET /api/v1/applications/{app_id} without a token answered {status}, expected 401")
    with open(os.path.join(out, "app.id"), "w") as f:
        f.write(app_id)
    write_json(out, "targets.json", {"application": app_id, "application_bytes": len(json.dumps(app)),
                                     "tender": s["tender"], "tender_bytes": len(json.dumps(call))})
    print(f"bench: GET targets: application {app_id} (submitted), call {s['tender']}")


def cmd_drafts(base, out, n, path):
    s = read_json(out, "setup.json")
    ids, errors, lock = [], [], threading.Lock()
    todo = iter(range(n))

    def worker():
        api = Api(base, s["provider"])
        while True:
            with lock:
                if next(todo, None) is None:
                    return
            try:
                status, body, _ = api.call("POST", f"/api/v1/tenders/{s['tender']}/applications", APPLICATION)
            except OSError as e:
                status, body = None, repr(e)
            with lock:
                if status == 201:
                    ids.append(body["id"])
                else:
                    errors.append((status, body))
                    return

    threads = [threading.Thread(target=worker) for _ in range(4)]
    a = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors or len(ids) != n:
        raise SystemExit(f"bench: {n - len(ids)} drafts not made; first error: {errors[:1]}")
    with open(path, "w") as f:
        f.write("\n".join(ids) + "\n")
    print(f"bench: {n} drafts in {time.perf_counter() - a:.1f} s -> {os.path.basename(path)}")


def cmd_verify(base, out):
    """Every application of the call once: exactly one submitted, the rest replaced, each with
    its own protocol number, and the numbers 1..n without gaps (one authority, one year)."""
    s = read_json(out, "setup.json")
    api = Api(base, s["staff"])
    items, _ = walk_once(api, s["tender"])
    by_status = {}
    for i in items:
        by_status[i["status"]] = by_status.get(i["status"], 0) + 1
    numbers = [i.get("protocol_number") for i in items if i["status"] in ("submitted", "replaced")]
    seqs = sorted(int(p.split("/")[1]) for p in numbers if p)
    problems = []
    if by_status.get("submitted", 0) != 1:
        problems.append(f"{by_status.get('submitted', 0)} applications in status submitted, expected 1")
    if len(set(seqs)) != len(seqs):
        problems.append(f"{len(seqs) - len(set(seqs))} duplicate protocol numbers")
    if seqs and seqs != list(range(seqs[0], seqs[0] + len(seqs))):
        problems.append(f"protocol numbers not contiguous: {len(seqs)} numbers from {seqs[0]} to {seqs[-1]}")
    if any(not p for p in numbers):
        problems.append("submitted/replaced applications without a protocol number")
    result = {"applications": len(items), "by_status": by_status, "protocols": len(seqs),
              "first": seqs[0] if seqs else None, "last": seqs[-1] if seqs else None, "problems": problems}
    write_json(out, "verify.json", result)
    print(f"bench: verify: {len(items)} applications {by_status}; "
          + ("; ".join(problems) if problems else "protocol numbers unique and gap-free"))


def cmd_wrk(stdout_path, out_json):
    found = None
    with open(stdout_path) as f:
        text = f.read()
    for line in text.splitlines():
        if line.startswith("BENCH_JSON "):
            found = json.loads(line[len("BENCH_JSON "):])
    if found is None:
        raise SystemExit(f"bench: no BENCH_JSON line in {stdout_path}:\n{text}")
    with open(out_json, "w") as f:
        json.dump(found, f, indent=1)


# ---------------------------------------------------------------- report


def ms(us):
    return "-" if us is None else f"{us / 1000:.2f}"


def fmt(v, digits=1):
    return "-" if v is None else f"{v:.{digits}f}"


def load_db(work, name):
    d = os.path.join(work, name)
    if not os.path.isdir(d):
        return None
    res = {}
    for f in os.listdir(d):
        if f.endswith(".json"):
            res[f[:-5]] = read_json(d, f)
    return res


def cmd_report(work, md_path):
    meta = read_json(work, "meta.json")
    dbs = [(n, load_db(work, n)) for n in ("sqlite", "postgres")]
    dbs = [(n, r) for n, r in dbs if r]
    cols = [n for n, _ in dbs]
    rows = []

    def row(label, fn):
        vals = []
        for _, r in dbs:
            try:
                vals.append(fn(r))
            except (KeyError, TypeError, ZeroDivisionError):
                vals.append("-")
        rows.append((label, vals))

    def wrk_rps(key):
        def f(r):
            w = r[key]
            return f"{w['rps']:.0f}" if w.get("rps") is not None else "-"
        return f

    def wrk_lat(key):
        def f(r):
            lat = r[key]["latency_us"]
            return f"{ms(lat['p50'])} / {ms(lat['p90'])} / {ms(lat['p99'])} / {ms(lat['max'])}"
        return f

    def per_request(key):
        def f(r):
            return f"{r[key + '_stmts']['statements'] / r[key]['requests']:.2f}"
        return f

    def mean_tps(r, *keys):
        return sum(r[k]["tps"] for k in keys) / len(keys)

    def ratio(server_key, *baseline_keys, goal):
        def f(r):
            base = mean_tps(r, *baseline_keys)
            value = r[server_key]["rps"] / base
            spread = "/".join(f"{r[k]['tps']:.0f}" for k in baseline_keys)
            return f"{value:.2f} ({r[server_key]['rps']:.0f} vs {spread}; goal {goal})"
        return f

    def wrk_errors(key):
        def f(r):
            w = r[key]
            e = w["errors"]
            parts = []
            non200 = w.get("non200")
            if non200 is not None:
                parts.append(f"{non200} non-200" + (f" {w['statuses']}" if non200 else ""))
            else:
                parts.append(f"{e['status']} non-2xx/3xx")
            sock = e["connect"] + e["read"] + e["write"] + e["timeout"]
            parts.append(f"{sock} socket/timeout")
            if w.get("expected") is not None:
                parts.append(f"{w['answered']}/{w['expected']} answered")
            return ", ".join(parts)
        return f

    rows.append(("**Seeding (not a headline)**", ["" for _ in cols]))
    row("seed (create + submit, sequential): applications, s",
        lambda r: f"{r['seed']['n']}, {r['seed']['seconds']:.1f}")
    row("  submit latency while seeding: mean / p50 / p99 ms",
        lambda r: "{:.2f} / {:.2f} / {:.2f}".format(r["seed"]["submit_ms"]["mean"], r["seed"]["submit_ms"]["p50"],
                                                    r["seed"]["submit_ms"]["p99"]))
    row("  submit mean, first tenth vs last tenth, ms",
        lambda r: "{:.2f} vs {:.2f}".format(r["seed"]["submit_ms"]["first_tenth_mean"],
                                            r["seed"]["submit_ms"]["last_tenth_mean"]))
    row("  create-draft latency while seeding: mean ms", lambda r: f"{r['seed']['create_ms']['mean']:.2f}")
    rows.append(("**List 1,000 applications of a call**", ["" for _ in cols]))
    row("walk all pages of 200 (5 requests): median / max ms",
        lambda r: "{:.1f} / {:.1f}".format(r["walk"]["ms"]["median"], r["walk"]["ms"]["max"]))
    row("  walks, items per walk", lambda r: f"{r['walk']['reps']} x {'/'.join(map(str, r['walk']['items']))}")
    row("  first page size, KiB", lambda r: f"{r['page']['bytes'] / 1024:.0f}")
    row(f"wrk first page (limit=200), 2 threads 8 conns {meta['list_seconds']} s: req/s", wrk_rps("wrk_list"))
    row("  latency p50 / p90 / p99 / max ms", wrk_lat("wrk_list"))
    row("  requests, errors", lambda r: f"{r['wrk_list']['requests']}, " + wrk_errors("wrk_list")(r))
    get_s = meta.get("get_seconds", "-")
    for title, prefix, path, size in (
            ("**GET one application (its provider, authenticated)**", "wrk_get_app",
             "/applications/{id}", "application_bytes"),
            ("**GET one call (public, no token)**", "wrk_get_call", "/tenders/{id}", "tender_bytes")):
        rows.append((title, ["" for _ in cols]))
        row("  response body size, bytes", lambda r, size=size: f"{r['targets'][size]}")
        for suffix, label in (("_1", "1 thread 1 conn"), ("_8", "2 threads 8 conns")):
            key = prefix + suffix
            row(f"wrk GET {path}, {label} {get_s} s: req/s", wrk_rps(key))
            row("  latency p50 / p90 / p99 / max ms", wrk_lat(key))
            row("  requests, errors", lambda r, key=key: f"{r[key]['requests']}, " + wrk_errors(key)(r))
            row("  SQL statements per request", per_request(key))
    rows.append(("**Submit one application**", ["" for _ in cols]))
    for key, label in (("wrk_submit_1", "1 thread 1 conn"), ("wrk_submit_8", "2 threads 8 conns")):
        row(f"wrk submit, {label}: submits/s", wrk_rps(key))
        row("  latency p50 / p90 / p99 / max ms", wrk_lat(key))
        row("  responses", wrk_errors(key))
        row("  SQL statements per request", per_request(key))
    row("after all submits: applications, statuses",
        lambda r: f"{r['verify']['applications']} " + ", ".join(f"{k} {v}" for k, v in sorted(r['verify']['by_status'].items())))
    row("  protocol numbers", lambda r: "; ".join(r["verify"]["problems"]) or
        f"{r['verify']['protocols']} unique, gap-free ({r['verify']['first']}..{r['verify']['last']})")
    rows.append(("**Against the database itself (run before and after, interleaved)**", ["" for _ in cols]))
    row("GET application 8 conns / pgbench -S 8 clients",
        ratio("wrk_get_app_8", "pgbench_select_a", "pgbench_select_b", goal=">= 0.40"))
    def vs_datasette(r):
        a, b = r["wrk_datasette_a"], r["wrk_datasette_b"]
        base = (a["rps"] + b["rps"]) / 2
        return (f"{r['wrk_get_app_8']['rps'] / base:.1f}x ({r['wrk_get_app_8']['rps']:.0f} vs "
                f"{a['rps']:.0f}/{b['rps']:.0f}; datasette p50/p99 {ms(a['latency_us']['p50'])}/"
                f"{ms(a['latency_us']['p99'])} ms; goal >= 20x)")
    row("GET application 8 conns / datasette 0.65.5 row JSON, same file, 8 conns", vs_datasette)
    row("submit 8 conns / pgbench one-row INSERT 8 clients",
        ratio("wrk_submit_8", "pgbench_insert_8a", "pgbench_insert_8b", goal=">= 0.25"))
    row("submit 1 conn / pgbench one-row INSERT 1 client",
        ratio("wrk_submit_1", "pgbench_insert_1a", "pgbench_insert_1b", goal=">= 0.25"))
    row("submit 1 conn / one-row commit loop (WAL, synchronous=FULL)",
        ratio("wrk_submit_1", "commit_loop_a", "commit_loop_b", goal=">= 0.25"))
    row("  commit loop p50 / p99 ms", lambda r: "{:.2f} / {:.2f}".format(r["commit_loop_a"]["p50_ms"],
                                                                        r["commit_loop_a"]["p99_ms"]))
    rows.append(("**Server memory (RSS, MiB)**", ["" for _ in cols]))
    for phase, label in (("ready", "after start (VmRSS)"), ("seeded", "peak after seeding (VmHWM)"),
                         ("listed", "peak after list runs"), ("got", "peak after GET runs"),
                         ("submitted", "peak after submit runs (end)"),
                         ("end_rss", "VmRSS at the end")):
        def mem(r, phase=phase):
            m = r["memory"]
            v = m[phase] if phase != "end_rss" else m["submitted_rss"]
            return f"{v / 1024:.1f}"
        row(label, mem)

    def foreign(r):
        f = r["foreign"]
        text = "{:.1f} ({:.0f}%)".format(f["cpu_s"], 100 * f["cpu_s"] / (f["wall_s"] * f["cores"]))
        top = [f"{c} {t:.0f}" for c, t in f["top"][:2] if t >= 1]
        return text + ("; top: " + ", ".join(top) if top else "")

    row("other processes' CPU during this database's run, core-s (share of the machine)", foreign)
    row("server log: lines / warn+error lines (demo banner excluded)",
        lambda r: f"{r['memory']['log_lines']} / {r['memory']['warn_error_lines']}")

    w0 = max(len(l) for l, _ in rows)
    widths = [max(len(c), *(len(v[i]) for _, v in rows)) for i, c in enumerate(cols)]
    lines = []
    lines.append(f"| {'':<{w0}} | " + " | ".join(f"{c:<{widths[i]}}" for i, c in enumerate(cols)) + " |")
    lines.append(f"|{'-' * (w0 + 2)}|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for label, vals in rows:
        lines.append(f"| {label:<{w0}} | " + " | ".join(f"{v:<{widths[i]}}" for i, v in enumerate(vals)) + " |")
    table = "\n".join(lines)

    notes = []
    for n, r in dbs:
        for k in ("wrk_list", "wrk_get_app_1", "wrk_get_app_8", "wrk_get_call_1", "wrk_get_call_8",
                  "wrk_submit_1", "wrk_submit_8"):
            w = r.get(k)
            if w and w.get("non200"):
                notes.append(f"- {n} {k}: non-200 answers {w['statuses']}" +
                             (f"; first: {w['first_error']}" if w.get("first_error") else ""))
            if w and w["errors"]["status"]:
                notes.append(f"- {n} {k}: wrk counted {w['errors']['status']} responses with status > 399")
            if w and w.get("expected") is not None and w["answered"] != w["expected"]:
                notes.append(f"- {n} {k}: only {w['answered']} of {w['expected']} submits answered (run cut by -d)")
        if r.get("walk", {}).get("error"):
            notes.append(f"- {n} walk: {r['walk']['error']}")
        for p in r.get("verify", {}).get("problems", []):
            notes.append(f"- {n} verify: {p}")
        warnings = os.path.join(work, n, "warnings.txt")
        if os.path.exists(warnings):
            for line in open(warnings):
                try:
                    w = json.loads(line)
                    line = f"{w.get('timestamp')} {w.get('level')} {w.get('target')}: {w.get('message')}"
                except ValueError:
                    pass
                notes.append(f"- {n} server log: {line.strip()[:300]}")
        if r.get("seed", {}).get("protocols_missing"):
            notes.append(f"- {n} seed: {r['seed']['protocols_missing']} receipts without a protocol number")

    header = [
        "# Ambito benchmark results",
        "",
        f"- date: {meta['date']}",
        f"- commit: {meta['commit']} ({meta['profile']} build, `{meta['binary']}`)",
        f"- machine: {meta['nproc']} cores, {meta['cpu']}; {meta['mem']}",
        f"- wrk: {meta['wrk']}; PostgreSQL: {meta.get('pg_version', '-')} (DATABASE_URL and pgbench with sslmode={meta.get('pg_sslmode', 'libpq default: prefer')}); SQLite: bundled with the binary",
        f"- server: AMBITO_WORKERS default ({meta['nproc']}), pool 8; wrk and the server share the same cores",
        f"- submit runs: {meta['n1']} drafts with 1 thread/1 connection, {meta['n8']} with 2 threads/8 connections;"
        " each draft submitted exactly once",
        f"- GET runs: {meta.get('get_seconds', '-')} s each with 1 thread/1 connection and with 2 threads/8 connections,"
        " the same resource in every request (the call's one submitted application, read by its provider;"
        " the published call, read without a token)",
        f"- total run time: {meta.get('elapsed', '-')} s; load average (1/5/15 min) at start "
        f"{' '.join(meta.get('load_start', []))}, at end {' '.join(meta.get('load_end', []))}",
        "",
        "Peak RSS is the kernel's VmHWM of the server process, read after each phase (approximate:",
        "the kernel batches RSS accounting per thread, so successive readings can differ by a few hundred KiB).",
        "\"Other processes' CPU\" is the CPU time of every process outside the benchmark (PostgreSQL's shared",
        "background processes such as the WAL writer count as outside), sampled each second.",
        "Latencies are wrk's (from the request written to the response read), in milliseconds.",
        "All submissions are by the same provider to the same call and take the next protocol number of",
        "the same authority, so they serialize on the database by design.",
        "",
    ]
    text = "\n".join(header) + "\n" + table + "\n"
    if notes:
        text += "\nNotes:\n\n" + "\n".join(notes) + "\n"
    print()
    print(text)
    with open(md_path, "w") as f:
        f.write(text)


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "setup":
        cmd_setup(args[0], args[1], args[2])
    elif cmd == "seed":
        cmd_seed(args[0], args[1], int(args[2]))
    elif cmd == "walk":
        cmd_walk(args[0], args[1], int(args[2]), int(args[3]))
    elif cmd == "page":
        cmd_page(args[0], args[1], int(args[2]))
    elif cmd == "targets":
        cmd_targets(args[0], args[1])
    elif cmd == "drafts":
        cmd_drafts(args[0], args[1], int(args[2]), args[3])
    elif cmd == "verify":
        cmd_verify(args[0], args[1])
    elif cmd == "wrk":
        cmd_wrk(args[0], args[1])
    elif cmd == "report":
        cmd_report(args[0], args[1])
    else:
        raise SystemExit(f"bench: unknown command {cmd}")


if __name__ == "__main__":
    main()
