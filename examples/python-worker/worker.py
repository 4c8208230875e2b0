#!/usr/bin/env python3
"""A queue consumer in Python, run as a pool by supervise, speaking the notify protocol.

    make example-python-worker        # seeds 30 jobs, runs 4 copies until Ctrl-C
    python3 examples/python-worker/worker.py seed 30      # by hand: seed, then
    node dist/cli/supervise.cjs --workers 4 -- python3 examples/python-worker/worker.py work {id}

The queue is a directory (QUEUE_DIR, default examples/python-worker/queue): pending/ holds jobs,
a worker claims one by renaming it into claimed/<id>/ (atomic: two workers never get the same
job), works, writes done/<job> and removes its claim. At start a worker puts back what its id
had claimed (a previous process of the id was killed mid-job): ids are stable, so no job is lost.

Around each job it writes BUSY=1 and IDLE=1 to $SUPERVISE_NOTIFY_FD, then reads the answer:
STOP means a graceful stop (QUIT, a reload, TTOU, the master's death) is pending, so it exits
before taking another job. SIGTERM, the stop signal, also lets the current job finish.
"""
import hashlib, os, signal, socket, sys, time

QUEUE = os.environ.get("QUEUE_DIR", os.path.join(os.path.dirname(os.path.abspath(__file__)), "queue"))
PENDING, CLAIMED, DONE = (os.path.join(QUEUE, d) for d in ("pending", "claimed", "done"))


def seed(n):
    for d in (PENDING, CLAIMED, DONE):
        os.makedirs(d, exist_ok=True)
    for i in range(n):
        with open(os.path.join(PENDING, f"job-{i:04d}"), "w") as f:
            f.write(f"payload {i}\n")
    print(f"seeded {n} jobs in {PENDING}")


def work(wid):
    mine = os.path.join(CLAIMED, wid)
    os.makedirs(mine, exist_ok=True)
    os.makedirs(DONE, exist_ok=True)
    for name in os.listdir(mine):  # a previous process of this id died mid-job: put it back
        os.rename(os.path.join(mine, name), os.path.join(PENDING, name))

    stopping = False

    def on_term(signum, frame):
        nonlocal stopping
        stopping = True  # finish the current job, then exit

    signal.signal(signal.SIGTERM, on_term)
    fd = os.environ.get("SUPERVISE_NOTIFY_FD")
    notify = socket.socket(fileno=int(fd)) if fd else None
    answers = notify.makefile("r") if notify else None

    def say(line):
        if notify:
            notify.sendall(line.encode() + b"\n")

    say("READY=1")
    while not stopping:
        job = claim(mine)
        if job is None:
            say("STATUS=idle: queue empty")
            time.sleep(0.5)
            continue
        say("BUSY=1")
        say(f"STATUS=working on {os.path.basename(job)}")
        with open(job) as f:
            payload = f.read()
        time.sleep(0.5)  # the real work
        digest = hashlib.sha256(payload.encode()).hexdigest()
        tmp = os.path.join(DONE, f".{os.path.basename(job)}.{wid}")
        with open(tmp, "w") as f:
            f.write(f"{digest} worker={wid} pid={os.getpid()}\n")
        os.rename(tmp, os.path.join(DONE, os.path.basename(job)))
        os.unlink(job)
        print(f"worker {wid}: {os.path.basename(job)} done", flush=True)
        say("IDLE=1")
        if answers and answers.readline().strip() == "STOP":
            break
    print(f"worker {wid}: stopping between jobs", flush=True)


def claim(mine):
    for name in sorted(os.listdir(PENDING)):
        try:
            os.rename(os.path.join(PENDING, name), os.path.join(mine, name))
            return os.path.join(mine, name)
        except FileNotFoundError:
            continue  # another worker took it first
    return None


if __name__ == "__main__":
    if sys.argv[1:2] == ["seed"]:
        seed(int(sys.argv[2]) if len(sys.argv) > 2 else 30)
    elif sys.argv[1:2] == ["work"] and len(sys.argv) > 2:
        work(sys.argv[2])
    else:
        sys.exit("usage: worker.py seed [N] | worker.py work <id>")
