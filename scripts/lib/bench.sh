# shellcheck shell=bash
# Sourced by the bench/*.sh scripts after scripts/lib/services.sh, with HOST set (always
# 127.0.0.1): the helpers every load test needs.

# psql_admin ARGS…: psql against the server's postgres database, quiet, stopping at an error.
psql_admin() {
  PGOPTIONS='--client-min-messages=warning' psql -X -q -v ON_ERROR_STOP=1 -h "$HOST" -U postgres -d postgres "$@"
}

# stop PID: SIGTERM and wait (the services drain in-flight requests), if it still runs.
stop() {
  local pid=$1
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  fi
}

# free_port FROM: the first port from FROM on that nothing listens on.
free_port() {
  local candidate
  for candidate in $(seq "$1" $(($1 + 99))); do
    if ! port_open "$HOST" "$candidate"; then
      echo "$candidate"
      return 0
    fi
  done
  echo "error: no free port in $1-$(($1 + 99))" >&2
  return 1
}
