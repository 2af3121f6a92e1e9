#!/usr/bin/env python3
"""kill -9 cycles under write load: nothing acknowledged is lost, nothing is doubled.

    crash_cycles.py BINARY sqlite [CYCLES]
    crash_cycles.py BINARY postgres PG_SERVER_URL [CYCLES]

Starts the release binary in demo mode on a fresh database (a SQLite file in a temporary folder,
or a PostgreSQL database of its own, dropped afterwards), publishes a call, and lets four client
threads create applications (each with an Idempotency-Key) and submit them, as two providers,
as fast as the server answers. After a random 0.3-2.5 s the server is killed with SIGKILL and
started again on the same database; CYCLES times (10 by default). A create whose answer the crash
swallowed is sent again with its key once the server is back, as a client would.

Then, on the restarted server, every acknowledged write is checked:
- every application answered 201 is there, once: each provider lists exactly the applications
  whose creation it saw acknowledged (a retried key gives the same one, never a second);
- every submission answered 200 is there with the protocol number it was given;
- protocol numbers are unique and gap-free across every crash, and each provider has exactly
  one application in status `submitted` (its later submissions replace the earlier).
Prints the figures and exits non-zero on any loss, doubling or unexpected answer. stdlib only.
"""
import http.client
import os
import random
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "bench"))
import bench  # noqa: E402  (the benchmark's client: Api, login, APPLICATION, publish_call)

