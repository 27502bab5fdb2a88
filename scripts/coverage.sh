#!/usr/bin/env bash
# Line coverage of some crates, measured by their own tests (unit and integration) against the
# real PostgreSQL and Redis, failing below a threshold.
#
#   bash scripts/coverage.sh                 # billing and tripay, at least 80 %
#   bash scripts/coverage.sh notification    # any crates of the workspace
#   COVERAGE_MIN=85 bash scripts/coverage.sh billing
#
# Uses cargo-llvm-cov (installed from the crate registry when missing) and LLVM's coverage tools
# of rustc's LLVM version (the llvm-tools component, else Debian's llvm-<major>). The instrumented build lives in target/llvm-cov-target, apart from the
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
# llvm-cov and llvm-profdata must match rustc's LLVM. The rustup component comes from the Rust
# distribution server, which these machines cannot reach; Debian packages the same LLVM as
# llvm-<major>, so that is used when the component is absent.
if ! rustup component list --installed 2>/dev/null | grep -q '^llvm-tools'; then
  major=$(rustc -vV | sed -n 's/^LLVM version: \([0-9]*\).*/\1/p')
  llvm_bin=/usr/lib/llvm-${major}/bin
  if [ ! -x "$llvm_bin/llvm-profdata" ] && command -v apt-get >/dev/null 2>&1; then
    echo "==> installing llvm-${major} (Debian) for rustc's LLVM ${major}"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q "llvm-${major}" >/dev/null
  fi
  if [ -x "$llvm_bin/llvm-profdata" ]; then
    export LLVM_COV="$llvm_bin/llvm-cov" LLVM_PROFDATA="$llvm_bin/llvm-profdata"
  else
    echo "==> installing the llvm-tools component"
    rustup component add llvm-tools-preview
  fi
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
