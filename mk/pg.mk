# The PostgreSQL job-queue example (examples/postgres-queue): `make pg-example`.
PG_EXAMPLE := examples/postgres-queue

.PHONY: pg-install pg-example

$(PG_EXAMPLE)/node_modules/.package-lock.json: $(PG_EXAMPLE)/package.json $(PG_EXAMPLE)/package-lock.json
	$(NPM) ci --prefix $(PG_EXAMPLE) --no-audit --no-fund
	@touch $@

## Installs the example's own dependency (pg) in examples/postgres-queue/node_modules.
pg-install: $(PG_EXAMPLE)/node_modules/.package-lock.json

## Starts a throwaway PostgreSQL, runs two supervise masters as two hosts on one job queue, prints
## throughput and the integrity report, and stops everything. JOBS, WORKERS, JOB_MS tune it.
pg-example: build pg-install
	bash $(PG_EXAMPLE)/scripts/run-example.sh
