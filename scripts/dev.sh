#!/usr/bin/env bash
# The README's RUN command: builds the `webrana` binary and runs `webrana dev`, which starts
# PostgreSQL and Redis if needed, creates the databases, dev keys and demo users, and supervises
# every built service until Ctrl-C. Extra arguments go to `webrana dev` (try --help).
#
# A debug build on purpose: on a 2-core machine the first release build takes minutes longer,
# and locally the services wait on the database, not on the CPU. (Dependencies are still
# optimised a little, see [profile.dev.package."*"] in Cargo.toml, so password hashing stays
# reasonably quick.) Use bench/auth.sh for numbers.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# Your own settings win over dev's defaults; blank values count as unset.
if [ -f .env ]; then
  echo "==> loading .env"
  set -a
  # shellcheck disable=SC1091
  . ./.env
  set +a
fi

echo "==> cargo build -p webrana (debug)"
cargo build -p webrana

# exec: Ctrl-C and SIGTERM reach webrana dev directly, which stops its children in order.
exec "${CARGO_TARGET_DIR:-target}/debug/webrana" dev "$@"
