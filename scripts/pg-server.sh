#!/usr/bin/env bash
# Starts a throwaway PostgreSQL 15 server on 127.0.0.1 and a free port, as a non-root user (postgres
# refuses to run as root), and prints `export TEST_DATABASE_URL=...` for the caller to eval.
#   eval "$(scripts/pg-server.sh start)"   ...   scripts/pg-server.sh stop
set -euo pipefail

state_file="${PK_PG_STATE:-/tmp/practicekit-pg.state}"

find_bin() {
  local dir
  for dir in /usr/lib/postgresql/*/bin; do
    [ -x "$dir/pg_ctl" ] && { echo "$dir"; return 0; }
  done
  return 1
}

# A server this script started earlier and that still answers is reused, so several shells share one.
running_url() {
  [ -f "$state_file" ] || return 1
  # shellcheck disable=SC1090
  . "$state_file"
  "$bindir/pg_isready" -q -h 127.0.0.1 -p "$port" || return 1
  echo "export TEST_DATABASE_URL=postgres://postgres@127.0.0.1:$port/postgres"
}

start() {
  running_url && return 0
  local bindir
  if ! bindir=$(find_bin); then
    echo "PostgreSQL binaries not found; installing them" >&2
    apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
    bindir=$(find_bin)
  fi
  local run_as="" owner
  owner=$(id -un)
  if [ "$(id -u)" = "0" ]; then
    id -u pkci >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin pkci
    run_as="runuser -u pkci --"
    owner=pkci
  fi
  local dir port
  dir=$(mktemp -d /tmp/practicekit-pg.XXXXXX)
  chown "$owner" "$dir"
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
  $run_as "$bindir/initdb" -D "$dir/data" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 >/dev/null
  $run_as "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" start >/dev/null
  printf 'dir=%q\nport=%q\nbindir=%q\nrun_as=%q\n' "$dir" "$port" "$bindir" "$run_as" > "$state_file"
  echo "export TEST_DATABASE_URL=postgres://postgres@127.0.0.1:$port/postgres"
}

stop() {
  [ -f "$state_file" ] || return 0
  # shellcheck disable=SC1090
  . "$state_file"
  $run_as "$bindir/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
  rm -rf "$dir" "$state_file"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
