#!/usr/bin/env bash
# Full-journey load test on loopback: orders per minute from create to ACTIVE, and the memory
# (RSS) of the five services idle and under that load (see bench/README.md for how to read it).
#
#   bash bench/journey.sh
#
# Builds `webrana` and the `journey_load` example in release mode and runs the whole platform as
# `webrana dev` does (five services and the simulators, each its own process), on shifted ports
# and throwaway databases, with droplets active at their first read (SIM_ACTIVE_AFTER_SECONDS=0)
# and rate limits off (every customer here is 127.0.0.1). Then:
#   a. samples each service's VmRSS (/proc/<pid>/status) every 200 ms for the whole run;
#   b. registers BENCH_CUSTOMERS customers (verify link from the mailbox, login) — not timed;
#   c. runs their purchases BENCH_CONCURRENCY at a time: create order → invoice → pay (BRI VA) →
#      Pay on the Tripay checkout page → read the order until ACTIVE (crates/webrana/examples/
#      journey_load.rs), and reports orders/min and time-to-ACTIVE p50/p95/max;
#   d. reports RSS per service: idle (after start, before any customer), peak while the customers
#      sign up (argon2id hashing in auth), and peak during the purchases.
# Every request only ever targets 127.0.0.1.
#
# Knobs (environment): BENCH_CUSTOMERS (default 100), BENCH_CONCURRENCY (default 20, at most 25:
# the simulator's droplet limit; each ACTIVE order's droplet is deleted to free its slot),
# BENCH_POLL_INTERVAL_MS (the order service's PROVISIONING_POLL_INTERVAL_MS, default 200, >= 100),
# BENCH_STATUS_POLL_MS (how often a customer reads its order, default 100), BENCH_LOG_LEVEL (warn).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=scripts/lib/services.sh
. scripts/lib/services.sh
# shellcheck source=scripts/lib/bench.sh
. scripts/lib/bench.sh

readonly HOST=127.0.0.1 # never anything else: this machine's loopback only
readonly PREFIX=webrana_bench_journey
readonly SERVICES=(auth catalog order billing notification)
readonly CUSTOMERS=${BENCH_CUSTOMERS:-100}
readonly CONCURRENCY=${BENCH_CONCURRENCY:-20}
readonly POLL_INTERVAL_MS=${BENCH_POLL_INTERVAL_MS:-200}
readonly STATUS_POLL_MS=${BENCH_STATUS_POLL_MS:-100}
readonly LOG_LEVEL_FOR_SERVERS=${BENCH_LOG_LEVEL:-warn}
# What `webrana dev` gives the DigitalOcean simulator and the order service (dev.rs); the driver
# uses it only to delete droplets of ACTIVE orders.
readonly DO_TOKEN=dev-digitalocean-token
readonly TARGET_DIR=${CARGO_TARGET_DIR:-target}

for n in "$CUSTOMERS" "$CONCURRENCY" "$POLL_INTERVAL_MS" "$STATUS_POLL_MS"; do
  [[ "$n" =~ ^[1-9][0-9]*$ ]] || { echo "error: BENCH_* values must be positive integers, got '$n'" >&2; exit 2; }
done
[ "$CONCURRENCY" -le 25 ] || { echo "error: BENCH_CONCURRENCY is at most 25 (the simulator's droplet limit)" >&2; exit 2; }
[ "$POLL_INTERVAL_MS" -ge 100 ] || { echo "error: BENCH_POLL_INTERVAL_MS is at least 100" >&2; exit 2; }

work=$(mktemp -d)
dev_pid=""
sampler_pid=""
cleanup() {
  stop "$sampler_pid"
  # `webrana dev` stops its children on SIGTERM and waits for them.
  stop "$dev_pid"
  for service in "${SERVICES[@]}"; do
    psql_admin -c "DROP DATABASE IF EXISTS ${PREFIX}_$service WITH (FORCE)" >/dev/null 2>&1 || true
  done
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

for tool in curl psql; do
  command -v "$tool" >/dev/null || { echo "error: $tool is required" >&2; exit 1; }
done
ensure_postgres
ensure_redis

echo "==> cargo build --release -p webrana --example journey_load"
cargo build --release -p webrana --bin webrana --example journey_load
bin="$TARGET_DIR/release/webrana"
load="$TARGET_DIR/release/examples/journey_load"

# ---------------------------------------------------------------- platform
# A port offset under which every port `webrana dev` uses (services 3001-3005, simulators
# 3101-3104 and the SMTP sink's 2525) is free.
offset=""
for candidate in $(seq 36000 100 46000); do
  busy=0
  for port in 3001 3002 3003 3004 3005 3101 3102 3103 3104 3105 2525; do
    if port_open "$HOST" $((port + candidate)); then busy=1; break; fi
  done
  if [ "$busy" = 0 ]; then offset=$candidate; break; fi
done
[ -n "$offset" ] || { echo "error: no free port offset" >&2; exit 1; }
url() { echo "http://$HOST:$(($1 + offset))"; }

for service in "${SERVICES[@]}"; do
  psql_admin -c "DROP DATABASE IF EXISTS ${PREFIX}_$service WITH (FORCE)"
done
echo "==> webrana dev --port-offset $offset --database-prefix $PREFIX"
# A clean environment, so nothing from the caller's shell (a real token, a .env) skews the run.
env -i PATH="$PATH" HOME="$work" LOG_LEVEL="$LOG_LEVEL_FOR_SERVERS" \
  SIM_ACTIVE_AFTER_SECONDS=0 PROVISIONING_POLL_INTERVAL_MS="$POLL_INTERVAL_MS" \
  RATE_LIMIT_ENABLED=false \
  "$bin" dev --port-offset "$offset" --database-prefix "$PREFIX" --state-dir "$work/state" \
  >"$work/dev.log" 2>&1 &
dev_pid=$!
for ((i = 0; i < 900; i++)); do
  grep -q "Press Ctrl-C to stop everything" "$work/dev.log" && break
  kill -0 "$dev_pid" 2>/dev/null || { echo "error: webrana dev exited; its log:" >&2; tail -n 30 "$work/dev.log" >&2; exit 1; }
  sleep 0.2
done
grep -q "Press Ctrl-C to stop everything" "$work/dev.log" ||
  { echo "error: webrana dev not ready after 180 s" >&2; tail -n 30 "$work/dev.log" >&2; exit 1; }

# The five service processes: children of dev running `webrana serve <service>`.
declare -A pid_of
for child in $(pgrep -P "$dev_pid"); do
  # cmdline has no final newline, so read reports end of input: not an error here.
  read -r -a argv < <(tr '\0' ' ' <"/proc/$child/cmdline") || true
  if [ "${argv[1]:-}" = serve ]; then pid_of[${argv[2]}]=$child; fi
done
for service in "${SERVICES[@]}"; do
  [ -n "${pid_of[$service]:-}" ] || { echo "error: no $service process under webrana dev" >&2; exit 1; }
done

# DigitalOcean's own limit is 250 requests a minute per token; lift the simulator's so the run
# measures the platform, not the budget (every order costs a create, reads and a delete).
curl -fsS -o /dev/null -X POST "$(url 3101)/_sim/config" -H 'Content-Type: application/json' \
  -d '{"per_minute_budget": 1000000}'

# ---------------------------------------------------------------- RSS sampler
now_ms() { date +%s%3N; }
rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0; }
sample() {
  local line service
  while :; do
    line=$(now_ms)
    for service in "${SERVICES[@]}"; do line+=" $(rss_kib "${pid_of[$service]}")"; done
    echo "$line"
    sleep 0.2
  done
}
# Let the start-up work (seeding, first jobs) settle, then take the idle figure.
sleep 5
sample >"$work/rss" &
sampler_pid=$!
sleep 3
idle_until=$(now_ms)

