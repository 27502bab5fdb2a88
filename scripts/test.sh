#!/usr/bin/env bash
# The README's TEST command. Does every step itself, on a fresh machine as in CI (root, CI=true,
# no stdin): starts PostgreSQL and Redis when they are down, then runs formatting, lints, every
# test of the workspace (against the real PostgreSQL and Redis) and the doc tests.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=scripts/lib/services.sh
. scripts/lib/services.sh

# Nothing below may wait for an answer: CI has no standard input.
exec </dev/null
export RUST_BACKTRACE="${RUST_BACKTRACE:-1}"

step() {
  echo
  echo "==> $*"
}

# rustfmt and clippy are rustup components; a bare toolchain may lack them.
for component in rustfmt clippy; do
  if ! cargo "${component/rustfmt/fmt}" --version >/dev/null 2>&1; then
    step "installing the $component component"
    rustup component add "$component"
  fi
done

step "PostgreSQL and Redis"
ensure_postgres
ensure_redis
# `#[sqlx::test]` connects here and creates a fresh database per test.
export DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres
export REDIS_URL=redis://127.0.0.1:6379

step "cargo fmt --all -- --check"
cargo fmt --all -- --check

step "cargo clippy --workspace --all-targets -- -D warnings"
cargo clippy --workspace --all-targets -- -D warnings

if cargo nextest --version >/dev/null 2>&1; then
  step "cargo nextest run --workspace"
  cargo nextest run --workspace --no-tests=warn
else
  step "cargo test --workspace (cargo-nextest is not installed)"
  cargo test --workspace
fi

# nextest does not run doc tests.
step "cargo test --workspace --doc"
cargo test --workspace --doc

# DigitalOcean's own Python client against the simulator (wire-format proof, ~10 s with a fresh
# virtual environment, ~3 s after). Fails when pydo cannot be installed under CI=true.
if command -v python3 >/dev/null 2>&1; then
  step "scripts/pydo-conformance.sh"
  bash scripts/pydo-conformance.sh
else
  step "pydo conformance skipped: python3 is not installed"
fi

# Contract fuzzing: schemathesis against every service's OpenAPI document on a platform of its own
# (bounded: a fixed seed and a few cases per operation, about two minutes with a fresh virtual
# environment). Fails when schemathesis cannot be installed under CI=true.
if command -v python3 >/dev/null 2>&1; then
  step "scripts/fuzz.sh --bounded"
  bash scripts/fuzz.sh --bounded
else
  step "contract fuzzing skipped: python3 is not installed"
fi

step "all checks passed"
