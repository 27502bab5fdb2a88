#!/usr/bin/env bash
# Throughput of the Tripay callback (billing.md §7) on loopback, beside pgbench running the same
# database work, so the cost of everything around the SQL (HTTP, signature, JSON, the service's
# own logic) can be read off as a ratio. See bench/README.md for how to read the output.
#
#   bash bench/billing.sh
#
# Builds `webrana` and the `callback_load` example in release mode; creates a throwaway database
# with 2 × BENCH_CALLBACKS PENDING invoices (one half for the service, one for pgbench); starts
# `webrana serve billing` on a free 127.0.0.1 port with the order and notification services and
# Tripay pointed at closed ports (their jobs retry in the background, as during an outage); then
#   a. posts BENCH_CALLBACKS signed PAID callbacks, each for a distinct invoice, at
#      BENCH_CONCURRENCY (32) concurrent connections, and reports callbacks/s, p50 and p99;
#   b. runs pgbench with the same number of clients and transactions over the other half: per
#      transaction the statements a first PAID callback makes (store the callback, find and lock
#      the invoice, check for a repeat, mark it paid, supersede failed-payment jobs, insert the
#      payment and the two jobs, record the outcome);
#   c. prints service callbacks/s ÷ pgbench transactions/s.
#
# Knobs: BENCH_CALLBACKS (default 4000), BENCH_CONCURRENCY (default 32), BENCH_LOG_LEVEL (warn).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=scripts/lib/services.sh
. scripts/lib/services.sh
# shellcheck source=scripts/lib/bench.sh
. scripts/lib/bench.sh

readonly HOST=127.0.0.1 # never anything else: this machine's loopback only
readonly DB=webrana_bench_billing
readonly CALLBACKS=${BENCH_CALLBACKS:-4000}
readonly CONCURRENCY=${BENCH_CONCURRENCY:-32}
readonly LOG_LEVEL_FOR_SERVER=${BENCH_LOG_LEVEL:-warn}
readonly PRIVATE_KEY=bench-private-key
readonly AMOUNT=150000
readonly TARGET_DIR=${CARGO_TARGET_DIR:-target}

for n in "$CALLBACKS" "$CONCURRENCY"; do
  [[ "$n" =~ ^[1-9][0-9]*$ ]] || { echo "error: BENCH_* values must be positive integers, got '$n'" >&2; exit 2; }
done