# ---------------------------------------------------------------- load
echo
echo "== $CUSTOMERS customers buy a VPS, $CONCURRENCY at a time (droplet boot 0 s, provisioning poll ${POLL_INTERVAL_MS} ms, order read every ${STATUS_POLL_MS} ms)"
status=0
setup_start=$(now_ms)
"$load" "$(url 3001)" "$(url 3003)" "$(url 3004)" "$(url 3103)" "$(url 3101)" "$DO_TOKEN" \
  "$CUSTOMERS" "$CONCURRENCY" "$STATUS_POLL_MS" >"$work/result.json" || status=$?
stop "$sampler_pid"
sampler_pid=""
result=$(tail -n 1 "$work/result.json")
echo "   $result"
if [ "$status" -ne 0 ] || [ -z "$result" ]; then
  echo "error: the journey failed; webrana dev's log:" >&2
  tail -n 30 "$work/dev.log" >&2
  exit 1
fi
field() { sed -n "s/.*\"$1\":\([0-9.]*\).*/\1/p" <<<"$result"; }
load_start=$(field load_start_ms)
load_end=$(field load_end_ms)

printf '   => %s orders/min create→ACTIVE (%s of %s ACTIVE in %s s, %s at a time); time-to-ACTIVE p50 %s ms, p95 %s ms, max %s ms; the customer'"'"'s four calls p50 %s ms\n' \
  "$(field orders_per_minute)" "$(field active)" "$CUSTOMERS" "$(field load_s)" "$CONCURRENCY" \
  "$(field to_active_p50_ms)" "$(field to_active_p95_ms)" "$(field to_active_max_ms)" \
  "$(field customer_calls_p50_ms)" | tee "$work/summary"

echo
echo "== RSS (VmRSS, MiB): idle = median before any customer; sign-up = peak while the customers register and log in; purchases = peak during the purchases"
awk -v idle_until="$idle_until" -v setup="$setup_start" -v from="$load_start" -v to="$load_end" -v names="${SERVICES[*]}" '
  BEGIN { n = split(names, name, " ") }
  $1 <= idle_until { k++; for (i = 1; i <= n; i++) idle[i, k] = $(i + 1) }
  $1 >= setup && $1 < from { for (i = 1; i <= n; i++) if ($(i + 1) > signup[i]) signup[i] = $(i + 1) }
  $1 >= from && $1 <= to { for (i = 1; i <= n; i++) if ($(i + 1) > peak[i]) peak[i] = $(i + 1) }
  END {
    for (i = 1; i <= n; i++) {
      # median of the idle samples
      m = 0; for (j = 1; j <= k; j++) v[++m] = idle[i, j]
      for (a = 1; a <= m; a++) for (b = a + 1; b <= m; b++) if (v[b] < v[a]) { t = v[a]; v[a] = v[b]; v[b] = t }
      med = (m > 0) ? v[int((m + 1) / 2)] : 0
      ti += med; ts += signup[i]; tp += peak[i]
      printf "   %-13s idle %6.1f   sign-up %6.1f   purchases %6.1f\n", name[i], med / 1024, signup[i] / 1024, peak[i] / 1024
    }
    printf "   %-13s idle %6.1f   sign-up %6.1f   purchases %6.1f\n", "all five", ti / 1024, ts / 1024, tp / 1024
  }' "$work/rss" | tee -a "$work/summary"

echo
echo "== summary ($(nproc) CPU cores shared by the five services, four simulators, PostgreSQL, Redis and the load driver)"
cat "$work/summary"
