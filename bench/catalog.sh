#!/usr/bin/env bash
# Load test of catalog-service's public reads on loopback, beside a hello-world ceiling measured in
# the same run (see bench/README.md for how to read the output).
#
#   bash bench/catalog.sh
#
# Builds `webrana` and the `hello_ceiling` example in release mode, serves catalog on a free
# 127.0.0.1 port against a throwaway database with the demo catalog, serves the ceiling on another,
# then measures, one after the other so that they never compete for the two cores:
#   1. sequential requests on the idle servers (latency and server CPU per request);
#   2. under load from a second process: GET /hello (bare axum), GET /shell/hello (the same behind
#      the platform's HTTP layers), GET /api/v1/catalog/plans and GET /api/v1/catalog/plans/{id}.
# Every load run is bounded in duration and in request count, and only ever targets 127.0.0.1.
#
# Knobs (environment): BENCH_DURATION (seconds, default 10), BENCH_MAX_REQUESTS (per run, default
# 2000000), BENCH_CONNECTIONS (default 16), BENCH_SEQUENTIAL (default 50), BENCH_LOG_LEVEL (the
# servers' LOG_LEVEL, default info).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=scripts/lib/services.sh
. scripts/lib/services.sh
# shellcheck source=scripts/lib/bench.sh
. scripts/lib/bench.sh

readonly HOST=127.0.0.1 # never anything else: this machine's loopback only
readonly DB=webrana_bench_catalog
readonly DURATION=${BENCH_DURATION:-10}
readonly MAX_REQUESTS=${BENCH_MAX_REQUESTS:-2000000}
readonly CONNECTIONS=${BENCH_CONNECTIONS:-16}
readonly SEQUENTIAL=${BENCH_SEQUENTIAL:-50}
readonly LOG_LEVEL_FOR_SERVERS=${BENCH_LOG_LEVEL:-info}
readonly STANDARD=a1000000-0000-4000-8000-000000000003 # the seeded plan with a running promo
readonly TARGET_DIR=${CARGO_TARGET_DIR:-target}

for n in "$DURATION" "$MAX_REQUESTS" "$CONNECTIONS" "$SEQUENTIAL"; do
  [[ "$n" =~ ^[1-9][0-9]*$ ]] || { echo "error: BENCH_* values must be positive integers, got '$n'" >&2; exit 2; }
done

