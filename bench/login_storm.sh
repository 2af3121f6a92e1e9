#!/usr/bin/env bash
# Login storms against the release build on a fresh SQLite file: the server's RSS after each
# storm and a public read's latency during storms versus alone (bench/login_storm.py).
#
#   bash bench/login_storm.sh            # BENCH_BIN=path/to/ambito to measure another build
#   STORMS=4 LOGINS=400 CLIENTS=32       # the defaults
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bin=${BENCH_BIN:-${CARGO_TARGET_DIR:-target}/release/ambito}
bin=$(realpath "$bin" 2>/dev/null || echo "$bin")
[[ -x $bin ]] || { echo "no $bin (cargo build --release -p ambito-api)" >&2; exit 1; }
work=$(mktemp -d /tmp/ambito-storm.XXXXXX)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
password=storm-password-$RANDOM$RANDOM
mkdir -p "$work/run"
(cd "$work/run" && exec env -i PATH="$PATH" AMBITO_DEMO=1 AMBITO_DEMO_PASSWORD="$password" \
    AMBITO_JWT_SECRET="$(head -c 48 /dev/urandom | base64)" DATABASE_URL="sqlite://$work/ambito.db" \
    AMBITO_DOCUMENTS_DIR="$work/docs" AMBITO_BIND="127.0.0.1:$port" RUST_LOG=warn "$bin" serve \
    ) >"$work/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 1 240); do
    [[ $(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/health/ready" || true) == 200 ]] && break
    sleep 0.25
done
echo "RSS at start: $(awk '/VmRSS/ {print int($2/1024)}' /proc/$server/status) MiB"
python3 bench/login_storm.py "http://127.0.0.1:$port" "$server" "$password" "${STORMS:-4}" "${LOGINS:-400}" "${CLIENTS:-32}"
