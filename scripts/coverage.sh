#!/usr/bin/env bash
# Line coverage of some crates, measured by their own tests (unit and integration) against the
# real PostgreSQL and Redis, failing below a threshold.
#
#   bash scripts/coverage.sh                 # billing and tripay, at least 80 %
#   bash scripts/coverage.sh notification    # any crates of the workspace
#   COVERAGE_MIN=85 bash scripts/coverage.sh billing
#
# Uses cargo-llvm-cov (installed from the crate registry when missing) and the toolchain's
# llvm-tools component. The instrumented build lives in target/llvm-cov-target, apart from the
# normal one. The HTML report goes to target/llvm-cov/html.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=scripts/lib/services.sh
. scripts/lib/services.sh
exec </dev/null

readonly MIN=${COVERAGE_MIN:-80}
crates=("$@")
[ ${#crates[@]} -gt 0 ] || crates=(billing tripay)

if ! cargo llvm-cov --version >/dev/null 2>&1; then
  echo "==> installing cargo-llvm-cov"
  cargo install cargo-llvm-cov --locked
fi
if ! rustup component list --installed 2>/dev/null | grep -q '^llvm-tools'; then
  echo "==> installing the llvm-tools component"
  rustup component add llvm-tools-preview
fi

ensure_postgres
ensure_redis
export DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres
export REDIS_URL=redis://127.0.0.1:6379

packages=()
for c in "${crates[@]}"; do
  packages+=(-p "$c")
done
# Only the named crates' files count: the platform and the simulators have their own tests.
ignore="^$(pwd)/crates/($(ls crates | grep -v -x -F -f <(printf '%s\n' "${crates[@]}") | paste -sd'|'))/"
echo "==> line coverage of ${crates[*]} (minimum ${MIN} %)"
cargo llvm-cov nextest "${packages[@]}" --no-tests=warn \
  --ignore-filename-regex "$ignore" --fail-under-lines "$MIN" --html
cargo llvm-cov report "${packages[@]}" --ignore-filename-regex "$ignore" --summary-only
