# The examples, each run in the foreground until Ctrl-C (see the comment at the top of each app file).
.PHONY: example-integrity example-embed example-typescript example-http

## File job queue: seeds 40 jobs into examples/integrity/out/ (or $INTEGRITY_DIR), runs 4 workers; worker 0 checks.
example-integrity: build
	node examples/integrity/seed.js 40
	node dist/cli/supervise.cjs --app examples/integrity/app.js --workers 4 --poll 1

## HTTP server embedding a pool: GET / for its state, POST /scale?n=3 to resize (PORT=8080 to fix the port).
example-embed: build
	node examples/embed/server.js

## TypeScript app: compiled with the repo's tsc into examples/typescript/dist/, run with 2 workers.
example-typescript: build
	npx tsc -p examples/typescript
	node dist/cli/supervise.cjs --app examples/typescript/dist/app.js --workers 2 --poll 1

## The smallest server: examples/http/server.js (plain node:http) on 4 workers sharing 127.0.0.1:$${PORT:-8080}.
example-http: build
	PORT=$${PORT:-8080} node dist/cli/supervise.cjs --app examples/http/server.js --workers 4 --listen 127.0.0.1:$${PORT:-8080}

# examples/express keeps express in its own package.json and lockfile, installed from the npm registry here.
examples/express/node_modules/.package-lock.json: examples/express/package.json examples/express/package-lock.json
	$(NPM) ci --prefix examples/express --no-audit --no-fund
	@touch $@

.PHONY: example-express example-express-test
## An unchanged Express app on 4 workers sharing 127.0.0.1:$${PORT:-8080} (installs express into examples/express first).
example-express: build examples/express/node_modules/.package-lock.json
	PORT=$${PORT:-8080} node dist/cli/supervise.cjs --app examples/express/server.js --workers 4 --listen 127.0.0.1:$${PORT:-8080}

## The Express example's test: installs express (network), then runs it; `make check` skips it until then.
example-express-test: build-test examples/express/node_modules/.package-lock.json
	node --test dist-test/example-express.test.js
