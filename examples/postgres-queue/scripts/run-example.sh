#!/usr/bin/env bash
# The whole example, as `make pg-example` runs it: a throwaway PostgreSQL, JOBS jobs, two supervise
# masters side by side standing for two hosts (host-a, host-b) on the same DATABASE_URL, one job
# worker of host-b killed mid-job to show worker 0 recovering its lease, then the throughput and the
# integrity report. Stops everything it started, whatever happens.
#
# Settings (environment): JOBS (2000), WORKERS per host (4: worker 0 checks, 1..3 work), JOB_MS (20),
# LEASE_SECONDS (2), CHAOS (1: kill one worker mid-job; 0: don't).
set -euo pipefail

HERE=$(cd "$(dirname "$0")/.." && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
CLI="$ROOT/dist/cli/supervise.cjs"
JOBS=${JOBS:-2000}
WORKERS=${WORKERS:-4}
CHAOS=${CHAOS:-1}
export JOB_MS=${JOB_MS:-20} LEASE_SECONDS=${LEASE_SECONDS:-2} CHECK_EVERY_MS=${CHECK_EVERY_MS:-500}

[[ -f "$CLI" ]] || { echo "run-example: $CLI is missing: run 'make build' first" >&2; exit 1; }
[[ -d "$HERE/node_modules/pg" ]] || { echo "run-example: pg is missing: npm ci --prefix $HERE" >&2; exit 1; }

MASTERS=()
PG_DIR=

# Stops whatever this script started: the masters (and so their workers), then PostgreSQL.
cleanup() {
  for pid in "${MASTERS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${MASTERS[@]}"; do
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  done
  if [[ -n "$PG_DIR" ]]; then "$HERE/scripts/pg-down.sh" "$PG_DIR"; fi
}
trap cleanup EXIT

# A SQL query's single value, through psql (Debian's postgresql package brings it).
sql() { psql "$DATABASE_URL" -XAtqc "$1"; }

eval "$("$HERE/scripts/pg-up.sh")"
export DATABASE_URL
node "$HERE/scripts/load-jobs.mjs" "$JOBS"

# Two "hosts": in production each is a machine or a pod running the same command.
for host in host-a host-b; do
  HOST_NAME=$host node "$CLI" --app "$HERE/app.js" --workers "$WORKERS" --poll 1 --grace 5 \
    > >(sed -u "s/^/[$host] /") 2>&1 &
  MASTERS+=("$!")
done

if [[ "$CHAOS" == 1 ]]; then
  # Once a quarter of the jobs are done, SIGKILL a host-b worker that holds a job: its lease runs
  # out, worker 0 (of whichever host holds the checker lock) re-queues the job, someone redoes it.
  for _ in $(seq 1 600); do
    [[ $(sql "SELECT count(*) >= $JOBS / 4 FROM jobs WHERE state = 'done'") == t ]] && break
    sleep 0.1
  done
  victim=$(sql "SELECT claimed_by_pid || ' ' || id FROM jobs WHERE state = 'claimed' AND claimed_by_host = 'host-b' AND claimed_by_worker > 0 LIMIT 1")
  if [[ -n "$victim" ]]; then
    echo "run-example: SIGKILL host-b worker pid=${victim% *} in the middle of job ${victim#* }" >&2
    kill -KILL "${victim% *}" || true
  fi
fi

node "$HERE/scripts/wait-drained.mjs" 120
# Graceful stop, as `systemctl stop` with KillSignal=SIGQUIT would do: each worker ends its task.
for pid in "${MASTERS[@]}"; do kill -QUIT "$pid"; done
for pid in "${MASTERS[@]}"; do
  for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
done
echo
node "$HERE/scripts/report.mjs"
