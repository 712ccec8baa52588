#!/usr/bin/env bash
# Start a throwaway PostgreSQL server for the registry's tests; prints the URL to export as
# ILRS_TEST_POSTGRES_URL. Usage: .ci/postgres.sh start DIR PORT | stop DIR
set -euo pipefail
action=$1 dir=$2
bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
if [ -z "$bindir" ]; then
  # Install it (Debian) when the machine has none.
  apt-get install -y -q postgresql >/dev/null 2>&1 || { apt-get update -q >/dev/null && apt-get install -y -q postgresql >/dev/null; }
  bindir=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
fi
run() { if [ "$(id -u)" = 0 ]; then (cd / && runuser -u postgres -- "$@"); else "$@"; fi; }
case $action in
  start)
    port=$3
    mkdir -p "$dir" && { [ "$(id -u)" != 0 ] || chown postgres "$dir"; }
    run "$bindir/initdb" -D "$dir/data" -U postgres -A trust >/dev/null
    run "$bindir/pg_ctl" -D "$dir/data" -l "$dir/log" -w \
      -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off" start >/dev/null
    echo "postgresql+psycopg://postgres@127.0.0.1:$port/postgres"
    ;;
  stop)
    run "$bindir/pg_ctl" -D "$dir/data" -m fast stop >/dev/null || true
    ;;
esac
