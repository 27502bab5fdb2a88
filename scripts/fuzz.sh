#!/usr/bin/env bash
# Contract fuzzing: schemathesis (from PyPI, pinned below) generates requests from each service's
# own OpenAPI document (`GET /api/openapi.json`) and fails on any 5xx, on any response whose
# status code, body, content type or headers the document does not list for its operation, and on
# a secured operation that answers without its credential.
#
#   bash scripts/fuzz.sh [--bounded] [SERVICE…]   # SERVICE: auth catalog order billing notification
#
# Builds `webrana` (debug; WEBRANA_BIN skips the build and uses that binary) and starts the whole
# platform with `webrana dev` on shifted ports (offset 24000 or the next free one), throwaway
# databases (`webrana_fuzz<offset>_*`, dropped afterwards) and Redis database 11, so it never
# touches a developer's platform. Rate limits stay on but allow 1,000,000 requests a minute (a 429 is
# documented where a route is limited, but a fuzzer that only ever sees 429s tests nothing), and
# access tokens live a day. Before fuzzing it creates test data through the API: four orders of
# the demo customer (pending with an invoice, active, failed, canceled), which the stateful phase
# finds through the list routes.
#
# Each service is fuzzed twice, once per credential (platform.md §3.4):
#   - user operations (everything outside `/api/v1/internal/`): the demo customer's access token
#     from auth's login;
#   - internal operations: only the internal API key `webrana dev` generated (a customer token
#     beside a valid key is a 403).
# A service whose document lists nothing but the health routes is skipped with a message. auth
# runs last, since its operations may log the customer out or change its password.
#
# Modes:
#   --bounded  what CI runs (scripts/test.sh): 25 cases per operation, seed 1 (~1 min after the
#              build on 2 cores);
#   default    100 cases per operation and a random seed, printed so that FUZZ_SEED replays a
#              failure (~2 min). Deeper: FUZZ_MAX_EXAMPLES=1000 bash scripts/fuzz.sh.
# Knobs: FUZZ_MAX_EXAMPLES, FUZZ_SEED, FUZZ_PHASES (examples,coverage,fuzzing,stateful),
# FUZZ_MAX_TIME (seconds per run), FUZZ_CHECKS (e.g. `all` to explore beyond the contract),
# FUZZ_REPORTS (schemathesis --report formats, default junit; `junit,har` records every request),
# FUZZ_ARGS (more schemathesis options, e.g. `--output-sanitize false` to see the credentials).
#
# schemathesis goes into target/fuzz-venv (kept between runs; FUZZ_VENV overrides), reports into
# target/fuzz-report/<service>-<user|internal>/. When schemathesis cannot be installed the script
# fails under CI=true and otherwise skips with exit status 0.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=scripts/lib/services.sh
. scripts/lib/services.sh
# shellcheck source=scripts/lib/bench.sh
. scripts/lib/bench.sh

readonly HOST=127.0.0.1 # the fuzzed platform: loopback only
readonly SCHEMATHESIS_VERSION=4.32.5
readonly TARGET_DIR=${CARGO_TARGET_DIR:-target}
readonly VENV=${FUZZ_VENV:-$TARGET_DIR/fuzz-venv}
readonly REPORT_DIR=${FUZZ_REPORT_DIR:-$TARGET_DIR/fuzz-report}
readonly REPORTS=${FUZZ_REPORTS:-junit}
readonly ALL_SERVICES=(catalog order billing notification auth) # auth last, see above
# The demo customer (auth spec §8).
readonly CUSTOMER_EMAIL=customer@webrana.cloud
readonly CUSTOMER_PASSWORD=Customer123!
# No 5xx; only documented status codes, bodies, content types and response headers (`Location`);
# and a secured operation called without its credential must refuse (ignored_auth).
readonly CHECKS=${FUZZ_CHECKS:-not_a_server_error,status_code_conformance,response_schema_conformance,content_type_conformance,response_headers_conformance,ignored_auth}
started=$(date +%s)

bounded=0
services=()
for arg in "$@"; do
  case "$arg" in
    --bounded) bounded=1 ;;
    -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    auth | catalog | order | billing | notification) services+=("$arg") ;;
    *) echo "error: unknown argument '$arg' (try --help)" >&2; exit 2 ;;
  esac
