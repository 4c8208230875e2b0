# Benchmarks (issue 6): `make bench` measures supervise against its peers and writes
# bench/results/latest.json, the tables in docs/benchmarks.md and docs/benchmarks-chart.svg.
# npm peers (pm2, throng) and the load generator (autocannon) live in bench/package.json, never in the root package.
# Debian peers (unicorn, supervisor) are used when installed: `make bench-peers` installs them.

.PHONY: bench bench-more bench-install bench-peers

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

## Runs the default measures (all but cold, http and seed) on every system, bounded to under 10 minutes; absent peers are listed as skipped, with why. Figures of measures not run are kept, with their own dates (--merge).
bench: build bench-install
	node bench/run.mjs --merge $(BENCH_ARGS)

## The measures make bench leaves out (cold boot/respawn side by side, HTTP against cluster, pm2 and Unicorn, the 256-loop seed scenario), merged into the same report; 8 minutes on a quiet machine, bounded at 25.
bench-more: build bench-install
	node bench/run.mjs --merge --measures cold,http,seed --budget 1500 $(BENCH_ARGS)
