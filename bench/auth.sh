#!/usr/bin/env bash
# Load test of auth-service on loopback (see bench/README.md for how to read the output).
#
#   bash bench/auth.sh
#
# Builds `webrana` in release mode, serves auth on a free 127.0.0.1 port against a throwaway
# database, then measures:
#   1. argon2id alone (CPU time of one hash and one verify, auth's own code and parameters);
#   2. sequential requests on an idle server (latency and server CPU per request);
#   3. POST /api/v1/auth/login and GET /api/v1/auth/me under load from a second process.
# Every load run is bounded in duration and in request count, and only ever targets 127.0.0.1.
#
# Knobs (environment): BENCH_DURATION (seconds, default 10), BENCH_MAX_REQUESTS (per run,
# default 100000), BENCH_LOGIN_CONNECTIONS (default 4), BENCH_ME_CONNECTIONS (default 16),
# BENCH_SEQUENTIAL (default 20), BENCH_LOG_LEVEL (the service's LOG_LEVEL, default info).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=scripts/lib/services.sh
. scripts/lib/services.sh
# shellcheck source=scripts/lib/bench.sh
. scripts/lib/bench.sh

readonly HOST=127.0.0.1 # never anything else: this machine's loopback only
readonly DB=webrana_bench_auth
readonly DURATION=${BENCH_DURATION:-10}
readonly MAX_REQUESTS=${BENCH_MAX_REQUESTS:-100000}
readonly LOGIN_CONNECTIONS=${BENCH_LOGIN_CONNECTIONS:-4}
readonly ME_CONNECTIONS=${BENCH_ME_CONNECTIONS:-16}
readonly SEQUENTIAL=${BENCH_SEQUENTIAL:-20}
readonly LOGIN_BODY='{"email":"customer@webrana.cloud","password":"Customer123!"}'
readonly TARGET_DIR=${CARGO_TARGET_DIR:-target}

for n in "$DURATION" "$MAX_REQUESTS" "$LOGIN_CONNECTIONS" "$ME_CONNECTIONS" "$SEQUENTIAL"; do
  [[ "$n" =~ ^[1-9][0-9]*$ ]] || { echo "error: BENCH_* values must be positive integers, got '$n'" >&2; exit 2; }
done

work=$(mktemp -d)
server_pid=""
cleanup() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  psql_admin -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------- tools
for tool in curl psql; do
  command -v "$tool" >/dev/null || { echo "error: $tool is required" >&2; exit 1; }
done
if command -v oha >/dev/null; then
  loadgen=oha
else
  loadgen=wrk
  if ! command -v wrk >/dev/null; then
    echo "==> installing wrk (Debian package; oha is not packaged here)"
    as_root apt-get install -y -qq wrk >/dev/null
  fi
fi

ensure_postgres

echo "==> cargo build --release -p webrana --example argon2_cost"
cargo build --release -p webrana --bin webrana --example argon2_cost
bin="$TARGET_DIR/release/webrana"

# ---------------------------------------------------------------- 1. argon2id alone
echo
echo "== 1. argon2id alone (no HTTP, no database)"
"$TARGET_DIR/release/examples/argon2_cost" "$SEQUENTIAL"

# ---------------------------------------------------------------- service
psql_admin -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB"
"$bin" keygen --out "$work/keys" 2>/dev/null
api_key=$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')
port=""
for candidate in $(seq 39001 39100); do
  if ! port_open "$HOST" "$candidate"; then
    port=$candidate
    break
  fi
done
[ -n "$port" ] || { echo "error: no free port in 39001-39100" >&2; exit 1; }
base="http://$HOST:$port"

# A clean environment, so nothing from the caller's shell (REDIS_URL, rate limits) skews the run.
# No REDIS_URL: with rate limits off the service has no use for it.
env -i PATH="$PATH" \
  APP_ENV=development LOG_LEVEL="${BENCH_LOG_LEVEL:-info}" \
  PORT="$port" WEBRANA_HOST="$HOST" \
  DATABASE_URL="postgres://postgres@$HOST:5432/$DB" \
  INTERNAL_API_KEY="$api_key" \
  JWT_PRIVATE_KEY="$(cat "$work/keys/jwt-private.pem")" \
  JWT_PUBLIC_KEY="$(cat "$work/keys/jwt-public.pem")" \
  RATE_LIMIT_ENABLED=false AUTH_DEBUG_TOKENS=false SEED_ON_START=true \
  "$bin" serve auth >"$work/auth.log" 2>&1 &
server_pid=$!

echo
echo "==> waiting for $base/health/ready"
for ((i = 0; i < 300; i++)); do
  if curl -fsS -o /dev/null "$base/health/ready" 2>/dev/null; then break; fi
  if ! kill -0 "$server_pid" 2>/dev/null; then
    echo "error: auth-service exited; its log:" >&2
    tail -n 20 "$work/auth.log" >&2
    exit 1
  fi
  sleep 0.2
done
curl -fsS -o /dev/null "$base/health/ready" || { echo "error: auth-service not ready" >&2; exit 1; }

token=$(curl -sS -X POST "$base/api/v1/auth/login" -H 'Content-Type: application/json' -d "$LOGIN_BODY" | sed -n 's/.*"accessToken":"\([^"]*\)".*/\1/p')
[ -n "$token" ] || { echo "error: the seeded customer cannot log in" >&2; tail -n 5 "$work/auth.log" >&2; exit 1; }

