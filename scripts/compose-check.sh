#!/usr/bin/env bash
# Runs the `api` service of docker-compose.yml without Docker, against a local PostgreSQL:
# the binary gets exactly the environment Compose would give the container (read from
# docker-compose.yml, with DATABASE_URL and AMBITO_BIND pointed at this machine), and the
# service's healthcheck runs as Compose would run it.
#
#   scripts/compose-check.sh
#
# Checks, in order:
#   1. `serve` without AMBITO_JWT_SECRET (and without AMBITO_DEMO) refuses to start, with one line;
#   2. with the compose environment, GET /health/ready answers 200 and logs are JSON lines;
#   3. the compose healthcheck succeeds against it;
#   4. once its database is gone, readiness answers 503 and the healthcheck fails.
#
# Environment:
#   AMBITO_TEST_PG_URL  server to use, without a database name (default
#                       postgres://postgres@127.0.0.1:5432); the role must be allowed to
#                       create and drop databases. A database of its own is made and dropped.
#   AMBITO_CHECK_PORT   local port for the server (default 18090).
# Needs: psql, curl, python3 with PyYAML, and an already built target/release/ambito or
# target/debug/ambito (release preferred); this script builds nothing.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
repo=$PWD
pg_base=${AMBITO_TEST_PG_URL:-postgres://postgres@127.0.0.1:5432}
pg_base=${pg_base%/}
port=${AMBITO_CHECK_PORT:-18090}
db=ambito_compose_check_$$

say() { printf 'compose-check: %s\n' "$*"; }
die() { printf 'compose-check: FAILED: %s\n' "$*" >&2; exit 1; }

bin=
for candidate in target/release/ambito target/debug/ambito; do
    if [[ -x $candidate ]]; then bin=$repo/$candidate; break; fi
done
[[ -n $bin ]] || die "no target/release/ambito or target/debug/ambito: build one first (cargo build -p ambito-api)"
for tool in psql curl python3; do
    command -v "$tool" >/dev/null || die "$tool is needed"
done
python3 -c 'import yaml' 2>/dev/null || die "python3 needs PyYAML (apt-get install python3-yaml, or pip install pyyaml)"
say "binary: $bin"

work=$(mktemp -d)
server_pid=
cleanup() {
    if [[ -n $server_pid ]] && kill -0 "$server_pid" 2>/dev/null; then
        kill "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    psql "$pg_base/postgres" -qAt -v ON_ERROR_STOP=1 \
        -c "drop database if exists $db with (force)" >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT

# What Compose makes of the api service: its environment after interpolation (with a fresh
# JWT secret and a dummy database password; nothing else from this shell) and the
# healthcheck's argv with Compose's `$$` escapes undone. NUL-separated, environment first.
jwt_secret=$(head -c 36 /dev/urandom | base64 | tr -d '\n')   # 48 characters
db_url=$pg_base/$db
POSTGRES_PASSWORD=unused AMBITO_JWT_SECRET=$jwt_secret \
python3 - docker-compose.yml "$db_url" "127.0.0.1:$port" >"$work/compose" <<'PY'
import os, re, sys, yaml

path, db_url, bind = sys.argv[1:]
scope = {k: os.environ[k] for k in ("POSTGRES_PASSWORD", "AMBITO_JWT_SECRET")}

def interpolate(value):
    # The subset of Compose interpolation the file uses: $$, ${VAR}, ${VAR:-default}, ${VAR:?err}.
    def one(m):
        if m.group(0) == "$$":
            return "$"
        name, op, arg = m.group(1), m.group(2), m.group(3)
        got = scope.get(name, "")
        if op == ":?" and not got:
            sys.exit(f"docker-compose.yml: {name}: {arg}")
        if op == ":-" and not got:
            return arg
        return got
    if isinstance(value, bool):
        value = str(value).lower()
    return re.sub(r"\$\$|\$\{(\w+)(?:(:[-?])([^}]*))?\}", one, str(value))

api = yaml.safe_load(open(path))["services"]["api"]
out = []
for key, value in api["environment"].items():
    if value is None:
        continue  # no value: Compose passes it on only if set where Compose runs; here it is not
    value = interpolate(value)
    value = {"DATABASE_URL": db_url, "AMBITO_BIND": bind}.get(key, value)
    out.append(f"{key}={value}")
test = api["healthcheck"]["test"]
if test[0] != "CMD":
    sys.exit("docker-compose.yml: expected the api healthcheck in the CMD form")
out.append("--")
out.extend(interpolate(arg) for arg in test[1:])
sys.stdout.write("".join(x + "\0" for x in out))
PY
compose_env=()
healthcheck=()
target=compose_env
while IFS= read -r -d '' item; do
    if [[ $item == -- ]]; then target=healthcheck; continue; fi
    if [[ $target == compose_env ]]; then compose_env+=("$item"); else healthcheck+=("$item"); fi
done <"$work/compose"
say "compose environment: $(printf '%s ' "${compose_env[@]%%=*}")"
say "healthcheck: ${healthcheck[*]}"

# The container's view: only these variables, and a working directory without a .env file.
run_env() { (cd "$work" && exec env -i PATH="$PATH" "$@"); }

# 1. No signing key and no demo mode: refuse, with a single line on stderr.
set +e
run_env DATABASE_URL="$db_url" timeout 20 "$bin" serve >"$work/refuse.out" 2>"$work/refuse.err"
status=$?
set -e
[[ $status -eq 1 ]] || die "serve without AMBITO_JWT_SECRET exited $status, expected 1"
[[ ! -s $work/refuse.out ]] || die "serve without AMBITO_JWT_SECRET wrote to stdout"
[[ $(wc -l <"$work/refuse.err") -eq 1 ]] || die "expected one line on stderr, got: $(cat "$work/refuse.err")"
grep -q '^ambito: AMBITO_JWT_SECRET is not set' "$work/refuse.err" || die "unexpected refusal: $(cat "$work/refuse.err")"
say "ok: refuses without a signing key: $(cat "$work/refuse.err")"

# 2. A database of its own, and the server with the compose environment.
psql "$pg_base/postgres" -qAt -v ON_ERROR_STOP=1 -c "create database $db" >/dev/null
say "created database $db"
(cd "$work" && exec env -i PATH="$PATH" "${compose_env[@]}" "$bin" serve) >"$work/server.log" 2>&1 &
server_pid=$!

url=http://127.0.0.1:$port/health/ready
code=000
for _ in $(seq 1 120); do
    kill -0 "$server_pid" 2>/dev/null || die "the server exited: $(cat "$work/server.log")"
    code=$(curl -s -o "$work/ready.body" -w '%{http_code}' --max-time 5 "$url" || true)
    [[ $code == 200 ]] && break
    sleep 0.5
done
[[ $code == 200 ]] || die "GET $url answered $code, expected 200; log: $(cat "$work/server.log")"
say "ok: GET $url -> 200 $(cat "$work/ready.body")"

python3 - "$work/server.log" <<'PY' || die "the log is not JSON lines: $(cat "$work/server.log")"
import json, sys
lines = [l for l in open(sys.argv[1]) if l.strip()]
assert lines, "empty log"
for l in lines:
    json.loads(l)
print(f"compose-check: ok: {len(lines)} log lines, all JSON")
PY
! grep -qF -- "$jwt_secret" "$work/server.log" || die "the JWT secret appears in the log"

# 3. The healthcheck, as Compose runs it: argv as written, the container's environment,
#    and the healthcheck's timeout.
run_env "${compose_env[@]}" timeout 5 "${healthcheck[@]}" \
    || die "the healthcheck failed against a ready server (exit $?)"
say "ok: healthcheck succeeds against the ready server"

# 4. Without its database the service is not ready, and the healthcheck must say so.
psql "$pg_base/postgres" -qAt -v ON_ERROR_STOP=1 -c "drop database $db with (force)" >/dev/null
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 "$url" || true)
[[ $code == 503 ]] || die "GET $url without a database answered $code, expected 503"
say "ok: GET $url -> 503 once the database is dropped"
if run_env "${compose_env[@]}" timeout 5 "${healthcheck[@]}"; then
    die "the healthcheck passed although the service is not ready"
fi
say "ok: healthcheck fails when the service is not ready"

kill "$server_pid"
wait "$server_pid" 2>/dev/null || true
server_pid=
if run_env "${compose_env[@]}" timeout 5 "${healthcheck[@]}" 2>/dev/null; then
    die "the healthcheck passed with no server listening"
fi
say "ok: healthcheck fails with no server listening"
say "all checks passed"
