#!/usr/bin/env bash
# Load test of order-service on loopback (see bench/README.md for how to read the output).
#
#   bash bench/order.sh
#
# Builds `webrana` in release mode and starts, each on a free 127.0.0.1 port and against its own
# throwaway database: the DigitalOcean simulator (droplets active at their first read), auth
# (seeded, to log the seeded customer in), catalog (seeded) and order. Then measures:
#   a. POST /api/v1/orders under load from a second process (wrk or oha);
#   b. for N orders, one at a time: the time from the PAID answer of
#      POST /api/v1/internal/orders/{id}/payment-status to GET /api/v1/internal/orders/{id}
#      showing ACTIVE. The simulator boots droplets in 0 s, so this is the pipeline's own time.
# Every load run is bounded in duration and in request count, and only ever targets 127.0.0.1.
#
# Knobs (environment): BENCH_DURATION (seconds, default 10), BENCH_MAX_REQUESTS (default 100000),
# BENCH_CONNECTIONS (default 8), BENCH_PAID_ORDERS (N, default 20, at most 25: the simulator's
# droplet limit), BENCH_POLL_INTERVAL_MS (PROVISIONING_POLL_INTERVAL_MS, default 200, >= 100),
# BENCH_LOG_LEVEL (the services' LOG_LEVEL, default info).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=scripts/lib/services.sh
. scripts/lib/services.sh
# shellcheck source=scripts/lib/bench.sh
. scripts/lib/bench.sh

readonly HOST=127.0.0.1 # never anything else: this machine's loopback only
readonly DB_AUTH=webrana_bench_order_auth
readonly DB_CATALOG=webrana_bench_order_catalog
readonly DB_ORDER=webrana_bench_order
readonly DURATION=${BENCH_DURATION:-10}
readonly MAX_REQUESTS=${BENCH_MAX_REQUESTS:-100000}
readonly CONNECTIONS=${BENCH_CONNECTIONS:-8}
readonly PAID_ORDERS=${BENCH_PAID_ORDERS:-20}
readonly POLL_INTERVAL_MS=${BENCH_POLL_INTERVAL_MS:-200}
readonly LOG_LEVEL_FOR_SERVERS=${BENCH_LOG_LEVEL:-info}
readonly LOGIN_BODY='{"email":"customer@webrana.cloud","password":"Customer123!"}'
# The catalog's seeded plan `basic` and image Ubuntu 22.04 (order.md §10).
readonly ORDER_BODY='{"planId":"a1000000-0000-4000-8000-000000000002","imageId":"b1000000-0000-4000-8000-000000000001","duration":"MONTHLY"}'
readonly DO_TOKEN=bench-digitalocean-token
readonly TARGET_DIR=${CARGO_TARGET_DIR:-target}

for n in "$DURATION" "$MAX_REQUESTS" "$CONNECTIONS" "$PAID_ORDERS" "$POLL_INTERVAL_MS"; do
  [[ "$n" =~ ^[1-9][0-9]*$ ]] || { echo "error: BENCH_* values must be positive integers, got '$n'" >&2; exit 2; }
done
[ "$PAID_ORDERS" -le 25 ] || { echo "error: BENCH_PAID_ORDERS is at most 25 (the simulator's droplet limit)" >&2; exit 2; }
[ "$POLL_INTERVAL_MS" -ge 100 ] || { echo "error: BENCH_POLL_INTERVAL_MS is at least 100" >&2; exit 2; }