done
[ ${#services[@]} -gt 0 ] || services=("${ALL_SERVICES[@]}")
# Keep auth last whatever order they were named in.
ordered=()
for s in "${ALL_SERVICES[@]}"; do
  for t in "${services[@]}"; do [ "$s" = "$t" ] && { ordered+=("$s"); break; }; done
done
services=("${ordered[@]}")

if [ "$bounded" = 1 ]; then
  max_examples=${FUZZ_MAX_EXAMPLES:-25}
  seed=${FUZZ_SEED:-1}
  phases=${FUZZ_PHASES:-examples,coverage,fuzzing,stateful}
else
  max_examples=${FUZZ_MAX_EXAMPLES:-100}
  seed=${FUZZ_SEED:-$((RANDOM * 32768 + RANDOM))}
  phases=${FUZZ_PHASES:-examples,coverage,fuzzing,stateful}
fi
[[ "$max_examples" =~ ^[1-9][0-9]*$ ]] || { echo "error: FUZZ_MAX_EXAMPLES must be a positive integer" >&2; exit 2; }
[[ "$seed" =~ ^[0-9]+$ ]] || { echo "error: FUZZ_SEED must be a non-negative integer" >&2; exit 2; }

# skip_or_fail MESSAGE: fatal in CI, a loud skip elsewhere.
skip_or_fail() {
  if [ "${CI:-}" = true ]; then
    echo "error: $1" >&2
    exit 1
  fi
  echo "SKIPPED contract fuzzing: $1" >&2
  exit 0
}

command -v python3 >/dev/null || skip_or_fail "python3 is not installed"
for tool in curl psql; do
  command -v "$tool" >/dev/null || { echo "error: $tool is required" >&2; exit 1; }
done

# ---------------------------------------------------------------- schemathesis
if [ ! -x "$VENV/bin/python" ]; then
  echo "==> python3 -m venv $VENV"
  # Debian splits venv (and its ensurepip) into python3-venv; try to add it once.
  if ! python3 -m venv "$VENV" 2>/dev/null; then
    rm -rf "$VENV"
    if command -v apt-get >/dev/null && [ "$(id -u)" -eq 0 ]; then
      apt-get install -y -qq python3-venv >/dev/null 2>&1 || true
    fi
    python3 -m venv "$VENV" || skip_or_fail "cannot create a virtual environment (python3-venv missing?)"
  fi
fi
if [ "$("$VENV/bin/schemathesis" --version 2>/dev/null | awk '{print $NF}')" != "$SCHEMATHESIS_VERSION" ]; then
  echo "==> pip install schemathesis==$SCHEMATHESIS_VERSION (into $VENV)"
  if ! "$VENV/bin/python" -m pip install --disable-pip-version-check -q "schemathesis==$SCHEMATHESIS_VERSION"; then
    skip_or_fail "pip install schemathesis==$SCHEMATHESIS_VERSION failed (is the package registry reachable?)"
  fi
fi

# ---------------------------------------------------------------- platform
ensure_postgres
ensure_redis

if [ -n "${WEBRANA_BIN:-}" ]; then
  bin=$WEBRANA_BIN
else
  echo "==> cargo build -p webrana"
  cargo build -p webrana --bin webrana
  bin="$TARGET_DIR/debug/webrana"
fi

work=$(mktemp -d)
dev_pid=""
prefix="" # the databases' prefix, once the port offset is known
cleanup() {
  # `webrana dev` stops its children on SIGTERM and waits for them.
  stop "$dev_pid"
  if [ -n "$prefix" ]; then
    for service in "${ALL_SERVICES[@]}"; do
      psql_admin -c "DROP DATABASE IF EXISTS ${prefix}_$service WITH (FORCE)" >/dev/null 2>&1 || true
    done
  fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# A port offset under which every port `webrana dev` uses (services 3001-3005, simulators
# 3101-3104 and the SMTP sink's 2525) is free; away from the benches' 36000+.
offset=""
for candidate in $(seq 24000 100 34000); do
  busy=0
  for port in 3001 3002 3003 3004 3005 3101 3102 3103 3104 3105 2525; do
    if port_open "$HOST" $((port + candidate)); then busy=1; break; fi
  done
  if [ "$busy" = 0 ]; then offset=$candidate; break; fi
done
[ -n "$offset" ] || { echo "error: no free port offset" >&2; exit 1; }
declare -A port_of=([auth]=3001 [catalog]=3002 [order]=3003 [billing]=3004 [notification]=3005)
url() { echo "http://$HOST:$((port_of[$1] + offset))"; }

# Per offset, so that two runs side by side do not share (or drop) each other's databases.
prefix=webrana_fuzz$offset
for service in "${ALL_SERVICES[@]}"; do
  psql_admin -c "DROP DATABASE IF EXISTS ${prefix}_$service WITH (FORCE)"
done
echo "==> webrana dev --port-offset $offset --database-prefix $prefix"
limits=()
for name in USER LOGIN REGISTER FORGOT_PASSWORD RESEND_VERIFICATION TELEGRAM_LINK_CODE PUBLIC \
  COUPON_VALIDATE ORDER_CREATE; do
  limits+=("RATE_LIMIT_${name}_PER_MIN=1000000")
done
# A clean environment, so nothing from the caller's shell (a real token, a .env) changes the run.
# Redis database 11: rate-limit counters and notification's locks apart from other platforms'.
env -i PATH="$PATH" HOME="$work" LOG_LEVEL=warn JWT_ACCESS_TTL_SECONDS=86400 "${limits[@]}" \
  SIM_ACTIVE_AFTER_SECONDS=0 PROVISIONING_POLL_INTERVAL_MS=200 \
  "$bin" dev --port-offset "$offset" --database-prefix "$prefix" --state-dir "$work/state" \
  --redis-url redis://127.0.0.1:6379/11 >"$work/dev.log" 2>&1 &
dev_pid=$!
for ((i = 0; i < 900; i++)); do
  grep -q "Press Ctrl-C to stop everything" "$work/dev.log" && break
  kill -0 "$dev_pid" 2>/dev/null || { echo "error: webrana dev exited; its log:" >&2; tail -n 30 "$work/dev.log" >&2; exit 1; }
  sleep 0.2
done
grep -q "Press Ctrl-C to stop everything" "$work/dev.log" ||
  { echo "error: webrana dev not ready after 180 s" >&2; tail -n 30 "$work/dev.log" >&2; exit 1; }

api_key=$(cat "$work/state/internal-api-key")
# The DigitalOcean simulator's default budget is DigitalOcean's 250 requests a minute; fuzzing
# order's provisioning must not hit it.
curl -fsS -o /dev/null -X POST "http://$HOST:$((3101 + offset))/_sim/config" \
  -H 'Content-Type: application/json' -d '{"per_minute_budget": 1000000}'

login() {
  curl -fsS "$(url auth)/api/v1/auth/login" -H 'Content-Type: application/json' \
    -d "{\"email\":\"$1\",\"password\":\"$2\"}" |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["data"]["accessToken"])'
}

# ---------------------------------------------------------------- test data
# Random ids only ever find 404s: give the fuzzer real resources in several states, which the
# stateful phase picks up from the list responses. Best effort: a step that fails is reported and
# the fuzzing goes on.
fixture() { # fixture DESCRIPTION CURL-ARGS…: prints data.id of the answer
  local what=$1 body
  shift
  if body=$(curl -fsS "$@") && id=$(python3 -c 'import json, sys; print(json.load(sys.stdin)["data"].get("id", ""))' <<<"$body"); then
    echo "$id"
  else
    echo "warning: test data: $what failed: ${body:0:300}" >&2
    return 1
  fi
}
json_post=(-H 'Content-Type: application/json')
customer=(-H "Authorization: Bearer $(login "$CUSTOMER_EMAIL" "$CUSTOMER_PASSWORD")")
internal=(-H "X-API-Key: $api_key")
# wait_status ORDER STATUS: up to 30 s for the order to reach STATUS.
wait_status() {
  local i
  for ((i = 0; i < 150; i++)); do
    curl -fsS "$(url order)/api/v1/internal/orders/$1" "${internal[@]}" 2>/dev/null |
      grep -q "\"status\":\"$2\"" && return 0
    sleep 0.2
  done
  echo "warning: test data: order $1 did not become $2" >&2
  return 1
}
echo "==> test data: orders (pending with an invoice, active, canceled, failed)"
order_body='{"planId":"a1000000-0000-4000-8000-000000000002","imageId":"b1000000-0000-4000-8000-000000000001","duration":"MONTHLY"}'
if pending=$(fixture "an order" "$(url order)/api/v1/orders" "${customer[@]}" "${json_post[@]}" -d "$order_body"); then
  fixture "an invoice" "$(url billing)/api/v1/billing/invoices" "${customer[@]}" "${json_post[@]}" \
    -d "{\"orderId\":\"$pending\"}" >/dev/null || true
fi
if paid=$(fixture "an order" "$(url order)/api/v1/orders" "${customer[@]}" "${json_post[@]}" -d "$order_body"); then
  fixture "PAID" "$(url order)/api/v1/internal/orders/$paid/payment-status" "${internal[@]}" "${json_post[@]}" \
    -d '{"status":"PAID","reference":"FUZZ-PAID-1"}' >/dev/null || true
fi
if broken=$(fixture "an order" "$(url order)/api/v1/orders" "${customer[@]}" "${json_post[@]}" -d "$order_body"); then
  # The simulator refuses the next droplet it is asked for: wait until the active order has its own.
  [ -z "${paid:-}" ] || wait_status "$paid" ACTIVE || true
  curl -fsS -o /dev/null -X POST "http://$HOST:$((3101 + offset))/_sim/config" "${json_post[@]}" \
    -d '{"next_create_tags": ["sim:fail-create"]}'
  if fixture "PAID" "$(url order)/api/v1/internal/orders/$broken/payment-status" "${internal[@]}" \
    "${json_post[@]}" -d '{"status":"PAID","reference":"FUZZ-FAILED-1"}' >/dev/null; then
    wait_status "$broken" FAILED || true
  fi
fi
if canceled=$(fixture "an order" "$(url order)/api/v1/orders" "${customer[@]}" "${json_post[@]}" -d "$order_body"); then
  fixture "cancel" "$(url order)/api/v1/internal/orders/$canceled/cancel" "${internal[@]}" "${json_post[@]}" \
    -d '{"reason":"fuzz test data"}' >/dev/null || true
fi

# ---------------------------------------------------------------- fuzzing
mkdir -p "$REPORT_DIR"
for service in "${ALL_SERVICES[@]}"; do rm -rf "$REPORT_DIR/$service-user" "$REPORT_DIR/$service-internal"; done
# schemathesis keeps its crash cache (for `st replay`) beside the reports, not in the work tree.
printf '[cache]\ndirectory = "%s/cache"\n' "$(cd "$REPORT_DIR" && pwd)" >"$work/schemathesis.toml"
echo
echo "== schemathesis $SCHEMATHESIS_VERSION: $max_examples cases per operation, seed $seed, phases $phases"
echo "   checks $CHECKS"
failed=()
skipped=()
for service in "${services[@]}"; do
  base=$(url "$service")
  doc="$work/$service-openapi.json"
  curl -fsS "$base/api/openapi.json" -o "$doc"
  # Count the documented operations beyond the health routes: internal ones, and the others.
  read -r internal_ops other_ops < <(python3 - "$doc" <<'EOF2'
import json, sys
doc = json.load(open(sys.argv[1]))
ops = [path for path, item in doc.get("paths", {}).items() if not path.startswith("/health")
       for method in item if method in ("get", "put", "post", "patch", "delete")]
internal = sum(1 for path in ops if path.startswith("/api/v1/internal/"))
print(internal, len(ops) - internal)
EOF2
)
  if [ "$((internal_ops + other_ops))" = 0 ]; then
    echo
    echo "-- $service: SKIPPED, its document lists only the health routes"
    skipped+=("$service")
    continue
  fi
  # A fresh login per service: auth's own run may log the customer out.
  token=$(login "$CUSTOMER_EMAIL" "$CUSTOMER_PASSWORD")
  service_status=0
  # Two runs, one per credential: schemathesis applies -H to every selected operation.
  for part in user internal; do
    if [ "$part" = user ]; then
      select=(--exclude-path-regex '^/api/v1/internal/' -H "Authorization: Bearer $token")
      count=$other_ops
    else
      select=(--include-path-regex '^/api/v1/internal/' -H "X-API-Key: $api_key")
      count=$internal_ops
    fi
    [ "$count" -gt 0 ] || continue
    echo
    echo "-- $service, $part operations ($count) at $base"
    part_started=$(date +%s)
    status=0
    extra=()
    [ -n "${FUZZ_MAX_TIME:-}" ] && extra+=(--max-time "$FUZZ_MAX_TIME")
    # shellcheck disable=SC2206 # FUZZ_ARGS: extra schemathesis options, split on blanks
    [ -n "${FUZZ_ARGS:-}" ] && extra+=($FUZZ_ARGS)
    "$VENV/bin/schemathesis" --no-color --config-file "$work/schemathesis.toml" \
      run "$doc" --url "$base" "${select[@]}" \
      --checks "$CHECKS" --phases "$phases" --max-examples "$max_examples" --seed "$seed" \
      --workers 1 --generation-database none --generation-with-security-parameters false \
      --request-timeout 20 --report "$REPORTS" --report-dir "$REPORT_DIR/$service-$part" \
      "${extra[@]}" || status=$?
    echo "-- $service, $part operations: exit $status after $(($(date +%s) - part_started)) s"
    [ "$status" -eq 0 ] || service_status=$status
  done
  [ "$service_status" -eq 0 ] || failed+=("$service")
done

echo
echo "== contract fuzzing took $(($(date +%s) - started)) s (seed $seed)"
[ ${#skipped[@]} -eq 0 ] || echo "   not documented yet, skipped: ${skipped[*]}"
if [ ${#failed[@]} -gt 0 ]; then
  echo "   FAILED: ${failed[*]} (replay with FUZZ_SEED=$seed; the services' log follows)" >&2
  grep '"level":"error"' "$work/dev.log" | tail -n 40 >&2 || true
  exit 1
fi
echo "   passed: ${services[*]}"
