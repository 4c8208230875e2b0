# The examples, each run in the foreground until Ctrl-C (see the comment at the top of each app file).
.PHONY: example-integrity example-embed example-typescript example-http

## File job queue: seeds 40 jobs into examples/integrity/out/ (or $INTEGRITY_DIR), runs 4 workers; worker 0 checks.
example-integrity: build
	node examples/integrity/seed.js 40
	node dist/cli/main.js --app examples/integrity/app.js --workers 4 --poll 1

## HTTP server embedding a pool: GET / for its state, POST /scale?n=3 to resize (PORT=8080 to fix the port).
example-embed: build
	node examples/embed/server.js

## TypeScript app: compiled with the repo's tsc into examples/typescript/dist/, run with 2 workers.
example-typescript: build
	npx tsc -p examples/typescript
	node dist/cli/main.js --app examples/typescript/dist/app.js --workers 2 --poll 1

## The smallest server: examples/http/server.js (plain node:http) on 4 workers sharing 127.0.0.1:$${PORT:-8080}.
example-http: build
	PORT=$${PORT:-8080} node dist/cli/main.js --app examples/http/server.js --workers 4 --listen 127.0.0.1:$${PORT:-8080}