work=$(mktemp -d)
sim_pid=""
auth_pid=""
catalog_pid=""
order_pid=""
cleanup() {
  stop "$order_pid"
  stop "$catalog_pid"
  stop "$auth_pid"
  stop "$sim_pid"
  for db in "$DB_ORDER" "$DB_CATALOG" "$DB_AUTH"; do
    psql_admin -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
  done
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------- tools
for tool in curl psql jq; do
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

echo "==> cargo build --release -p webrana"
cargo build --release -p webrana --bin webrana
bin="$TARGET_DIR/release/webrana"


# wait_ready NAME PID URL LOG: until URL answers 2xx, or the process exits.
wait_ready() {
  local name=$1 pid=$2 url=$3 log=$4 i
  for ((i = 0; i < 300; i++)); do
    if curl -fsS -o /dev/null "$url" 2>/dev/null; then return 0; fi
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "error: $name exited; its log:" >&2
      tail -n 20 "$log" >&2
      exit 1
    fi
    sleep 0.2
  done
  echo "error: $name not ready at $url" >&2
  tail -n 20 "$log" >&2
  exit 1
}

# ---------------------------------------------------------------- services
for db in "$DB_AUTH" "$DB_CATALOG" "$DB_ORDER"; do
  psql_admin -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db"
done
"$bin" keygen --out "$work/keys" 2>/dev/null
api_key=$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')
credentials_key=$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')
private_pem=$(cat "$work/keys/jwt-private.pem")
public_pem=$(cat "$work/keys/jwt-public.pem")

# A clean environment per process, so nothing from the caller's shell skews the run. No Redis:
# with rate limits off no service has a use for it.
sim_port=$(free_port 39201)
env -i PATH="$PATH" LOG_LEVEL="$LOG_LEVEL_FOR_SERVERS" PORT="$sim_port" WEBRANA_HOST="$HOST" \
  DIGITALOCEAN_API_TOKEN="$DO_TOKEN" SIM_ACTIVE_AFTER_SECONDS=0 SIM_SEED=1 \
  "$bin" simulate digitalocean >"$work/sim.log" 2>&1 &
sim_pid=$!
for ((i = 0; i < 150; i++)); do
  port_open "$HOST" "$sim_port" && break
  kill -0 "$sim_pid" 2>/dev/null || { echo "error: the simulator exited" >&2; tail -n 20 "$work/sim.log" >&2; exit 1; }
  sleep 0.2
done
port_open "$HOST" "$sim_port" || { echo "error: the simulator does not listen" >&2; exit 1; }

auth_port=$(free_port 39221)
env -i PATH="$PATH" APP_ENV=development LOG_LEVEL="$LOG_LEVEL_FOR_SERVERS" \
  PORT="$auth_port" WEBRANA_HOST="$HOST" \
  DATABASE_URL="postgres://postgres@$HOST:5432/$DB_AUTH" \
  INTERNAL_API_KEY="$api_key" JWT_PRIVATE_KEY="$private_pem" JWT_PUBLIC_KEY="$public_pem" \
  RATE_LIMIT_ENABLED=false AUTH_DEBUG_TOKENS=false SEED_ON_START=true \
  "$bin" serve auth >"$work/auth.log" 2>&1 &
auth_pid=$!

catalog_port=$(free_port 39241)
env -i PATH="$PATH" APP_ENV=development LOG_LEVEL="$LOG_LEVEL_FOR_SERVERS" \
  PORT="$catalog_port" WEBRANA_HOST="$HOST" \
  DATABASE_URL="postgres://postgres@$HOST:5432/$DB_CATALOG" \
  INTERNAL_API_KEY="$api_key" JWT_PUBLIC_KEY="$public_pem" \
  RATE_LIMIT_ENABLED=false SEED_ON_START=true \
  "$bin" serve catalog >"$work/catalog.log" 2>&1 &
catalog_pid=$!

wait_ready auth "$auth_pid" "http://$HOST:$auth_port/health/ready" "$work/auth.log"
wait_ready catalog "$catalog_pid" "http://$HOST:$catalog_port/health/ready" "$work/catalog.log"

# The notification service does not exist yet: its URL is a closed port, so notification jobs
# wait and retry in the background, as they would during a notification outage.
order_port=$(free_port 39261)
closed_port=$(free_port $((order_port + 1)))
env -i PATH="$PATH" APP_ENV=development LOG_LEVEL="$LOG_LEVEL_FOR_SERVERS" \
  PORT="$order_port" WEBRANA_HOST="$HOST" \
  DATABASE_URL="postgres://postgres@$HOST:5432/$DB_ORDER" \
  INTERNAL_API_KEY="$api_key" JWT_PUBLIC_KEY="$public_pem" \
  RATE_LIMIT_ENABLED=false \
  CATALOG_SERVICE_BASE_URL="http://$HOST:$catalog_port" \
  NOTIFICATION_SERVICE_BASE_URL="http://$HOST:$closed_port" \
  DIGITALOCEAN_API_BASE_URL="http://$HOST:$sim_port" DIGITALOCEAN_API_TOKEN="$DO_TOKEN" \
  CREDENTIALS_ENCRYPTION_KEY="$credentials_key" \
  PROVISIONING_POLL_INTERVAL_MS="$POLL_INTERVAL_MS" \
  "$bin" serve order >"$work/order.log" 2>&1 &
order_pid=$!
wait_ready order "$order_pid" "http://$HOST:$order_port/health/ready" "$work/order.log"
base="http://$HOST:$order_port"

token=$(curl -sS -X POST "http://$HOST:$auth_port/api/v1/auth/login" -H 'Content-Type: application/json' \
  -d "$LOGIN_BODY" | sed -n 's/.*"accessToken":"\([^"]*\)".*/\1/p')
[ -n "$token" ] || { echo "error: the seeded customer cannot log in" >&2; tail -n 5 "$work/auth.log" >&2; exit 1; }

# create_order: the new order's id on stdout.
create_order() {
  curl -sS -X POST "$base/api/v1/orders" -H 'Content-Type: application/json' \
    -H "Authorization: Bearer $token" -d "$ORDER_BODY" | jq -r '.data.id // empty'
}
first=$(create_order)
[ -n "$first" ] || { echo "error: cannot create an order" >&2; tail -n 5 "$work/order.log" >&2; exit 1; }

clock_ticks=$(getconf CLK_TCK)
server_ticks() {
  awk '{ print $14 + $15 }' "/proc/$order_pid/stat"
}

# ---------------------------------------------------------------- a. POST /api/v1/orders
cat >"$work/bench.lua" <<'LUA'
-- Posts the seeded plan/image order with the customer's token; each thread stops after
-- BENCH_MAX_PER_THREAD responses, so a run is bounded in count as well as in time.
wrk.method = "POST"
wrk.body = os.getenv("BENCH_BODY")
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("BENCH_TOKEN")
local limit = tonumber(os.getenv("BENCH_MAX_PER_THREAD"))
local seen = 0
function response(status, headers, body)
  seen = seen + 1
  if seen >= limit then
    wrk.thread:stop()
  end
end
LUA

echo
echo "== a. POST /api/v1/orders: $CONNECTIONS connections, at most ${DURATION}s and $MAX_REQUESTS requests ($loadgen)"
before=$(server_ticks)
if [ "$loadgen" = oha ]; then
  oha --no-tui -z "${DURATION}s" -n "$MAX_REQUESTS" -c "$CONNECTIONS" -m POST \
    -H 'Content-Type: application/json' -H "Authorization: Bearer $token" -d "$ORDER_BODY" \
    "$base/api/v1/orders" | tee "$work/load.out"
else
  # One wrk thread: the generator shares the cores with four servers and PostgreSQL.
  BENCH_BODY=$ORDER_BODY BENCH_TOKEN=$token BENCH_MAX_PER_THREAD=$MAX_REQUESTS \
    wrk -t1 -c"$CONNECTIONS" -d"${DURATION}s" --timeout 10s --latency -s "$work/bench.lua" \
    "$base/api/v1/orders" | tee "$work/load.out"
  after=$(server_ticks)
  awk -v ticks=$((after - before)) -v hz="$clock_ticks" '
    / requests in / { n = $1 }
    /^Requests\/sec:/ { rps = $2 }
    /^ +50%/ { p50 = $2 }
    /^ +99%/ { p99 = $2 }
    /Non-2xx/ { bad = $NF }
    END {
      printf "   => create order: %s requests/s, p50 %s, p99 %s, order-service CPU %.1f ms/request, non-2xx %d\n",
        rps, p50, p99, (n > 0 ? ticks * 1000 / hz / n : 0), bad
    }' "$work/load.out" | tee -a "$work/summary"
fi
created=$(psql -X -A -t -h "$HOST" -U postgres -d "$DB_ORDER" -c "SELECT count(*) FROM orders")
echo "   orders in the database: $created"

# ---------------------------------------------------------------- b. PAID -> ACTIVE
echo
echo "== b. PAID -> ACTIVE, $PAID_ORDERS orders one at a time (simulator boot time 0 s, poll interval ${POLL_INTERVAL_MS} ms)"
# Let the notification/payment-timeout jobs the load created settle a little first.
sleep 2
ids=()
for ((i = 0; i < PAID_ORDERS; i++)); do
  id=$(create_order)
  [ -n "$id" ] || { echo "error: cannot create an order" >&2; exit 1; }
  ids+=("$id")
done
now_ms() { date +%s%3N; }
: >"$work/paid"
for id in "${ids[@]}"; do
  code=$(curl -sS -o "$work/pay.json" -w '%{http_code}' -X POST \
    "$base/api/v1/internal/orders/$id/payment-status" \
    -H 'Content-Type: application/json' -H "X-API-Key: $api_key" -H 'X-Service-Name: billing-service' \
    -d "{\"status\":\"PAID\",\"reference\":\"BENCH-$id\"}")
  start=$(now_ms)
  [ "$code" = 200 ] || { echo "error: payment-status answered $code: $(cat "$work/pay.json")" >&2; exit 1; }
  status=""
  deadline=$((start + 30000))
  while :; do
    status=$(curl -sS "$base/api/v1/internal/orders/$id" -H "X-API-Key: $api_key" |
      jq -r '.data.status // empty')
    [ "$status" = ACTIVE ] && break
    [ "$status" = FAILED ] && { echo "error: order $id FAILED" >&2; exit 1; }
    [ "$(now_ms)" -lt "$deadline" ] || { echo "error: order $id not ACTIVE after 30 s ($status)" >&2; exit 1; }
    sleep 0.01
  done
  echo $(($(now_ms) - start)) >>"$work/paid"
done
sort -n "$work/paid" | awk -v n="$PAID_ORDERS" -v poll="$POLL_INTERVAL_MS" '
  { t[NR] = $1 }
  END {
    p50 = t[int((n + 1) / 2)]
    i99 = int(n * 0.99 + 0.999); if (i99 < 1) i99 = 1; if (i99 > n) i99 = n
    printf "   => PAID -> ACTIVE beyond the simulator boot time (0 s), %d orders: p50 %d ms, p99 %d ms, min %d ms, max %d ms (poll interval %d ms)\n",
      n, p50, t[i99], t[1], t[n], poll
  }' | tee -a "$work/summary"

echo
echo "== summary ($(nproc) CPU cores shared by the simulator, auth, catalog, order, PostgreSQL and the load generator)"
cat "$work/summary"
