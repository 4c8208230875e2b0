# Any program as a pool (supervise -- <program> [args…]): examples in Python and shell.
.PHONY: example-python-worker example-shell-worker bench-programs

## Python queue consumer speaking the notify protocol: seeds 30 jobs, runs 4 copies (QUIT: finish jobs and exit).
example-python-worker: build
	python3 examples/python-worker/worker.py seed 30
	node dist/cli/supervise.cjs --workers 4 --poll 1 -- python3 examples/python-worker/worker.py work {id}

## Shell job loop speaking the notify protocol: seeds 20 jobs, runs 3 copies (HUP: reload, no job cut).
example-shell-worker: build
	examples/shell-worker/worker.sh seed 20
	node dist/cli/supervise.cjs --workers 3 --poll 1 -- examples/shell-worker/worker.sh work {id}

## supervise -- <program> against supervisord on the same shell job loop (needs `make bench-peers`).
bench-programs: build
	node bench/programs.mjs --workers 4
