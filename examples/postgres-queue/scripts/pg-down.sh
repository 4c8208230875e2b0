#!/usr/bin/env bash
# Stops the PostgreSQL that pg-up.sh started in PG_DIR (first argument) and removes the directory.
# Safe to call twice, or on a directory whose server already died.
set -uo pipefail

PG_DIR=${1:?usage: pg-down.sh PG_DIR (as printed by pg-up.sh)}
case "$PG_DIR" in
  */supervise-pg.*) ;;
  *) echo "pg-down: refusing to remove $PG_DIR: not a directory pg-up.sh made" >&2; exit 2 ;;
esac
[[ -d "$PG_DIR" ]] || exit 0

PIDFILE="$PG_DIR/data/postmaster.pid"
if [[ -f "$PIDFILE" ]]; then
  PID=$(head -n 1 "$PIDFILE")
  # Immediate shutdown: the data is thrown away anyway. The postmaster takes its children with it.
  kill -QUIT "$PID" 2>/dev/null || true
  for _ in $(seq 1 100); do
    kill -0 "$PID" 2>/dev/null || break
    sleep 0.1
  done
  kill -KILL "$PID" 2>/dev/null || true
fi
rm -rf "$PG_DIR"
