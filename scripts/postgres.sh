#!/usr/bin/env bash
# A PostgreSQL server of its own in a folder, for the team store (`lookout --store URL`, README
# "Team deployment") and its tests: initdb into DIR, the server on 127.0.0.1:PORT and a socket
# in DIR, run as a non-root user (PostgreSQL refuses root: as root it runs as `postgres`, the
# user Debian's package creates). Trust authentication on 127.0.0.1 and the socket only.
#
# Usage: scripts/postgres.sh bin                       print the folder of initdb/pg_ctl/postgres
#        scripts/postgres.sh start DIR [--port N] [--fast]
#                                                      initdb (first time) and start; prints the
#                                                      store URL once the server accepts queries
#        scripts/postgres.sh stop DIR                  stop it (immediate: the tests' clusters
#                                                      are thrown away)
#        scripts/postgres.sh url DIR                   the URL of a started server
#
# --port: default a free port. --fast: fsync and synchronous commits off (tests; never for
# data you keep). Environment: LOOKOUT_PG_BIN (the folder of the server binaries).
set -euo pipefail

say() { echo "postgres.sh: $*" >&2; }

# The folder of the server binaries: $LOOKOUT_PG_BIN, else the newest Debian install, else
# pg_config's.
bindir() {
  if [[ -n "${LOOKOUT_PG_BIN:-}" ]]; then
    [[ -x "$LOOKOUT_PG_BIN/initdb" ]] || { say "no initdb in LOOKOUT_PG_BIN=$LOOKOUT_PG_BIN"; return 1; }
    echo "$LOOKOUT_PG_BIN"; return 0
  fi
  local d
  d="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)"
  if [[ -n "$d" && -x "$d/initdb" ]]; then echo "$d"; return 0; fi
  if command -v pg_config >/dev/null 2>&1 && [[ -x "$(pg_config --bindir)/initdb" ]]; then
    pg_config --bindir; return 0
  fi
  say "PostgreSQL's server binaries are not installed (\`scripts/setup-test.sh postgres\` installs them when root)"
  return 1
}

# Runs a command as the server's user: ourselves, or `postgres` when we are root.
as_owner() {
  if [[ "$(id -u)" == 0 ]]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

start() {
  local dir="$1"; shift
  local port="" fast=0
  while [[ $# -gt 0 ]]; do
    case "$1" in
      --port) port="$2"; shift 2 ;;
      --fast) fast=1; shift ;;
      *) say "unknown option $1"; exit 2 ;;
    esac
  done
  local bin; bin="$(bindir)"
  mkdir -p "$dir"
  dir="$(cd "$dir" && pwd)"
  if [[ "$(id -u)" == 0 ]]; then
    id postgres >/dev/null 2>&1 || { say "running as root needs the \`postgres\` user (Debian's postgresql package makes it)"; return 1; }
    chown postgres "$dir"
  fi
  if [[ ! -f "$dir/data/PG_VERSION" ]]; then
    as_owner "$bin/initdb" -D "$dir/data" -U lookout -A trust -E UTF8 --locale=C --no-sync >"$dir/initdb.log" 2>&1 \
      || { cat "$dir/initdb.log" >&2; return 1; }
  fi
  [[ -n "$port" ]] || port="$(free_port)"
  local opts="-c listen_addresses=127.0.0.1 -p $port -k $dir"
  if [[ "$fast" == 1 ]]; then
    opts="$opts -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
  fi
  as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -o "$opts" -w -t 60 start >/dev/null \
    || { tail -n 20 "$dir/server.log" >&2; return 1; }
  echo "$port" >"$dir/port"
  # The database lookout uses; the server is ready for queries once this answers.
  as_owner "$bin/psql" -h "$dir" -p "$port" -U lookout -d postgres -qAt \
    -c "SELECT 1 FROM pg_database WHERE datname = 'lookout'" | grep -q 1 \
    || as_owner "$bin/createdb" -h "$dir" -p "$port" -U lookout lookout
  url "$dir"
}

url() {
  local dir="$1"
  [[ -f "$dir/port" ]] || { say "no server started in $dir"; return 1; }
  echo "postgres://lookout@127.0.0.1:$(cat "$dir/port")/lookout"
}

stop() {
  local dir="$1" bin; bin="$(bindir)"
  [[ -f "$dir/data/postmaster.pid" ]] || return 0
  as_owner "$bin/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null
}

case "${1:-}" in
  bin) bindir ;;
  start) [[ $# -ge 2 ]] || { sed -n '2,16p' "$0" >&2; exit 2; }; shift; start "$@" ;;
  stop) [[ $# -ge 2 ]] || { sed -n '2,16p' "$0" >&2; exit 2; }; stop "$2" ;;
  url) [[ $# -ge 2 ]] || { sed -n '2,16p' "$0" >&2; exit 2; }; url "$2" ;;
  *) sed -n '2,16p' "$0" >&2; exit 2 ;;
esac