PROVIDERS = ("operatore@coop-uno.demo", "operatore@coop-due.demo")
WORKERS = 4
# Connection failures a client sees when the server dies under it or is not back yet.
GONE = (ConnectionError, http.client.HTTPException, socket.timeout, OSError)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """The release binary on one database, started again and again on it."""

    def __init__(self, binary, database_url, workdir):
        self.binary, self.workdir = binary, workdir
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.password = secrets.token_urlsafe(15)
        self.env = dict(
            os.environ,
            AMBITO_DEMO="1",
            AMBITO_DEMO_PASSWORD=self.password,
            AMBITO_JWT_SECRET=secrets.token_urlsafe(36),
            AMBITO_ACCESS_TOKEN_TTL="3600",
            AMBITO_LOG_FORMAT="json",
            DATABASE_URL=database_url,
            AMBITO_BIND=f"127.0.0.1:{self.port}",
            AMBITO_DOCUMENTS_DIR=os.path.join(workdir, "documents"),
        )
        self.proc = None
        self.starts = 0

    def start(self):
        log = open(os.path.join(self.workdir, "server.log"), "ab")
        self.proc = subprocess.Popen([self.binary, "serve"], env=self.env, stdout=log, stderr=log)
        self.starts += 1
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit(f"crash cycles: the server exited with {self.proc.returncode} on start {self.starts}; "
                                 f"see {self.workdir}/server.log")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                conn.request("GET", "/health/ready")
                if conn.getresponse().status == 200:
                    return
            except GONE:
                pass
            time.sleep(0.05)
        raise SystemExit(f"crash cycles: the server was not ready within 60 s on start {self.starts}")

    def kill9(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill9()


class Ledger:
    """What the clients saw acknowledged, and what a crash left them unsure of."""

    def __init__(self):
        self.lock = threading.Lock()
        self.created = {}  # application id -> provider e-mail
        self.submitted = {}  # application id -> protocol number
        self.unsure_creates = []  # (provider, key, tender) whose answer a crash swallowed
        self.unsure_submits = 0
        self.unavailable = 0  # 503 answers: refused honestly, not acknowledged
        self.unexpected = []


def worker(server, tokens, tender, ledger, up, stop, n):
    try:
        write_until_stopped(server, tokens, tender, ledger, up, stop, n)
    except Exception as e:  # a client that dies must fail the run, not thin the load quietly
        with ledger.lock:
            ledger.unexpected.append(f"client {n} failed: {e!r}")


def write_until_stopped(server, tokens, tender, ledger, up, stop, n):
    provider = PROVIDERS[n % len(PROVIDERS)]
    api = bench.Api(server.base, tokens[provider])
    while not stop.is_set():
        if not up.wait(timeout=0.2):
            continue
        key = str(uuid.uuid4())
        try:
            status, body, _ = api.call("POST", f"/api/v1/tenders/{tender}/applications", bench.APPLICATION,
                                       extra_headers={"Idempotency-Key": key})
        except GONE:
            with ledger.lock:
                ledger.unsure_creates.append((provider, key))
            api = bench.Api(server.base, tokens[provider])
            continue
        if status != 201:
            record_refusal(ledger, "create", status, body)
            continue
        app_id = body["id"]
        with ledger.lock:
            ledger.created[app_id] = provider
        try:
            status, body, _ = api.call("POST", f"/api/v1/applications/{app_id}/submit")
        except GONE:
            with ledger.lock:
                ledger.unsure_submits += 1
            api = bench.Api(server.base, tokens[provider])
            continue
        if status != 200:
            record_refusal(ledger, "submit", status, body)
            continue
        with ledger.lock:
            ledger.submitted[app_id] = body["receipt"]["protocol_number"]


def record_refusal(ledger, what, status, body):
    with ledger.lock:
        if status == 503:
            ledger.unavailable += 1
        else:
            ledger.unexpected.append(f"{what} answered {status}: {str(body)[:200]}")


def retry_unsure_creates(server, tokens, tender, ledger):
    """The client's side of idempotency: the same key again, once the server is back."""
    replayed = 0
    with ledger.lock:
        pending, ledger.unsure_creates = ledger.unsure_creates, []
    for provider, key in pending:
        api = bench.Api(server.base, tokens[provider])
        status, body, headers = api.call("POST", f"/api/v1/tenders/{tender}/applications", bench.APPLICATION,
                                         extra_headers={"Idempotency-Key": key})
        if status != 201:
            ledger.unexpected.append(f"a retried create answered {status}: {str(body)[:200]}")
            continue
        replayed += headers.get("Idempotent-Replayed", headers.get("idempotent-replayed")) == "true"
        with ledger.lock:
            ledger.created[body["id"]] = provider
    return len(pending), replayed


def every_page(api, path):
    items, cursor = [], None
    while True:
        sep = "&" if "?" in path else "?"
        page = api.expect(200, "GET", path + (f"{sep}cursor={urllib.parse.quote(cursor)}" if cursor else ""))
        items += page["items"]
        cursor = page.get("next_cursor")
        if not cursor:
            return items


def verify(server, tokens, staff, tender, ledger):
    problems = list(ledger.unexpected)
    mine = {p: {} for p in PROVIDERS}
    for provider in PROVIDERS:
        api = bench.Api(server.base, tokens[provider])
        for item in every_page(api, f"/api/v1/applications?tender_id={tender}&limit=200"):
            mine[provider][item["id"]] = item
    listed = {i: item for items in mine.values() for i, item in items.items()}
    for provider in PROVIDERS:
        acknowledged = {i for i, p in ledger.created.items() if p == provider}
        lost = acknowledged - set(mine[provider])
        doubled = set(mine[provider]) - acknowledged
        if lost:
            problems.append(f"{provider}: {len(lost)} acknowledged applications missing, e.g. {sorted(lost)[:3]}")
        if doubled:
            problems.append(f"{provider}: {len(doubled)} applications no acknowledged create made, e.g. {sorted(doubled)[:3]}")
        current = [i for i, item in mine[provider].items() if item["status"] == "submitted"]
        if len(current) > 1:
            problems.append(f"{provider}: {len(current)} applications in status submitted, expected at most 1")
    for app_id, number in ledger.submitted.items():
        item = listed.get(app_id)
        if item is None or item["status"] not in ("submitted", "replaced") or item.get("protocol_number") != number:
            problems.append(f"acknowledged submission of {app_id} ({number}) reads back as "
                            f"{None if item is None else (item['status'], item.get('protocol_number'))}")
    numbers = [item.get("protocol_number") for item in listed.values() if item["status"] in ("submitted", "replaced")]
    seqs = sorted(int(n.split("/")[1]) for n in numbers if n)
    if len(set(seqs)) != len(seqs):
        problems.append(f"{len(seqs) - len(set(seqs))} duplicate protocol numbers")
    if seqs and seqs != list(range(seqs[0], seqs[0] + len(seqs))):
        problems.append(f"protocol numbers not gap-free: {len(seqs)} numbers from {seqs[0]} to {seqs[-1]}")
    staff_view = bench.walk_once(bench.Api(server.base, staff), tender)[0]
    if sorted(i["id"] for i in staff_view) != sorted(i for i, item in listed.items() if item["status"] != "draft"):
        problems.append("staff's list of the call's applications differs from the providers' submitted ones")
    return problems, len(listed), seqs


def main():
    if len(sys.argv) < 3 or sys.argv[2] not in ("sqlite", "postgres"):
        raise SystemExit(__doc__)
    binary, kind = os.path.abspath(sys.argv[1]), sys.argv[2]
    rest = sys.argv[3:]
    pg_server = rest.pop(0) if kind == "postgres" else None
    cycles = int(rest[0]) if rest else 10
    started = time.monotonic()
    workdir = tempfile.mkdtemp(prefix=f"ambito-crash-{kind}-")
    pg_db = None
    if kind == "sqlite":
        url = f"sqlite://{workdir}/ambito.db"
    else:
        pg_db = f"ambito_crash_{os.getpid()}"
        subprocess.run(["psql", "-q", pg_server, "-c", f"CREATE DATABASE {pg_db}"], check=True)
        u = urllib.parse.urlsplit(pg_server)
        url = urllib.parse.urlunsplit(u._replace(path=f"/{pg_db}"))
    server = Server(binary, url, workdir)
    try:
        server.start()
        api = bench.Api(server.base)
        tokens = {p: bench.login(api, p, server.password) for p in PROVIDERS}
        staff = bench.login(api, "staff@asc.demo", server.password)
        api.token = staff
        tender, _ = bench.publish_call(api)

        ledger, up, stop = Ledger(), threading.Event(), threading.Event()
        threads = [threading.Thread(target=worker, args=(server, tokens, tender, ledger, up, stop, n), daemon=True)
                   for n in range(WORKERS)]
        for t in threads:
            t.start()
        retried = replayed = 0
        rng = random.Random(int(os.environ.get("CRASH_SEED", "20261125")))
        for _ in range(cycles):
            up.set()
            time.sleep(rng.uniform(0.3, 2.5))
            up.clear()  # no new request starts; those under way meet the kill
            server.kill9()
            time.sleep(0.3)  # let every client see the connection go
            server.start()
            r, p = retry_unsure_creates(server, tokens, tender, ledger)
            retried, replayed = retried + r, replayed + p
        stop.set()
        for t in threads:
            t.join(timeout=30)
        r, p = retry_unsure_creates(server, tokens, tender, ledger)
        retried, replayed = retried + r, replayed + p

        problems, listed, seqs = verify(server, tokens, staff, tender, ledger)
        print(f"crash cycles ({kind}): {cycles} kill -9 cycles in {time.monotonic() - started:.0f} s; "
              f"acknowledged: {len(ledger.created)} creates, {len(ledger.submitted)} submissions; "
              f"creates retried with their key after a crash: {retried} ({replayed} replayed, {retried - replayed} done anew); "
              f"submissions a crash left unanswered: {ledger.unsure_submits}; 503 answers: {ledger.unavailable}; "
              f"applications listed: {listed}; protocol numbers: {len(seqs)}"
              + (f" ({seqs[0]}..{seqs[-1]})" if seqs else ""))
        if problems:
            print("\n".join(f"FAIL {p}" for p in problems))
            raise SystemExit(1)
        if not ledger.created or not ledger.submitted:
            raise SystemExit("crash cycles: no write was acknowledged, so nothing was tested")
        print(f"crash cycles ({kind}): every acknowledged write is there once; protocol numbers unique and gap-free")
    finally:
        server.stop()
        if pg_db:
            subprocess.run(["psql", "-q", pg_server, "-c", f"DROP DATABASE IF EXISTS {pg_db} WITH (FORCE)"], check=False)
        subprocess.run(["rm", "-rf", workdir], check=False)


if __name__ == "__main__":
    main()
