#!/usr/bin/env bash
# Starts the sync server (with demo data on first run) and the rep's app in browser mode.
# Ctrl-C stops both.
set -euo pipefail
cd "$(dirname "$0")/.."
SERVER_PORT=${1:-8000}
CLIENT_PORT=${2:-8550}
PY=.venv/bin/python
export DATABASE_URL=${DATABASE_URL:-sqlite:///./data/routecrm.db}

mkdir -p data
$PY -m server seed-demo

pids=()
stop() { kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; }
trap stop EXIT INT TERM

$PY -m server serve --host 127.0.0.1 --port "$SERVER_PORT" &
pids+=($!)
$PY -m client --web --host 127.0.0.1 --port "$CLIENT_PORT" \
  --server "http://127.0.0.1:$SERVER_PORT" --data-dir data/client-demo &
pids+=($!)

cat <<MSG

  RouteCRM is running.
    Supervisor view:  http://127.0.0.1:$SERVER_PORT   (zhang.manager / demo1234)
    Rep's app:        http://127.0.0.1:$CLIENT_PORT   (li.rep, wang.rep or zhao.rep / demo1234)
  Ctrl-C stops both.

MSG
wait -n "${pids[@]}"
