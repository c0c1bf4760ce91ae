#!/usr/bin/env bash
# The product with demo data: `scripts/run.sh [all|server|app|stop-server] [SERVER_PORT] [CLIENT_PORT]`.
#   all          the sync server (demo data on first run) and the rep's app in browser mode; either may stop
#                (or be stopped, to see offline work) while the other goes on; Ctrl-C stops both.
#   server       the sync server alone, in the foreground (brings it back after stop-server).
#   app          the rep's app alone, in the foreground.
#   stop-server  stops the server that `all` or `server` started (its pid is kept in data/server.pid).
set -euo pipefail
cd "$(dirname "$0")/.."
WHAT=${1:-all}
SERVER_PORT=${2:-8000}
CLIENT_PORT=${3:-8550}
PY=.venv/bin/python
export DATABASE_URL=${DATABASE_URL:-sqlite:///./data/routecrm.db}
SERVER_PID=data/server.pid
mkdir -p data

serve() { # starts the server in the background; its pid in $server_pid and data/server.pid
  $PY -m server seed-demo
  $PY -m server serve --host 127.0.0.1 --port "$SERVER_PORT" &
  server_pid=$!
  echo "$server_pid" >"$SERVER_PID"
}

app() {
  exec $PY -m client --web --host 127.0.0.1 --port "$CLIENT_PORT" \
    --server "http://127.0.0.1:$SERVER_PORT" --data-dir data/client-demo
}

case "$WHAT" in
  server)
    serve
    trap 'kill "$server_pid" 2>/dev/null || true' INT TERM
    wait "$server_pid" || true
    rm -f "$SERVER_PID"
    ;;
  app)
    app
    ;;
  stop-server)
    if [[ -f $SERVER_PID ]] && kill "$(cat "$SERVER_PID")" 2>/dev/null; then
      rm -f "$SERVER_PID"
      echo "server stopped: the rep's app goes on offline; 'make server' brings the server back"
    else
      echo "no server started by make run / make server is running"
    fi
    ;;
  all)
    serve
    pids=("$server_pid")
    app &
    pids+=($!)
    stop() { kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; rm -f "$SERVER_PID"; }
    trap stop INT TERM
    cat <<MSG

  RouteCRM is running.
    Supervisor view:  http://127.0.0.1:$SERVER_PORT   (zhang.manager / demo1234)
    Rep's app:        http://127.0.0.1:$CLIENT_PORT   (li.rep, wang.rep or zhao.rep / demo1234)
  To see offline work: 'make stop-server' in another terminal, work in the app (the sync bar says 离线 and
  counts the writes waiting), then 'make server' there: the app syncs by itself.
  Ctrl-C stops both.

MSG
    wait || true # until both have ended: one side stopping leaves the other running
    ;;
  *)
    echo "usage: scripts/run.sh [all|server|app|stop-server] [SERVER_PORT] [CLIENT_PORT]" >&2
    exit 2
    ;;
esac
