#!/bin/sh
# A shell job loop run as a pool by supervise, speaking the notify protocol.
#
#   make example-shell-worker          # seeds 20 jobs, runs 3 copies until Ctrl-C
#   examples/shell-worker/worker.sh seed 20      # by hand: seed, then
#   node dist/cli/supervise.cjs --workers 3 -- examples/shell-worker/worker.sh work {id}
#
# Jobs are files in $QUEUE_DIR/pending (default examples/shell-worker/queue); a worker claims one
# with mv into claimed/<id>/ (atomic), "works" (counts its words, sleeps a second), moves it to
# done/. BUSY=1/IDLE=1 go to $SUPERVISE_NOTIFY_FD; after IDLE=1 it reads the answer and exits on
# STOP, so a graceful stop or a reload (HUP) never cuts a job. TERM also finishes the job first.
set -u
queue=${QUEUE_DIR:-$(dirname "$0")/queue}
case "${1:-}" in
  seed)
    mkdir -p "$queue/pending" "$queue/claimed" "$queue/done"
    i=0
    while [ "$i" -lt "${2:-20}" ]; do echo "job number $i" > "$queue/pending/job-$i"; i=$((i + 1)); done
    echo "seeded ${2:-20} jobs in $queue/pending"
    exit 0 ;;
  work) id=${2:?usage: worker.sh work <id>} ;;
  *) echo "usage: worker.sh seed [N] | worker.sh work <id>" >&2; exit 2 ;;
esac

mine="$queue/claimed/$id"
mkdir -p "$mine" "$queue/done"
# A previous process of this id died mid-job: put its claim back.
for job in "$mine"/*; do [ -e "$job" ] && mv "$job" "$queue/pending/"; done

say() { [ -n "${SUPERVISE_NOTIFY_FD:-}" ] && echo "$1" >&"$SUPERVISE_NOTIFY_FD"; }
stopping=0
trap 'stopping=1' TERM

while [ "$stopping" = 0 ]; do
  job=""
  for candidate in "$queue"/pending/*; do
    [ -e "$candidate" ] || break
    if mv "$candidate" "$mine/" 2>/dev/null; then job="$mine/$(basename "$candidate")"; break; fi
  done
  if [ -z "$job" ]; then sleep 1 & wait $!; continue; fi
  say BUSY=1
  say "STATUS=working on $(basename "$job")"
  words=$(wc -w < "$job")
  sleep 1 & while kill -0 $! 2>/dev/null; do wait $!; done   # the real work, whole even on TERM
  mv "$job" "$queue/done/"
  echo "worker $id: $(basename "$job") done ($words words)"
  say IDLE=1
  if [ -n "${SUPERVISE_NOTIFY_FD:-}" ]; then
    read -r answer <&"$SUPERVISE_NOTIFY_FD"
    [ "$answer" = STOP ] && break
  fi
done
echo "worker $id: stopping between jobs"
