#!/usr/bin/env bash
# Starts a throwaway PostgreSQL for the example and its test: Debian's binaries (installed with
# apt-get when missing), a fresh data directory under a temp dir, 127.0.0.1 on a free port, trust
# auth. Prints two shell assignments on stdout, for `eval "$(pg-up.sh)"`:
#   DATABASE_URL=postgres://postgres@127.0.0.1:<port>/postgres
#   PG_DIR=<temp dir>          (give it to pg-down.sh to stop the server and remove everything)
# Everything else goes to stderr. Exit 77 means "cannot run here" (no PostgreSQL and no way to
# install it): callers skip rather than fail.
set -euo pipefail

log() { echo "pg-up: $*" >&2; }

# The newest Debian PostgreSQL bin directory, or nothing.
find_bindir() {
  local dir
  dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  if [[ -n "$dir" && -x "$dir/initdb" ]]; then echo "$dir"; fi
}

# Runs apt-get, waiting (up to 5 min) while another apt-get holds its locks; DPkg::Lock::Timeout
# covers dpkg's lock but not the lists lock `update` takes.
apt_retry() {
  local deadline=$((SECONDS + 300)) out
  until out=$(apt-get -o DPkg::Lock::Timeout=120 "$@" 2>&1); do
    if ! grep -qE 'Could not get lock|Unable to lock' <<<"$out" || ((SECONDS > deadline)); then
      printf '%s\n' "$out" >&2
      return 1
    fi
    sleep 2
  done
  printf '%s\n' "$out" >&2
}

BINDIR=$(find_bindir)
if [[ -z "$BINDIR" ]]; then
  if [[ $(id -u) -ne 0 ]] || ! command -v apt-get >/dev/null; then
    log "PostgreSQL is not installed and apt-get cannot install it here (needs root and apt-get)"
    exit 77
  fi
  log "installing PostgreSQL from Debian's packages (apt-get)"
  export DEBIAN_FRONTEND=noninteractive
  # make check runs test files two at a time: another one may be installing (chromium) right now.
  apt_retry update -qq
  apt_retry install -y -qq postgresql
  BINDIR=$(find_bindir)
  if [[ -z "$BINDIR" ]]; then log "apt-get ran but no initdb under /usr/lib/postgresql/*/bin"; exit 1; fi
fi

# PostgreSQL refuses to run as root: as root, run it as the `postgres` user the package creates.
if [[ $(id -u) -eq 0 ]]; then
  if ! id postgres >/dev/null 2>&1; then log "running as root but there is no postgres user"; exit 1; fi
  as_pg() { runuser -u postgres -- "$@"; }
else
  as_pg() { "$@"; }
fi

PG_DIR=$(mktemp -d "${TMPDIR:-/tmp}/supervise-pg.XXXXXX")
mkdir -p "$PG_DIR/sock"
if [[ $(id -u) -eq 0 ]]; then chown -R postgres: "$PG_DIR"; fi

# A free TCP port on loopback: bind port 0, read what the kernel chose, let it go.
PORT=$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')

# cd somewhere postgres can read, or runuser warns about the current directory.
cd "$PG_DIR"
as_pg "$BINDIR/initdb" -D "$PG_DIR/data" -U postgres -A trust -E UTF8 --no-sync >"$PG_DIR/initdb.log" 2>&1 ||
  { cat "$PG_DIR/initdb.log" >&2; rm -rf "$PG_DIR"; exit 1; }
if ! as_pg "$BINDIR/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t 30 \
  -o "-p $PORT -c listen_addresses=127.0.0.1 -k $PG_DIR/sock -c max_connections=100" start >&2; then
  cat "$PG_DIR/server.log" >&2 || true
  rm -rf "$PG_DIR"
  exit 1
fi
log "PostgreSQL $("$BINDIR/postgres" --version | awk '{print $3}') on 127.0.0.1:$PORT, data in $PG_DIR"
echo "DATABASE_URL=postgres://postgres@127.0.0.1:$PORT/postgres"
echo "PG_DIR=$PG_DIR"
