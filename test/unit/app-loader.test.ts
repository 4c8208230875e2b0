/** resolveAppPath and loadApp on fixture apps of every supported and broken shape. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadApp, resolveAppPath } from '../../dist/shared/app-loader.cjs';
import { ErrorCode, SuperviseError } from '../../dist/shared/errors.cjs';
import { FIXTURES, fixture } from './fakes.js';

/** Asserts that `promise` rejects with a SuperviseError of `code` whose message matches `pattern`. */
async function rejectsWith(promise: Promise<unknown>, code: string, pattern: RegExp): Promise<SuperviseError> {
  let caught: unknown;
  await assert.rejects(promise, (error: unknown) => {
    caught = error;
    return true;
  });
  assert.ok(caught instanceof SuperviseError, `not a SuperviseError: ${String(caught)}`);
  assert.equal(caught.code, code);
  assert.match(caught.message, pattern);
  assert.ok(!caught.message.includes('\n'), `message is not one line: ${caught.message}`);
  return caught;
}

describe('resolveAppPath', () => {
  it('keeps an absolute path of an existing file', () => {
    assert.equal(resolveAppPath(fixture('app.cjs'), '/nonexistent'), fixture('app.cjs'));
  });

  it('resolves a relative path against cwd', () => {
    assert.equal(resolveAppPath('esm.mjs', FIXTURES), fixture('esm.mjs'));
  });

  it('throws E_APP_NOT_FOUND for a missing file, naming the absolute path', () => {
    assert.throws(
      () => resolveAppPath('missing.js', FIXTURES),
      (e: unknown) => e instanceof SuperviseError && e.code === ErrorCode.APP_NOT_FOUND && e.message.includes(fixture('missing.js')),
    );
  });

  it('throws E_APP_NOT_FOUND for a directory', () => {
    assert.throws(
      () => resolveAppPath('.', FIXTURES),
      (e: unknown) => e instanceof SuperviseError && e.code === ErrorCode.APP_NOT_FOUND && /not a file/.test(e.message),
    );
  });
});

describe('loadApp', () => {
  it('loads a CommonJS app with its hooks', async () => {
    const app = await loadApp(fixture('app.cjs'));
    assert.equal(typeof app.workerStart, 'function');
    assert.equal(typeof app.beforeFork, 'function');
    assert.equal(typeof app.afterFork, 'function');
  });

  it('loads an ESM app with named exports', async () => {
    const app = await loadApp(fixture('esm.mjs'));
    assert.equal(typeof app.workerStart, 'function');
    assert.equal(typeof app.afterFork, 'function');
    assert.equal(app.beforeFork, undefined);
  });

  it('loads an ESM app whose functions are on the default export', async () => {
    const app = await loadApp(fixture('default-export.mjs'));
    assert.equal(typeof app.workerStart, 'function');
    assert.equal(typeof app.afterFork, 'function');
  });

  it('rejects an app without workerStart with E_APP_EXPORTS', async () => {
    await rejectsWith(loadApp(fixture('no-worker-start.mjs')), ErrorCode.APP_EXPORTS, /does not export a workerStart function/);
  });

  it('rejects a hook that is not a function with E_APP_EXPORTS naming the hook and its type', async () => {
    await rejectsWith(loadApp(fixture('unit-hook-not-function.cjs')), ErrorCode.APP_EXPORTS, /afterFork as a number/);
  });

  it('rejects a beforeExit that is not a function, as it does the other hooks', async () => {
    await rejectsWith(loadApp(fixture('unit-before-exit-not-function.mjs')), ErrorCode.APP_EXPORTS, /beforeExit as a string/);
  });

  it("rejects an app that throws while loading with E_APP_LOAD, the app's message, and the error as cause", async () => {
    const error = await rejectsWith(loadApp(fixture('throws-on-load.cjs')), ErrorCode.APP_LOAD, /cannot reach the config server/);
    assert.ok(error.cause instanceof Error);
    assert.equal(error.cause.message, 'cannot reach the config server');
  });

  it('rejects an app that does not parse with E_APP_LOAD and the SyntaxError as cause', async () => {
    const error = await rejectsWith(loadApp(fixture('syntax-error.mjs')), ErrorCode.APP_LOAD, /failed to load/);
    assert.ok(error.cause instanceof SyntaxError, `cause is ${String(error.cause)}`);
  });

  it(
    'explains that a TypeScript app needs a loader',
    { skip: (process.features as { typescript?: unknown }).typescript ? 'this Node strips types itself' : false },
    async () => {
      await rejectsWith(loadApp(fixture('unit-typescript.ts')), ErrorCode.APP_LOAD, /--node-arg=--import=<loader>/);
    },
  );
});