work=$(mktemp -d)
billing_pid=""
psql_bench() {
  PGOPTIONS='--client-min-messages=warning' psql -X -q -A -t -v ON_ERROR_STOP=1 -h "$HOST" -U postgres -d "$DB" "$@"
}
cleanup() {
  if [ -n "$billing_pid" ] && kill -0 "$billing_pid" 2>/dev/null; then
    kill -TERM "$billing_pid" 2>/dev/null || true
    wait "$billing_pid" 2>/dev/null || true
  fi
  psql_admin -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

for tool in curl psql pgbench; do
  command -v "$tool" >/dev/null || { echo "error: $tool is required" >&2; exit 1; }
done
ensure_postgres

echo "==> cargo build --release -p webrana -p billing --example callback_load"
cargo build --release -p webrana --bin webrana
cargo build --release -p billing --example callback_load
bin="$TARGET_DIR/release/webrana"
load="$TARGET_DIR/release/examples/callback_load"


# ---------------------------------------------------------------- database
psql_admin -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB"
DATABASE_URL="postgres://postgres@$HOST:5432/$DB" "$bin" migrate billing >/dev/null
# Invoice i of a half has tripay_reference <prefix><i, 10 digits>: callbacks find it by reference.
psql_bench <<SQL
INSERT INTO invoices (id, order_id, user_id, invoice_number, item_name, amount, status,
    tripay_reference, payment_channel, payment_method, expired_at)
SELECT gen_random_uuid(), 'bench-order-' || p || g, 'bench-user', 'BENCH-' || p || g,
    'Basic VPS - MONTHLY', $AMOUNT, 'PENDING', p || lpad(g::text, 10, '0'), 'BRI_VA',
    'VIRTUAL_ACCOUNT', now() + interval '1 day'
FROM generate_series(1, $CALLBACKS) AS g, (VALUES ('TSVC'), ('TPGB')) AS prefixes(p);
CREATE SEQUENCE bench_pgbench_invoice;
ANALYZE;
SQL

# ---------------------------------------------------------------- service
"$bin" keygen --out "$work/keys" 2>/dev/null
api_key=$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')
port=$(free_port 39401)
closed=$(free_port $((port + 1)))
env -i PATH="$PATH" APP_ENV=development LOG_LEVEL="$LOG_LEVEL_FOR_SERVER" \
  PORT="$port" WEBRANA_HOST="$HOST" DATABASE_URL="postgres://postgres@$HOST:5432/$DB" \
  INTERNAL_API_KEY="$api_key" JWT_PUBLIC_KEY="$(cat "$work/keys/jwt-public.pem")" \
  RATE_LIMIT_ENABLED=false TRIPAY_API_KEY=DEV-bench TRIPAY_PRIVATE_KEY="$PRIVATE_KEY" \
  TRIPAY_MERCHANT_CODE=T12345 TRIPAY_BASE_URL="http://$HOST:$closed/api-sandbox" \
  TRIPAY_RECONCILE_INTERVAL_SECONDS=0 \
  ORDER_SERVICE_BASE_URL="http://$HOST:$closed" NOTIFICATION_SERVICE_BASE_URL="http://$HOST:$closed" \
  AUTH_SERVICE_BASE_URL="http://$HOST:$closed" \
  "$bin" serve billing >"$work/billing.log" 2>&1 &
billing_pid=$!
for ((i = 0; i < 300; i++)); do
  curl -fsS -o /dev/null "http://$HOST:$port/health/ready" 2>/dev/null && break
  kill -0 "$billing_pid" 2>/dev/null || { echo "error: billing exited" >&2; tail -n 20 "$work/billing.log" >&2; exit 1; }
  sleep 0.2
done

# ---------------------------------------------------------------- a. the service
echo
echo "== a. $CALLBACKS signed PAID callbacks, distinct invoices, $CONCURRENCY concurrent"
service=$("$load" "http://$HOST:$port/api/v1/billing/webhooks/tripay" "$PRIVATE_KEY" TSVC \
  "$CALLBACKS" "$CONCURRENCY" "$AMOUNT")
echo "   $service"
paid=$(psql_bench -c "SELECT count(*) FROM invoices WHERE status = 'PAID' AND tripay_reference LIKE 'TSVC%'")
payments=$(psql_bench -c "SELECT count(*) FROM payments")
echo "   invoices PAID: $paid of $CALLBACKS, payment rows: $payments"

# ---------------------------------------------------------------- b. pgbench
cat >"$work/paid.sql" <<'SQL'
SELECT nextval('bench_pgbench_invoice') AS n \gset
BEGIN;
INSERT INTO tripay_callbacks (id, event, reference, status, raw_body, source, received_at)
  VALUES (gen_random_uuid(), 'payment_status', 'TPGB' || lpad(:n::text, 10, '0'), 'PAID', '{}', 'CALLBACK', now())
  RETURNING id AS callback_id \gset
SELECT id AS invoice_id, order_id FROM invoices WHERE tripay_reference = 'TPGB' || lpad(:n::text, 10, '0') \gset
SELECT id FROM invoices WHERE order_id = ':order_id' ORDER BY id FOR UPDATE;
SELECT EXISTS (SELECT 1 FROM payments WHERE reference = 'TPGB' || lpad(:n::text, 10, '0') AND gateway_status = 'PAID');
UPDATE invoices SET status = 'PAID', paid_at = now(), paid_amount = 150000, amount_received = 145750,
  paid_channel = 'BRIVA', callback_payload = '{}', updated_at = now() WHERE id = ':invoice_id';
UPDATE jobs SET state = 'DONE' WHERE queue = 'order-payment-status' AND state = 'PENDING'
  AND payload->>'orderId' = ':order_id' AND payload->>'status' = 'PAYMENT_FAILED';
INSERT INTO jobs (id, queue, subject_id, dedupe_key, payload) VALUES (gen_random_uuid(),
  'order-payment-status', ':invoice_id', 'ORDER_PAID:' || ':invoice_id', '{"status":"PAID"}');
INSERT INTO jobs (id, queue, subject_id, dedupe_key, payload) VALUES (gen_random_uuid(),
  'notifications', ':invoice_id', 'NOTIFY:PAYMENT_CONFIRMED:' || ':invoice_id', '{"event":"PAYMENT_CONFIRMED"}');
INSERT INTO payments (id, invoice_id, amount, amount_received, fee, channel, reference, gateway_status,
  status, source, raw_payload) VALUES (gen_random_uuid(), ':invoice_id', 150000, 145750, 4250, 'BRIVA',
  'TPGB' || lpad(:n::text, 10, '0'), 'PAID', 'SUCCESS', 'CALLBACK', '{}');
UPDATE tripay_callbacks SET outcome = 'PROCESSED', invoice_id = ':invoice_id', processed_at = now()
  WHERE id = ':callback_id';
COMMIT;
SQL
per_client=$((CALLBACKS / CONCURRENCY))
[ "$per_client" -ge 1 ] || per_client=1
echo
echo "== b. pgbench: $CONCURRENCY clients × $per_client transactions of the same SQL"
pgbench -n -h "$HOST" -U postgres -c "$CONCURRENCY" -j 2 -t "$per_client" -f "$work/paid.sql" "$DB" \
  >"$work/pgbench.out" 2>&1 || { cat "$work/pgbench.out" >&2; exit 1; }
grep -E "number of transactions actually processed|latency average|tps =" "$work/pgbench.out" | sed 's/^/   /'
pg_tps=$(sed -n 's/^tps = \([0-9.]*\).*/\1/p' "$work/pgbench.out" | head -n 1)

# ---------------------------------------------------------------- c. ratio
service_rps=$(echo "$service" | sed -n 's/.*"per_second":\([0-9.]*\).*/\1/p')
echo
echo "== summary ($(nproc) CPU cores shared by billing, PostgreSQL and the load generator)"
awk -v s="$service_rps" -v p="$pg_tps" -v line="$service" 'BEGIN {
  printf "   service: %s callbacks/s (%s)\n   pgbench: %s transactions/s\n   ratio service/pgbench: %.2f\n",
    s, line, p, (p > 0 ? s / p : 0) }'
