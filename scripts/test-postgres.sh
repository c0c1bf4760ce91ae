#!/usr/bin/env bash
# Runs the server's integration tests on PostgreSQL:
#   scripts/test-postgres.sh [pytest options] [test paths]     (default path: tests/integration)
#
# With ROUTECRM_TEST_DATABASE_URL already set, the tests run on that database (its tables are dropped and
# made again by the tests: never point it at data you keep). Otherwise the script
#   - installs Debian `postgresql` with apt-get if no PostgreSQL server is found (needs root),
#   - makes a throwaway cluster in a temp dir (initdb; as the `postgres` user when run as root, since
#     PostgreSQL refuses to run as root), listening only on a unix socket inside that dir (no TCP port,
#     so nothing can collide with another cluster or service), with fsync off (nothing here must survive),
#   - creates a database, runs pytest with ROUTECRM_TEST_DATABASE_URL pointing at it,
#   - stops the cluster and removes the dir at exit, whatever happened.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
# Without a test path among the arguments, run tests/integration.
paths=0
for arg in "$@"; do [[ ! -e ${arg%%::*} ]] || paths=1; done
[[ $paths -eq 1 ]] || set -- tests/integration "$@"

if [[ -n ${ROUTECRM_TEST_DATABASE_URL:-} ]]; then
  exec "$PY" -m pytest "$@"
fi

find_bindir() {
  local dir
  # Debian keeps the server binaries off PATH, one folder per major version: take the newest.
  dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  if [[ -n $dir && -x $dir/initdb && -x $dir/pg_ctl ]]; then
    echo "$dir"
  elif command -v initdb >/dev/null && command -v pg_ctl >/dev/null; then
    dirname "$(command -v pg_ctl)"
  fi
}

BINDIR=$(find_bindir)
if [[ -z $BINDIR ]]; then
  if [[ $EUID -ne 0 ]]; then
    echo "PostgreSQL is not installed and installing it needs root: apt-get install postgresql" >&2
    exit 1
  fi
  echo "Installing Debian postgresql (apt-get)..."
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql >/dev/null
  BINDIR=$(find_bindir)
  [[ -n $BINDIR ]] || { echo "apt-get installed postgresql but no initdb/pg_ctl was found" >&2; exit 1; }
fi

# As root, the cluster belongs to `postgres` (the Debian package makes that user); otherwise to us.
if [[ $EUID -eq 0 ]]; then
  id postgres >/dev/null 2>&1 || useradd --system --home-dir /nonexistent --shell /usr/sbin/nologin postgres
  as_owner() { runuser -u postgres -- "$@"; }
  DB_USER=postgres
else
  as_owner() { "$@"; }
  DB_USER=$(id -un)
fi

# Short path: a unix socket path must stay under ~100 bytes.
TMP=$(mktemp -d /tmp/routecrm-pg.XXXXXX)
chmod 0755 "$TMP"
mkdir "$TMP/data" "$TMP/socket"
[[ $EUID -ne 0 ]] || chown -R postgres: "$TMP"

cleanup() {
  local status=$?
  if [[ -f $TMP/data/postmaster.pid ]]; then
    as_owner "$BINDIR/pg_ctl" -D "$TMP/data" -m immediate -w stop >/dev/null 2>&1 || true
  fi
  rm -rf "$TMP"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

started_ms=$(($(date +%s%N) / 1000000))
as_owner "$BINDIR/initdb" -D "$TMP/data" --username="$DB_USER" --auth=trust --encoding=UTF8 --locale=C \
  --no-sync >"$TMP/initdb.log" 2>&1 || { cat "$TMP/initdb.log" >&2; exit 1; }
as_owner "$BINDIR/pg_ctl" -D "$TMP/data" -l "$TMP/server.log" -w -t 60 start \
  -o "-c listen_addresses='' -c unix_socket_directories='$TMP/socket' -c fsync=off -c synchronous_commit=off \
-c full_page_writes=off -c max_connections=200" >/dev/null || { cat "$TMP/server.log" >&2; exit 1; }
as_owner "$BINDIR/createdb" -h "$TMP/socket" -U "$DB_USER" routecrm_test
echo "PostgreSQL $("$BINDIR/postgres" --version | awk '{print $3}') ready in $(($(date +%s%N) / 1000000 - started_ms)) ms" \
  "(socket in $TMP/socket)"

export ROUTECRM_TEST_DATABASE_URL="postgresql+psycopg://$DB_USER@/routecrm_test?host=$TMP/socket"
"$PY" -m pytest "$@"
