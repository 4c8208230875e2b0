# Benchmarks (issue 6): `make bench` measures supervise against its peers and writes
# bench/results/latest.json, the tables in docs/benchmarks.md and docs/benchmarks-chart.svg.
# npm peers (pm2, throng) live in bench/package.json, never in the root package.
# Debian peers (unicorn, supervisor) are used when installed: `make bench-peers` installs them.

.PHONY: bench bench-install bench-peers

BENCH_ARGS ?=
SUDO ?= $(shell [ "$$(id -u)" = 0 ] || echo sudo)

bench/node_modules/.package-lock.json: bench/package.json bench/package-lock.json
	$(NPM) ci --prefix bench --no-audit --no-fund
	@touch $@

## Installs the npm peers of the benchmark (pm2, throng) into bench/node_modules.
bench-install: bench/node_modules/.package-lock.json

## Installs the Debian peers of the benchmark: Unicorn (Ruby) and supervisord.
bench-peers:
	$(SUDO) apt-get update
	$(SUDO) apt-get install -y unicorn supervisor

## Runs every system, one at a time, bounded to under 10 minutes; peers that are absent are listed as skipped, with why.
bench: build bench-install
	node bench/run.mjs $(BENCH_ARGS)
