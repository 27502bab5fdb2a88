#!/usr/bin/env bash
# Wire-format conformance of the DigitalOcean simulator: DigitalOcean's official Python client
# (`pydo`, from PyPI) creates, reads, lists by tag, waits for, acts on and deletes a droplet
# against `webrana simulate digitalocean`, and sees injected 429/500/503 answers as it would the
# real API's (scripts/pydo_conformance.py lists every check).
#
#   bash scripts/pydo-conformance.sh
#
# Makes a virtual environment under target/pydo-venv (kept between runs; PYDO_VENV overrides),
# installs pydo into it, builds `webrana` (debug; WEBRANA_BIN skips the build and uses that
# binary) and starts the simulator on a free 127.0.0.1 port with droplets active after 1 s.
#
# When pydo cannot be installed (no package registry reachable) the script fails under CI=true
# and otherwise skips with a message and exit status 0. Knob: PYDO_SPEC (the pip requirement,
# default `pydo`; pin a version with e.g. PYDO_SPEC='pydo==0.44.0').
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=scripts/lib/services.sh
. scripts/lib/services.sh
# shellcheck source=scripts/lib/bench.sh
. scripts/lib/bench.sh

readonly HOST=127.0.0.1 # free_port and the simulator: loopback only
readonly TARGET_DIR=${CARGO_TARGET_DIR:-target}
readonly VENV=${PYDO_VENV:-$TARGET_DIR/pydo-venv}
readonly SPEC=${PYDO_SPEC:-pydo}
readonly TOKEN=pydo-conformance-token
started=$(date +%s)

# skip_or_fail MESSAGE: fatal in CI, a loud skip elsewhere.
skip_or_fail() {
  if [ "${CI:-}" = true ]; then
    echo "error: $1" >&2
    exit 1
  fi
  echo "SKIPPED pydo conformance: $1" >&2
  exit 0
}

command -v python3 >/dev/null || skip_or_fail "python3 is not installed"

# ---------------------------------------------------------------- pydo
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
if ! "$VENV/bin/python" -c 'import pydo' 2>/dev/null; then
  echo "==> pip install $SPEC (into $VENV)"
  if ! "$VENV/bin/python" -m pip install --disable-pip-version-check -q "$SPEC"; then
    skip_or_fail "pip install $SPEC failed (is the package registry reachable?)"
  fi
fi

# ---------------------------------------------------------------- simulator
if [ -n "${WEBRANA_BIN:-}" ]; then
  bin=$WEBRANA_BIN
else
  echo "==> cargo build -p webrana"
  cargo build -p webrana --bin webrana
  bin="$TARGET_DIR/debug/webrana"
fi

work=$(mktemp -d)
sim_pid=""
cleanup() {
  stop "$sim_pid"
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

port=$(free_port 39301)
env -i PATH="$PATH" LOG_LEVEL=warn PORT="$port" WEBRANA_HOST="$HOST" \
  DIGITALOCEAN_API_TOKEN="$TOKEN" SIM_ACTIVE_AFTER_SECONDS=1 SIM_SEED=7 \
  "$bin" simulate digitalocean >"$work/sim.log" 2>&1 &
sim_pid=$!
for ((i = 0; i < 150; i++)); do
  port_open "$HOST" "$port" && break
  kill -0 "$sim_pid" 2>/dev/null || { echo "error: the simulator exited" >&2; tail -n 20 "$work/sim.log" >&2; exit 1; }
  sleep 0.2
done
port_open "$HOST" "$port" || { echo "error: the simulator does not listen on $port" >&2; exit 1; }

echo "==> pydo against webrana simulate digitalocean on $HOST:$port"
status=0
"$VENV/bin/python" scripts/pydo_conformance.py --endpoint "http://$HOST:$port" --token "$TOKEN" || status=$?
if [ "$status" -ne 0 ]; then
  echo "the simulator's log:" >&2
  tail -n 20 "$work/sim.log" >&2
fi
echo "==> pydo conformance took $(($(date +%s) - started)) s"
exit "$status"
