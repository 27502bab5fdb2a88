# shellcheck shell=bash
# Sourced by scripts/test.sh, bench/auth.sh and bench/catalog.sh. Starts the local PostgreSQL and Redis when they
# are down (the same commands `webrana dev` uses) and waits until they accept connections, so the
# scripts work on a fresh machine where nothing has been started yet.

# True when something accepts TCP connections on host:port.
port_open() {
  (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null
}

# pg_ctlcluster must run as root or postgres; a developer without root may have passwordless sudo.
as_root() {
  if [ "$(id -u)" -eq 0 ]; then
    "$@"
  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    sudo -n "$@"
  else
    "$@"
  fi
}

# wait_until SECONDS DESCRIPTION COMMAND...: retries COMMAND every 0.2 s.
wait_until() {
  local seconds=$1 what=$2 i
  shift 2
  for ((i = 0; i < seconds * 5; i++)); do
    if "$@" >/dev/null 2>&1; then
      return 0
    fi
    sleep 0.2
  done
  echo "error: $what not ready after ${seconds}s" >&2
  return 1
}

ensure_postgres() {
  if ! port_open 127.0.0.1 5432; then
    local version
    # shellcheck disable=SC2012 # version directories are plain numbers
    version=$(ls /etc/postgresql 2>/dev/null | sort -V | tail -n 1)
    if [ -z "$version" ]; then
      echo "error: PostgreSQL is not running on 127.0.0.1:5432 and no cluster exists under /etc/postgresql" >&2
      return 1
    fi
    echo "==> starting PostgreSQL $version"
    as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start
  fi
  wait_until 30 "PostgreSQL on 127.0.0.1:5432" port_open 127.0.0.1 5432
  # An open port is not enough: during startup or recovery the server refuses queries.
  if command -v pg_isready >/dev/null 2>&1; then
    wait_until 30 "PostgreSQL (pg_isready)" pg_isready -q -h 127.0.0.1 -p 5432
  fi
}

ensure_redis() {
  if ! port_open 127.0.0.1 6379; then
    echo "==> starting Redis (keeps nothing on disk)"
    redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no >/dev/null
  fi
  wait_until 30 "Redis on 127.0.0.1:6379" port_open 127.0.0.1 6379
}
