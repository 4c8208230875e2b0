# Reliability (issue 5): the fault suite of test/reliability runs short in `make check`; `make soak`
# runs it at the issue's full sizes and writes the figures to soak/results/latest.json, which
# docs/reliability.md summarises.
.PHONY: soak

SOAK_RESULTS ?= soak/results

## Runs the long reliability suite (10,000 respawns, 1,000 signals in 20 s, 50 master deaths per stdio mode, 500 fuzz cases; about 15 minutes) and writes soak/results/latest.json.
soak: build-test
	@rm -rf $(SOAK_RESULTS)/parts; mkdir -p $(SOAK_RESULTS)
	@started=$$(date +%s%3N); \
	RELIABILITY_SCALE=full RELIABILITY_RESULTS=$(SOAK_RESULTS)/parts \
	  node --test --test-concurrency=1 --test-timeout=1800000 dist-test/reliability/; status=$$?; \
	node soak/collect.mjs $(SOAK_RESULTS)/parts $(SOAK_RESULTS)/latest.json $$started $$status; \
	exit $$status