# User + system CPU time of the server process, in clock ticks.
clock_ticks=$(getconf CLK_TCK)
server_ticks() {
  awk '{ print $14 + $15 }' "/proc/$server_pid/stat"
}
# System CPU alone: page faults for argon2's 19 MiB and socket work show up here, not in user time.
server_system_ticks() {
  awk '{ print $15 }' "/proc/$server_pid/stat"
}
# Minor page faults so far: 19 MiB of fresh memory costs about 4,900 of them.
server_faults() {
  awk '{ print $10 }' "/proc/$server_pid/stat"
}

# ---------------------------------------------------------------- 2. sequential
# sequential NAME COUNT CURL_ARGS...: one request at a time on an otherwise idle server.
sequential() {
  local name=$1 count=$2 i before after sys_before sys_after faults_before faults_after out
  shift 2
  for ((i = 0; i < 3; i++)); do curl -sS -o /dev/null "$@"; done # warm-up
  : >"$work/times"
  before=$(server_ticks)
  sys_before=$(server_system_ticks)
  faults_before=$(server_faults)
  for ((i = 0; i < count; i++)); do
    out=$(curl -sS -o /dev/null -w '%{http_code} %{time_total}' "$@")
    [ "${out%% *}" = 200 ] || { echo "error: $name answered ${out%% *}" >&2; exit 1; }
    echo "${out#* }" >>"$work/times"
  done
  after=$(server_ticks)
  sys_after=$(server_system_ticks)
  faults_after=$(server_faults)
  sort -n "$work/times" | awk -v name="$name" -v n="$count" -v ticks=$((after - before)) \
    -v sys=$((sys_after - sys_before)) -v faults=$((faults_after - faults_before)) -v hz="$clock_ticks" '
    { t[NR] = $1 * 1000 }
    END {
      printf "  %-26s median %6.1f ms  min %6.1f ms\n", name, t[int((n + 1) / 2)], t[1]
      printf "  %-26s server CPU %5.1f ms/request (%.1f ms of it system), %d page faults/request\n",
        "", ticks * 1000 / hz / n, sys * 1000 / hz / n, faults / n
    }'
}

echo
echo "== 2. sequential requests ($SEQUENTIAL each; latency as the client sees it)"
sequential "POST /api/v1/auth/login" "$SEQUENTIAL" -X POST "$base/api/v1/auth/login" \
  -H 'Content-Type: application/json' -d "$LOGIN_BODY"
sequential "GET /api/v1/auth/me" "$SEQUENTIAL" "$base/api/v1/auth/me" -H "Authorization: Bearer $token"

# ---------------------------------------------------------------- 3. under load
cat >"$work/bench.lua" <<'LUA'
-- BENCH_MODE=login posts the seeded customer's credentials; BENCH_MODE=me sends the token.
-- Each thread stops after BENCH_MAX_PER_THREAD responses, so a run is bounded in count as well
-- as in time.
if os.getenv("BENCH_MODE") == "login" then
  wrk.method = "POST"
  wrk.body = os.getenv("BENCH_BODY")
  wrk.headers["Content-Type"] = "application/json"
else
  wrk.headers["Authorization"] = "Bearer " .. os.getenv("BENCH_TOKEN")
end
local limit = tonumber(os.getenv("BENCH_MAX_PER_THREAD"))
local seen = 0
function response(status, headers, body)
  seen = seen + 1
  if seen >= limit then
    wrk.thread:stop()
  end
end
LUA

# load NAME MODE CONNECTIONS URL
load() {
  local name=$1 mode=$2 connections=$3 url=$4 before after
  echo
  echo "-- $name: $connections connections, at most ${DURATION}s and $MAX_REQUESTS requests ($loadgen)"
  before=$(server_ticks)
  if [ "$loadgen" = oha ]; then
    local args=(--no-tui -z "${DURATION}s" -n "$MAX_REQUESTS" -c "$connections")
    if [ "$mode" = login ]; then
      args+=(-m POST -H 'Content-Type: application/json' -d "$LOGIN_BODY")
    else
      args+=(-H "Authorization: Bearer $token")
    fi
    oha "${args[@]}" "$url" | tee "$work/load.out"
  else
    # One wrk thread: the generator shares the two cores with the server, so keep it light.
    BENCH_MODE=$mode BENCH_BODY=$LOGIN_BODY BENCH_TOKEN=$token BENCH_MAX_PER_THREAD=$MAX_REQUESTS \
      wrk -t1 -c"$connections" -d"${DURATION}s" --timeout 10s --latency -s "$work/bench.lua" "$url" \
      | tee "$work/load.out"
    after=$(server_ticks)
    awk -v name="$name" -v ticks=$((after - before)) -v hz="$clock_ticks" '
      / requests in / { n = $1 }
      /^Requests\/sec:/ { rps = $2 }
      /^ +50%/ { p50 = $2 }
      /^ +99%/ { p99 = $2 }
      /Non-2xx/ { bad = $NF }
      END {
        printf "   => %s: %s requests/s, p50 %s, p99 %s, server CPU %.1f ms/request, non-2xx %d\n",
          name, rps, p50, p99, (n > 0 ? ticks * 1000 / hz / n : 0), bad
      }' "$work/load.out" | tee -a "$work/summary"
  fi
}

echo
echo "== 3. under load from a second process on loopback"
load "login" login "$LOGIN_CONNECTIONS" "$base/api/v1/auth/login"
load "me" me "$ME_CONNECTIONS" "$base/api/v1/auth/me"

if [ -s "$work/summary" ]; then
  echo
  echo "== summary ($(nproc) CPU cores shared by server and load generator)"
  cat "$work/summary"
fi
