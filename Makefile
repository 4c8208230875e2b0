# supervise: `make run` runs examples/basic with 4 workers; `make check` installs, builds and tests.
SHELL := /bin/bash
NPM ?= npm

.PHONY: all install build build-test run check test clean pack

all: build

# Each area (bench, examples, soak, …) keeps its targets in its own file.
-include mk/*.mk

node_modules/.package-lock.json: package.json package-lock.json
	$(NPM) ci --no-audit --no-fund
	@touch $@

install: node_modules/.package-lock.json

build: install
	npx tsc -p tsconfig.json
	chmod +x dist/cli/supervise.cjs

build-test: build
	npx tsc -p test/tsconfig.json

## Runs the bundled basic example with 4 workers until Ctrl-C (TERM/INT: quick stop; QUIT: graceful).
run: build
	node dist/cli/supervise.cjs --app examples/basic/app.js --workers 4 --poll 1

# The test files, listed: Node 22+ reads `node --test <arg>` as a glob, so a bare directory finds nothing there.
# Expanded when a recipe runs, after build-test wrote them.
TEST_FILES = $(shell find dist-test -name '*.test.js' | sort)
# A bound per test file (and test), not a timing: on a loaded CI machine a file of thirty CLI runs
# takes over two minutes, and every wait inside a test has its own bound of 10-30 s.
NODE_TEST = node --test --test-concurrency=2 --test-timeout=600000

## Installs, builds and runs every test (unit and real-process).
check: build-test
	$(NODE_TEST) $(TEST_FILES)

test: check

pack: build
	$(NPM) pack

clean:
	rm -rf dist dist-test *.tgz
