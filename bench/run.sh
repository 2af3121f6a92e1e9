#!/usr/bin/env bash
# Load benchmark of the release build over loopback, on SQLite and on PostgreSQL:
# listing the 1,000 applications of a call, reading one application and one call, and
# submitting applications.
#
#   bash bench/run.sh
#
# Prints a table at the end and writes the same to bench/RESULTS.md. See bench/README.md.
#
# Environment (all optional):
#   AMBITO_TEST_PG_URL     PostgreSQL server without a database name
#                          (default postgres://postgres@127.0.0.1:5432); the role must be allowed
#                          to create and drop databases. A database ambito_bench_<pid> is made
#                          and dropped.
#   BENCH_DBS              which databases, default "sqlite postgres"
#   BENCH_SKIP_BUILD=1     use target/release/ambito as it is (default: cargo build --release first)
#   CARGO_TARGET_DIR       honoured: the binary is taken from $CARGO_TARGET_DIR/release/ambito
#   BENCH_SEED             applications seeded (default 1000)
#   BENCH_WALKS            timed walks of all pages (default 20)
#   BENCH_LIST_SECONDS     duration of the wrk list run (default 20)
#   BENCH_GET_SECONDS      duration of each of the four wrk GET runs (default 10)
#   BENCH_SUBMIT_1         drafts submitted with 1 thread / 1 connection (default 1000)
#   BENCH_SUBMIT_8         drafts submitted with 2 threads / 8 connections (default 2000)
#   BENCH_SUBMIT_MAX_SECONDS  upper bound of each submit run (default 60)
#   BENCH_DATASETTE=0      skip datasette (installed with pip when missing) beside the SQLite GETs
#   BENCH_PG_SSLMODE       sslmode of the server's DATABASE_URL (default disable: loopback)
#   BENCH_KEEP=1           keep the work directory (server logs, wrk outputs, JSON) and print it
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
repo=$PWD
bench=$repo/bench
pg_base=${AMBITO_TEST_PG_URL:-postgres://postgres@127.0.0.1:5432}
pg_base=${pg_base%/}
dbs=${BENCH_DBS:-sqlite postgres}
seed_n=${BENCH_SEED:-1000}
walks=${BENCH_WALKS:-20}
list_seconds=${BENCH_LIST_SECONDS:-20}
get_seconds=${BENCH_GET_SECONDS:-10}
n1=${BENCH_SUBMIT_1:-1000}
n8=${BENCH_SUBMIT_8:-2000}
submit_max=${BENCH_SUBMIT_MAX_SECONDS:-60}
pg_sslmode=${BENCH_PG_SSLMODE:-disable}
metrics_token=bench-metrics-token-$$-$RANDOM
db=ambito_bench_$$
started=$(date +%s)

say() { printf 'bench: %s\n' "$*"; }
die() { printf 'bench: FAILED: %s\n' "$*" >&2; exit 1; }

# ------------------------------------------------------------------ tools
if ! command -v wrk >/dev/null; then
    say "installing wrk (apt-get)"
    sudo=; [[ $(id -u) -eq 0 ]] || sudo=sudo
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq wrk >/dev/null
fi
datasette_on=${BENCH_DATASETTE:-1}
if [[ $datasette_on == 1 && " $dbs " == *" sqlite "* ]] && ! command -v datasette >/dev/null; then
    say "installing datasette 0.65.5 (pip)"
    python3 -m pip install -q "datasette==0.65.5" >/dev/null 2>&1 || { say "no datasette: skipped"; datasette_on=0; }
fi
for tool in wrk python3 curl; do
    command -v "$tool" >/dev/null || die "$tool is needed"
done
if [[ " $dbs " == *" postgres "* ]]; then
    for tool in psql pgbench; do
        command -v $tool >/dev/null || die "$tool is needed for the PostgreSQL run (or set BENCH_DBS=sqlite)"
    done
fi

# ------------------------------------------------------------------ build
target_dir=${CARGO_TARGET_DIR:-target}
if [[ ${BENCH_SKIP_BUILD:-} != 1 ]]; then
    say "cargo build --release -p ambito-api"
    cargo build --release -q -p ambito-api
fi
[[ -x $target_dir/release/ambito ]] || die "no $target_dir/release/ambito (cargo build --release -p ambito-api)"

work=$(mktemp -d /tmp/ambito-bench.XXXXXX)
# A copy, so that a rebuild by someone else during the run does not change what is measured.
cp "$target_dir/release/ambito" "$work/ambito"
bin=$work/ambito

server_pid=
datasette_pid=
wrk_pid=
watch_pid=
pg_created=
cleanup() {
    set +e
    if [[ -n $wrk_pid ]] && kill -0 "$wrk_pid" 2>/dev/null; then
        kill "$wrk_pid" 2>/dev/null; wait "$wrk_pid" 2>/dev/null
    fi
    if [[ -n $server_pid ]] && kill -0 "$server_pid" 2>/dev/null; then
        kill "$server_pid" 2>/dev/null; wait "$server_pid" 2>/dev/null
    fi
    if [[ -n $datasette_pid ]] && kill -0 "$datasette_pid" 2>/dev/null; then
        kill "$datasette_pid" 2>/dev/null; wait "$datasette_pid" 2>/dev/null
    fi
    if [[ -n $watch_pid ]] && kill -0 "$watch_pid" 2>/dev/null; then
        kill "$watch_pid" 2>/dev/null; wait "$watch_pid" 2>/dev/null
    fi
    if [[ -n $pg_created ]]; then
        psql "$pg_base/postgres" -qAt -c "drop database if exists $db with (force)" >/dev/null 2>&1
    fi
    if [[ ${BENCH_KEEP:-} == 1 ]]; then
        say "work directory kept: $work"
    else
        rm -rf "$work"
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ------------------------------------------------------------------ machine and build
commit=$(git rev-parse --short HEAD)
# Changes to the benchmark itself do not change what is measured: said apart from the others.
if [[ -n $(git status --porcelain --untracked-files=no -- . ':(exclude)bench' 2>/dev/null) ]]; then
    commit="$commit+uncommitted changes"
elif [[ -n $(git status --porcelain -- bench 2>/dev/null) ]]; then
    commit="$commit, bench/ modified"
fi
pg_version=-
if [[ " $dbs " == *" postgres "* ]]; then
    pg_version=$(psql "$pg_base/postgres" -qAt -c 'show server_version' 2>/dev/null || echo unreachable)
fi
read -r load1 _ </proc/loadavg
if awk -v l="$load1" 'BEGIN { exit !(l > 0.5) }'; then
    say "note: load average is $load1 before starting: other work on this machine will skew the figures"
fi
python3 - "$work/meta.json" <<PY
import json, os, sys
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
mem = next((l.split(":", 1)[1].strip() for l in open("/proc/meminfo") if l.startswith("MemTotal")), "?")
json.dump({
    "date": "$(date -u +'%Y-%m-%d %H:%M:%S UTC')",
    "commit": "$commit",
    "profile": "release",
    "binary": "$target_dir/release/ambito",
    "nproc": os.cpu_count(),
    "cpu": cpu,
    "mem": "MemTotal " + mem,
    "wrk": "$(wrk --version 2>&1 | head -1 | cut -d' ' -f1-2)",
    "pg_version": "$pg_version",
    "pg_sslmode": "$pg_sslmode",
    "load_start": open("/proc/loadavg").read().split()[0:3],
    "n1": $n1, "n8": $n8, "list_seconds": $list_seconds, "get_seconds": $get_seconds,
    "walks": $walks, "seed": $seed_n,
}, open(sys.argv[1], "w"), indent=1)
PY

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
rnd() { python3 -c "import secrets, string; a=string.ascii_letters+string.digits; print(''.join(secrets.choice(a) for _ in range($1)))"; }
kib() { awk -v k="$1" '$1 == k":" {print $2}' "/proc/$server_pid/status"; }

# SQL statements the server has sent so far (its /metrics): per request, its round trips.
statements() {
    curl -s --max-time 5 -H "Authorization: Bearer $metrics_token" "$base/metrics" \
        | awk '$1 == "ambito_db_statements_total" {print $2}'
}
# Writes NAME_stmts.json: the statements sent during a run, for the report to divide.
count_statements() { # name before
    local after; after=$(statements)
    echo "{\"statements\": $(( ${after:-0} - ${2:-0} ))}" >"$dbdir/${1}_stmts.json"
}

# The database's own rates, run between the server's runs (interleaved), into NAME.json:
# pgbench -S (a read by key) and a one-row INSERT per transaction for PostgreSQL; a loop of
# one-row commits in WAL mode with synchronous=FULL for SQLite.
pgbench_run() { # name url clients [pgbench options]
    local name=$1 url=$2 clients=$3; shift 3
    say "pgbench $name: $clients clients, ${get_seconds}s"
    pgbench -n -c "$clients" -j "$(( clients < 2 ? 1 : 2 ))" -T "$get_seconds" "$@" "$url" \
        >"$dbdir/$name.out" 2>&1 || die "pgbench $name failed: $(tail -3 "$dbdir/$name.out")"
    python3 - "$dbdir/$name.out" "$dbdir/$name.json" <<'PY'
import json, re, sys
text = open(sys.argv[1]).read()
tps = float(re.search(r"^tps = ([0-9.]+)", text, re.M).group(1))
lat = re.search(r"^latency average = ([0-9.]+) ms", text, re.M)
json.dump({"tps": tps, "latency_avg_ms": float(lat.group(1)) if lat else None}, open(sys.argv[2], "w"))
PY
    say "  tps $(python3 -c "import json; print(json.load(open('$dbdir/$name.json'))['tps'])")"
}
sqlite_commit_loop() { # name
    local name=$1
    say "sqlite commit loop $name: ${get_seconds}s"
    python3 - "$dbdir/commit-loop.db" "$get_seconds" "$dbdir/$name.json" <<'PY'
import json, sqlite3, sys, time
db = sqlite3.connect(sys.argv[1], isolation_level=None)
db.execute("PRAGMA journal_mode=WAL"); db.execute("PRAGMA synchronous=FULL")
db.execute("CREATE TABLE IF NOT EXISTS bench_commit (id INTEGER PRIMARY KEY, v INTEGER)")
lat, end = [], time.monotonic() + float(sys.argv[2])
while time.monotonic() < end:
    t = time.perf_counter()
    db.execute("BEGIN IMMEDIATE"); db.execute("INSERT INTO bench_commit (v) VALUES (1)"); db.execute("COMMIT")
    lat.append(time.perf_counter() - t)
lat.sort()
json.dump({"tps": len(lat) / float(sys.argv[2]), "p50_ms": lat[len(lat) // 2] * 1000,
           "p99_ms": lat[int(len(lat) * 0.99)] * 1000}, open(sys.argv[3], "w"))
print(f"bench:   commits/s {len(lat) / float(sys.argv[2]):.0f}")
PY
}

# wrk for the submit runs: stops it (SIGINT) once every thread has written its done file.
run_submit_wrk() { # name threads connections ids_file
    local name=$1 threads=$2 conns=$3 ids=$4
    local done_dir=$dbdir/done_$name
    mkdir -p "$done_dir"
    say "wrk submit: $threads threads, $conns connections, $(wc -l <"$ids") drafts"
    local before; before=$(statements)
    wrk -t"$threads" -c"$conns" -d"${submit_max}s" --timeout 10s --latency \
        -H "Authorization: Bearer $provider_token" -s "$bench/lua/submit.lua" "$base" \
        -- "$ids" "$threads" "$done_dir" >"$dbdir/$name.out" 2>"$dbdir/$name.err" &
    wrk_pid=$!
    while kill -0 "$wrk_pid" 2>/dev/null; do
        if [[ $(find "$done_dir" -type f | wc -l) -ge $threads ]]; then
            kill -INT "$wrk_pid" 2>/dev/null || true
            break
        fi
        sleep 0.05
    done
    wait "$wrk_pid" || die "wrk $name failed: $(cat "$dbdir/$name.err")"
    wrk_pid=
    count_statements "$name" "$before"
    python3 "$bench/bench.py" wrk "$dbdir/$name.out" "$dbdir/$name.json"
    grep -E 'Requests/sec|Non-2xx|Socket errors' "$dbdir/$name.out" | sed 's/^/bench:   wrk: /' || true
}

# wrk for the GET runs: a fixed duration, one static request; TOKEN empty for an anonymous read.
# The token goes through the environment (lua/get.lua reads BENCH_TOKEN), not wrk's command line.
run_get_wrk() { # name threads connections url token
    local name=$1 threads=$2 conns=$3 url=$4 token=$5
    say "wrk $name: $threads threads, $conns connections, ${get_seconds}s${token:+ (authenticated)}"
    local before; before=$(statements)
    BENCH_TOKEN=$token wrk -t"$threads" -c"$conns" -d"${get_seconds}s" --timeout 10s --latency \
        -s "$bench/lua/get.lua" "$url" >"$dbdir/$name.out" 2>"$dbdir/$name.err" &
    wrk_pid=$!
    wait "$wrk_pid" || die "wrk $name failed: $(cat "$dbdir/$name.err")"
    wrk_pid=
    count_statements "$name" "$before"
    python3 "$bench/bench.py" wrk "$dbdir/$name.out" "$dbdir/$name.json"
    grep -E 'Requests/sec|Non-2xx|Socket errors' "$dbdir/$name.out" | sed 's/^/bench:   wrk: /' || true
}

run_db() { # name database_url
    local name=$1 url=$2
    dbdir=$work/$name
    mkdir -p "$dbdir/run" "$dbdir/docs"
    local port; port=$(free_port)
    base=http://127.0.0.1:$port
    local password; password=$(rnd 20)
    python3 "$bench/cpu_watch.py" $$ "$db" "$dbdir/foreign.json" &
    watch_pid=$!
    say "=== $name: starting the server on $base"
    # Started from an empty directory so that no .env file is read.
    (cd "$dbdir/run" && exec env -i PATH="$PATH" \
        AMBITO_DEMO=1 AMBITO_DEMO_PASSWORD="$password" AMBITO_JWT_SECRET="$(rnd 48)" \
        DATABASE_URL="$url" AMBITO_DOCUMENTS_DIR="$dbdir/docs" AMBITO_BIND="127.0.0.1:$port" \
        AMBITO_LOG_FORMAT=json RUST_LOG=warn AMBITO_ACCESS_TOKEN_TTL=3600 AMBITO_METRICS_TOKEN="$metrics_token" \
        "$bin" serve) >"$dbdir/server.log" 2>&1 &
    server_pid=$!
    local code=000
    for _ in $(seq 1 240); do
        kill -0 "$server_pid" 2>/dev/null || die "the server exited: $(tail -5 "$dbdir/server.log")"
        code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$base/health/ready" || true)
        [[ $code == 200 ]] && break
        sleep 0.25
    done
    [[ $code == 200 ]] || die "GET /health/ready answered $code"
    local m_ready; m_ready=$(kib VmRSS)

    python3 "$bench/bench.py" setup "$base" "$dbdir" "$password"
    staff_token=$(cat "$dbdir/staff.token")
    provider_token=$(cat "$dbdir/provider.token")
    local tender; tender=$(cat "$dbdir/tender.id")

    # 1. Seed: create and submit, one after the other.
    say "seeding $seed_n applications (create + submit, sequential)"
    python3 "$bench/bench.py" seed "$base" "$dbdir" "$seed_n"
    local m_seeded; m_seeded=$(kib VmHWM)

    # 2. List: walk all pages; then wrk on the first page.
    python3 "$bench/bench.py" page "$base" "$dbdir" "$seed_n"
    python3 "$bench/bench.py" walk "$base" "$dbdir" "$walks" "$seed_n"
    say "wrk list: 2 threads, 8 connections, ${list_seconds}s"
    wrk -t2 -c8 -d"${list_seconds}s" --timeout 10s --latency -H "Authorization: Bearer $staff_token" \
        -s "$bench/lua/list.lua" "$base/api/v1/tenders/$tender/applications?limit=200" \
        >"$dbdir/wrk_list.out" 2>"$dbdir/wrk_list.err" &
    wrk_pid=$!
    wait "$wrk_pid" || die "wrk list failed: $(cat "$dbdir/wrk_list.err")"
    wrk_pid=
    python3 "$bench/bench.py" wrk "$dbdir/wrk_list.out" "$dbdir/wrk_list.json"
    grep -E 'Requests/sec|Non-2xx|Socket errors' "$dbdir/wrk_list.out" | sed 's/^/bench:   wrk: /' || true
    local m_listed; m_listed=$(kib VmHWM)

    # 3. GET one application (as its provider) and the published call (no token), each with
    #    1 thread / 1 connection and 2 threads / 8 connections. The application is the one in
    #    status submitted (the last seeded); the submit runs below only start afterwards.
    python3 "$bench/bench.py" targets "$base" "$dbdir"
    local app; app=$(cat "$dbdir/app.id")
    if [[ $name == postgres ]]; then pgbench_run pgbench_select_a "$url" 8 -S; fi
    local ds_url=
    if [[ $name == sqlite && $datasette_on == 1 ]]; then
        # datasette serving the same file: the same row by key, as JSON, beside the server's.
        local ds_port; ds_port=$(free_port)
        local file=${url#sqlite://}
        datasette serve "$file" --host 127.0.0.1 --port "$ds_port" >"$dbdir/datasette.log" 2>&1 &
        datasette_pid=$!
        ds_url=http://127.0.0.1:$ds_port/$(basename "$file" .db)/applications/$app.json
        for _ in $(seq 1 120); do
            [[ $(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$ds_url" || true) == 200 ]] && break
            sleep 0.25
        done
        say "datasette $(datasette --version | cut -d' ' -f3) on $ds_url"
        run_get_wrk wrk_datasette_a 2 8 "$ds_url" ""
    fi
    run_get_wrk wrk_get_app_1 1 1 "$base/api/v1/applications/$app" "$provider_token"
    run_get_wrk wrk_get_app_8 2 8 "$base/api/v1/applications/$app" "$provider_token"
    if [[ $name == postgres ]]; then pgbench_run pgbench_select_b "$url" 8 -S; fi
    if [[ -n $ds_url ]]; then
        run_get_wrk wrk_datasette_b 2 8 "$ds_url" ""
        kill "$datasette_pid" 2>/dev/null || true
        wait "$datasette_pid" 2>/dev/null || true
        datasette_pid=
    fi
    run_get_wrk wrk_get_call_1 1 1 "$base/api/v1/tenders/$tender" ""
    run_get_wrk wrk_get_call_8 2 8 "$base/api/v1/tenders/$tender" ""
    local m_got; m_got=$(kib VmHWM)

    # 4. Submit: fresh drafts first (not timed), then wrk submits each exactly once.
    python3 "$bench/bench.py" drafts "$base" "$dbdir" "$n1" "$dbdir/ids_1.txt"
    python3 "$bench/bench.py" drafts "$base" "$dbdir" "$n8" "$dbdir/ids_8.txt"
    if [[ $name == postgres ]]; then
        pgbench_run pgbench_insert_1a "$url" 1 -f "$bench/pgbench_insert.sql"
        pgbench_run pgbench_insert_8a "$url" 8 -f "$bench/pgbench_insert.sql"
    else
        sqlite_commit_loop commit_loop_a
    fi
    run_submit_wrk wrk_submit_1 1 1 "$dbdir/ids_1.txt"
    run_submit_wrk wrk_submit_8 2 8 "$dbdir/ids_8.txt"
    if [[ $name == postgres ]]; then
        pgbench_run pgbench_insert_1b "$url" 1 -f "$bench/pgbench_insert.sql"
        pgbench_run pgbench_insert_8b "$url" 8 -f "$bench/pgbench_insert.sql"
    else
        sqlite_commit_loop commit_loop_b
    fi
    python3 "$bench/bench.py" verify "$base" "$dbdir"
    local m_submitted m_submitted_rss
    m_submitted=$(kib VmHWM)
    m_submitted_rss=$(kib VmRSS)

    local log_lines warn_lines
    log_lines=$(grep -c . "$dbdir/server.log" || true)
    # The demo banner (two WARN lines at the first start) is expected; anything else is not.
    grep -E '"level":"(WARN|ERROR)"' "$dbdir/server.log" \
        | grep -vE '"message":"(DEMO MODE|demo accounts)' >"$dbdir/warnings.log" || true
    warn_lines=$(grep -c . "$dbdir/warnings.log" || true)
    cat >"$dbdir/memory.json" <<JSON
{"ready": $m_ready, "seeded": $m_seeded, "listed": $m_listed, "got": $m_got, "submitted": $m_submitted,
 "submitted_rss": $m_submitted_rss, "log_lines": $log_lines, "warn_error_lines": $warn_lines}
JSON
    head -3 "$dbdir/warnings.log" >"$dbdir/warnings.txt"
    if [[ $warn_lines -gt 0 ]]; then
        say "the server logged $warn_lines warning/error lines; the first:"
        head -3 "$dbdir/warnings.log" | cut -c1-400 | sed 's/^/bench:   /'
    fi

    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
    server_pid=
    kill "$watch_pid" 2>/dev/null || true
    wait "$watch_pid" 2>/dev/null || true
    watch_pid=
}

for name in $dbs; do
    case $name in
        sqlite)
            mkdir -p "$work/sqlite-db"
            run_db sqlite "sqlite://$work/sqlite-db/ambito.db" ;;
        postgres)
            psql "$pg_base/postgres" -qAt -v ON_ERROR_STOP=1 -c "create database $db" >/dev/null
            pg_created=1
            say "created database $db"
            pgbench -i -s 1 -q "$pg_base/$db" >/dev/null 2>&1 || die "pgbench -i failed"
            psql "$pg_base/$db" -qAt -c "create table bench_commit (id bigserial primary key, v int)" >/dev/null
            run_db postgres "$pg_base/$db?sslmode=$pg_sslmode"
            psql "$pg_base/postgres" -qAt -c "drop database if exists $db with (force)" >/dev/null
            pg_created=
            say "dropped database $db" ;;
        *) die "unknown database $name (sqlite or postgres)" ;;
    esac
done

elapsed=$(( $(date +%s) - started ))
python3 - "$work/meta.json" "$elapsed" <<'PY'
import json, sys
m = json.load(open(sys.argv[1])); m["elapsed"] = int(sys.argv[2])
m["load_end"] = open("/proc/loadavg").read().split()[0:3]
json.dump(m, open(sys.argv[1], "w"))
PY
python3 "$bench/bench.py" report "$work" "$bench/RESULTS.md"
say "written bench/RESULTS.md (${elapsed}s)"
