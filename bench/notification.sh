#!/usr/bin/env bash
# E-mail delivery of notification-service to a local SMTP sink (see bench/README.md).
#
#   bash bench/notification.sh
#
# Builds `webrana` and the `email_load` example (crates/notification/examples) in release mode,
# creates a throwaway database, starts the SMTP sink (`webrana simulate smtp`) and
# `webrana serve notification` pointed at it on free 127.0.0.1 ports, then posts BENCH_EMAILS
# account e-mails (EMAIL_VERIFICATION: addressed to data.email, so no auth lookup is involved) from
# BENCH_CONCURRENCY connections and waits until the sink holds every one. Reports e-mails
# delivered per second and the latency from the send's 202 to the message arriving, p50 and p99.
#
# Knobs: BENCH_EMAILS (default 1000), BENCH_CONCURRENCY (default 16), BENCH_LOG_LEVEL (warn), and
# the service's own QUEUE_EMAIL_CONCURRENCY / SMTP_POOL_SIZE when exported.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=scripts/lib/services.sh
. scripts/lib/services.sh
# shellcheck source=scripts/lib/bench.sh
. scripts/lib/bench.sh

readonly HOST=127.0.0.1 # never anything else: this machine's loopback only
readonly DB=webrana_bench_notification
readonly EMAILS=${BENCH_EMAILS:-1000}
readonly CONCURRENCY=${BENCH_CONCURRENCY:-16}
readonly LOG_LEVEL_FOR_SERVER=${BENCH_LOG_LEVEL:-warn}
readonly TARGET_DIR=${CARGO_TARGET_DIR:-target}

for n in "$EMAILS" "$CONCURRENCY"; do
  [[ "$n" =~ ^[1-9][0-9]*$ ]] || { echo "error: BENCH_* values must be positive integers, got '$n'" >&2; exit 2; }
done

work=$(mktemp -d)
sink_pid=""
service_pid=""
cleanup() {
  stop "$service_pid"
  stop "$sink_pid"
  psql_admin -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

for tool in curl psql; do
  command -v "$tool" >/dev/null || { echo "error: $tool is required" >&2; exit 1; }
done
ensure_postgres
ensure_redis

echo "==> cargo build --release -p webrana -p notification --example email_load"
cargo build --release -p webrana --bin webrana
cargo build --release -p notification --example email_load
bin="$TARGET_DIR/release/webrana"
load="$TARGET_DIR/release/examples/email_load"

wait_http() {
  local name=$1 pid=$2 url=$3 log=$4 i
  for ((i = 0; i < 300; i++)); do
    curl -fsS -o /dev/null "$url" 2>/dev/null && return 0
    kill -0 "$pid" 2>/dev/null || { echo "error: $name exited" >&2; tail -n 20 "$log" >&2; exit 1; }
    sleep 0.2
  done
  echo "error: $name not ready at $url" >&2
  exit 1
}

psql_admin -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB"
"$bin" keygen --out "$work/keys" 2>/dev/null
api_key=$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')
credentials_key=$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')

sink_http=$(free_port 39501)
sink_smtp=$(free_port 39601)
env -i PATH="$PATH" LOG_LEVEL="$LOG_LEVEL_FOR_SERVER" PORT="$sink_http" SIM_SMTP_PORT="$sink_smtp" \
  WEBRANA_HOST="$HOST" "$bin" simulate smtp >"$work/sink.log" 2>&1 &
sink_pid=$!
wait_http "SMTP sink" "$sink_pid" "http://$HOST:$sink_http/_sim/messages" "$work/sink.log"

port=$(free_port 39521)
closed=$(free_port $((port + 1)))
env -i PATH="$PATH" APP_ENV=development LOG_LEVEL="$LOG_LEVEL_FOR_SERVER" PORT="$port" WEBRANA_HOST="$HOST" \
  DATABASE_URL="postgres://postgres@$HOST:5432/$DB" REDIS_URL=redis://127.0.0.1:6379 \
  INTERNAL_API_KEY="$api_key" JWT_PUBLIC_KEY="$(cat "$work/keys/jwt-public.pem")" \
  CREDENTIALS_ENCRYPTION_KEY="$credentials_key" RATE_LIMIT_ENABLED=false \
  SMTP_HOST="$HOST" SMTP_PORT="$sink_smtp" SMTP_REQUIRE_TLS=false \
  ${QUEUE_EMAIL_CONCURRENCY:+QUEUE_EMAIL_CONCURRENCY="$QUEUE_EMAIL_CONCURRENCY"} \
  ${SMTP_POOL_SIZE:+SMTP_POOL_SIZE="$SMTP_POOL_SIZE"} \
  AUTH_SERVICE_BASE_URL="http://$HOST:$closed" ORDER_SERVICE_BASE_URL="http://$HOST:$closed" \
  "$bin" serve notification >"$work/notification.log" 2>&1 &
service_pid=$!
wait_http notification "$service_pid" "http://$HOST:$port/health/ready" "$work/notification.log"

echo
echo "== $EMAILS account e-mails, $CONCURRENCY concurrent senders, delivered to the SMTP sink"
result=$("$load" "http://$HOST:$port" "$api_key" "http://$HOST:$sink_http" "$EMAILS" "$CONCURRENCY")
echo "   $result"
echo
echo "== summary ($(nproc) CPU cores shared by notification, the sink, PostgreSQL, Redis and the load generator)"
echo "$result" | sed -n 's/.*"delivered":\([0-9]*\).*"per_second":\([0-9.]*\),"p50_ms":\([0-9.]*\),"p99_ms":\([0-9.]*\).*/   \1 e-mails delivered, \2 per second; send accepted -> received p50 \3 ms, p99 \4 ms/p'