work=$(mktemp -d)
catalog_pid=""
ceiling_pid=""
cleanup() {
  stop "$catalog_pid"
  stop "$ceiling_pid"
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

echo "==> cargo build --release -p webrana --example hello_ceiling"
cargo build --release -p webrana --bin webrana --example hello_ceiling
bin="$TARGET_DIR/release/webrana"
ceiling_bin="$TARGET_DIR/release/examples/hello_ceiling"


# wait_ready NAME PID LOG URL
wait_ready() {
  local name=$1 pid=$2 log=$3 url=$4 i
  echo "==> waiting for $url"
  for ((i = 0; i < 300; i++)); do
    if curl -fsS -o /dev/null "$url" 2>/dev/null; then return 0; fi
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "error: $name exited; its log:" >&2
      tail -n 20 "$log" >&2
      exit 1
    fi
    sleep 0.2
  done
  echo "error: $name not ready" >&2
  exit 1
}

# ---------------------------------------------------------------- servers
psql_admin -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB"
"$bin" keygen --out "$work/keys" 2>/dev/null
api_key=$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')
catalog_port=$(free_port 39101)

# A clean environment, so nothing from the caller's shell (REDIS_URL, rate limits) skews the run.
# No REDIS_URL: the public reads are not rate limited, so the service has no use for it.
env -i PATH="$PATH" \
  APP_ENV=development LOG_LEVEL="$LOG_LEVEL_FOR_SERVERS" \
  PORT="$catalog_port" WEBRANA_HOST="$HOST" \
  DATABASE_URL="postgres://postgres@$HOST:5432/$DB" \
  INTERNAL_API_KEY="$api_key" \
  JWT_PUBLIC_KEY="$(cat "$work/keys/jwt-public.pem")" \
  RATE_LIMIT_ENABLED=false SEED_ON_START=true \
  "$bin" serve catalog >"$work/catalog.log" 2>&1 &
catalog_pid=$!
catalog="http://$HOST:$catalog_port"
wait_ready catalog-service "$catalog_pid" "$work/catalog.log" "$catalog/health/ready"

ceiling_port=$(free_port $((catalog_port + 1)))
env -i PATH="$PATH" LOG_LEVEL="$LOG_LEVEL_FOR_SERVERS" \
  "$ceiling_bin" "$HOST:$ceiling_port" >"$work/ceiling.log" 2>&1 &
ceiling_pid=$!
ceiling="http://$HOST:$ceiling_port"
wait_ready hello-ceiling "$ceiling_pid" "$work/ceiling.log" "$ceiling/hello"

total=$(curl -fsS "$catalog/api/v1/catalog/plans" | sed -n 's/.*"total":\([0-9]*\).*/\1/p')
[ "$total" = 4 ] || { echo "error: expected the 4 seeded plans, the list says '$total'" >&2; exit 1; }

clock_ticks=$(getconf CLK_TCK)
# User + system CPU time of a process, in clock ticks.
ticks_of() {
  awk '{ print $14 + $15 }' "/proc/$1/stat"
}

# ---------------------------------------------------------------- 1. sequential
# sequential NAME PID COUNT URL: one request at a time on an otherwise idle server.
sequential() {
  local name=$1 pid=$2 count=$3 url=$4 i before after out
  for ((i = 0; i < 3; i++)); do curl -sS -o /dev/null "$url"; done # warm-up
  : >"$work/times"
  before=$(ticks_of "$pid")
  for ((i = 0; i < count; i++)); do
    out=$(curl -sS -o /dev/null -w '%{http_code} %{time_total}' "$url")
    [ "${out%% *}" = 200 ] || { echo "error: $name answered ${out%% *}" >&2; exit 1; }
    echo "${out#* }" >>"$work/times"
  done
  after=$(ticks_of "$pid")
  sort -n "$work/times" | awk -v name="$name" -v n="$count" -v ticks=$((after - before)) -v hz="$clock_ticks" '
    { t[NR] = $1 * 1000 }
    END {
      printf "  %-34s median %6.2f ms   min %6.2f ms   server CPU %5.2f ms/request\n",
        name, t[int((n + 1) / 2)], t[1], ticks * 1000 / hz / n
    }'
}

echo
echo "== 1. sequential requests ($SEQUENTIAL each; latency as curl sees it)"
sequential "GET /hello (bare axum)" "$ceiling_pid" "$SEQUENTIAL" "$ceiling/hello"
sequential "GET /shell/hello (platform layers)" "$ceiling_pid" "$SEQUENTIAL" "$ceiling/shell/hello"
sequential "GET /api/v1/catalog/plans" "$catalog_pid" "$SEQUENTIAL" "$catalog/api/v1/catalog/plans"
sequential "GET /api/v1/catalog/plans/{id}" "$catalog_pid" "$SEQUENTIAL" "$catalog/api/v1/catalog/plans/$STANDARD"

# ---------------------------------------------------------------- 2. under load
cat >"$work/bench.lua" <<'LUA'
-- Each thread stops after BENCH_MAX_PER_THREAD responses, so a run is bounded in count as well as
-- in time. Non-2xx answers are counted by wrk itself ("Non-2xx or 3xx responses").
local limit = tonumber(os.getenv("BENCH_MAX_PER_THREAD"))
local seen = 0
function response(status, headers, body)
  seen = seen + 1
  if seen >= limit then
    wrk.thread:stop()
  end
end
LUA

# load NAME PID URL
load() {
  local name=$1 pid=$2 url=$3 before after
  echo
  echo "-- $name: $CONNECTIONS connections, at most ${DURATION}s and $MAX_REQUESTS requests ($loadgen)"
  before=$(ticks_of "$pid")
  if [ "$loadgen" = oha ]; then
    oha --no-tui -z "${DURATION}s" -n "$MAX_REQUESTS" -c "$CONNECTIONS" "$url" | tee "$work/load.out"
  else
    # One wrk thread: the generator shares the two cores with the server, so keep it light.
    BENCH_MAX_PER_THREAD=$MAX_REQUESTS \
      wrk -t1 -c"$CONNECTIONS" -d"${DURATION}s" --timeout 10s --latency -s "$work/bench.lua" "$url" \
      | tee "$work/load.out"
    after=$(ticks_of "$pid")
    awk -v name="$name" -v ticks=$((after - before)) -v hz="$clock_ticks" -v cap="$MAX_REQUESTS" '
      / requests in / { n = $1 }
      /^Requests\/sec:/ { rps = $2 }
      /^ +50%/ { p50 = $2 }
      /^ +99%/ { p99 = $2 }
      /Non-2xx/ { bad = $NF }
      END {
        printf "   => %-30s %10s requests/s   p50 %8s   p99 %8s   server CPU %.3f ms/request   non-2xx %d%s\n",
          name, rps, p50, p99, (n > 0 ? ticks * 1000 / hz / n : 0), bad,
          (n >= cap ? "   (request cap reached: requests/s understated, raise BENCH_MAX_REQUESTS)" : "")
      }' "$work/load.out" | tee -a "$work/summary"
  fi
}

echo
echo "== 2. under load from a second process on loopback"
load "GET /hello (ceiling)" "$ceiling_pid" "$ceiling/hello"
load "GET /shell/hello (ceiling+shell)" "$ceiling_pid" "$ceiling/shell/hello"
load "GET /api/v1/catalog/plans" "$catalog_pid" "$catalog/api/v1/catalog/plans"
load "GET /api/v1/catalog/plans/{id}" "$catalog_pid" "$catalog/api/v1/catalog/plans/$STANDARD"

if [ -s "$work/summary" ]; then
  echo
  echo "== summary ($(nproc) CPU cores shared by the servers, PostgreSQL and the load generator)"
  cat "$work/summary"
fi
