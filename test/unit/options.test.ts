/**
 * resolveOptions / integerOption: defaults, accepted forms, one E_OPTION line per bad value that
 * names the flag and quotes the value, and unknown keys refused with a did-you-mean.
 */
import assert from 'node:assert/strict';
import { relative } from 'node:path';
import { describe, it } from 'node:test';
import { ErrorCode, SuperviseError } from '../../dist/shared/errors.cjs';
import { KNOWN_OPTIONS, integerOption, resolveOptions, type SupervisorOptions } from '../../dist/shared/options.js';
import { FIXTURES, fixture } from './fakes.js';

const APP = fixture('app.cjs');

/** Asserts that resolving `options` throws an E_OPTION naming `flag` and containing `quoted`. */
function rejectsOption(options: Record<string, unknown>, flag: string, quoted: string): void {
  assert.throws(
    () => resolveOptions({ app: APP, ...options } as unknown as SupervisorOptions),
    (error: unknown) => {
      assert.ok(error instanceof SuperviseError, `not a SuperviseError: ${String(error)}`);
      assert.equal(error.code, ErrorCode.OPTION);
      assert.ok(error.message.includes(`--${flag}`), `message does not name --${flag}: ${error.message}`);
      assert.ok(error.message.includes(quoted), `message does not quote ${quoted}: ${error.message}`);
      assert.ok(!error.message.includes('\n'), 'message is not one line');
      return true;
    },
  );
}

describe('resolveOptions', () => {
  it('applies the defaults: 1 worker, poll 30 s, grace 5 s, human log lines', () => {
    const o = resolveOptions({ app: APP });
    assert.equal(o.workers, 1);
    assert.equal(o.poll, 30);
    assert.equal(o.grace, 5);
    assert.equal(o.logFormat, 'human');
    assert.equal(o.preload, false);
    assert.equal(o.quiet, false);
    assert.equal(o.handleSignals, false);
    assert.deepEqual(o.nodeArgs, []);
    assert.deepEqual(o.env, {});
    assert.equal(o.cwd, process.cwd());
  });

  it('refuses a numeric string, naming the type mistake (the CLI converts; only JS passes one)', () => {
    for (const [key, flag, value] of [['workers', 'workers', '4'], ['poll', 'poll', '0.5'], ['grace', 'grace', '0'], ['bootTimeout', 'boot-timeout', '2.5']] as const) {
      rejectsOption({ [key]: value }, flag, `"${value}" is a string, not a number`);
    }
  });

  it('refuses an unknown key with a did-you-mean, as the CLI refuses an unknown flag', () => {
    assert.throws(() => resolveOptions({ app: APP, wokers: 3 } as unknown as SupervisorOptions), (error: unknown) => {
      assert.ok(error instanceof SuperviseError);
      assert.equal(error.code, ErrorCode.OPTION);
      assert.equal(error.message, 'unknown option wokers (did you mean workers?)');
      return true;
    });
    assert.throws(() => resolveOptions({ app: APP, bootTimeOut: 3 } as unknown as SupervisorOptions), { code: ErrorCode.OPTION, message: 'unknown option bootTimeOut (did you mean bootTimeout?)' });
    assert.throws(() => resolveOptions({ app: APP, zzzzzzzz: 1 } as unknown as SupervisorOptions), { code: ErrorCode.OPTION, message: 'unknown option zzzzzzzz' });
  });

  it('knows every option: each key of KNOWN_OPTIONS is accepted (undefined: absent)', () => {
    const all = Object.fromEntries(KNOWN_OPTIONS.map((key) => [key, undefined]));
    assert.equal(resolveOptions({ ...all, app: APP } as unknown as SupervisorOptions).workers, 1);
  });

  for (const [options, flag, quoted] of [
    [{ workers: null }, 'workers', 'null'],
    [{ spares: [1] }, 'spares', '[1] is not a whole number'],
    [{ quiet: 1 }, 'quiet', '1'],
    [{ handleSignals: 'true' }, 'handle-signals', '"true"'],
    [{ env: { A: 1 } }, 'env', '{"A":1} is not an object of strings'],
    [{ env: 'A=1' }, 'env', '"A=1"'],
    [{ logStream: 'stderr' }, 'log-stream', '"stderr"'],
    [{ pidFile: 7 }, 'pid-file', '7'],
    [{ user: true }, 'user', 'true'],
  ] as const) {
    it(`refuses a value of the wrong type: ${JSON.stringify(options)}`, () => rejectsOption(options, flag, quoted));
  }

  it('keeps valid values as given', () => {
    const o = resolveOptions({ app: APP, workers: 3, poll: 1, grace: 2, logFormat: 'json', preload: true, quiet: true, nodeArgs: ['--no-warnings'] });
    assert.deepEqual(
      [o.workers, o.poll, o.grace, o.logFormat, o.preload, o.quiet, o.nodeArgs],
      [3, 1, 2, 'json', true, true, ['--no-warnings']],
    );
  });

  for (const [value, quoted] of [
    [0, '0'],
    [-1, '-1'],
    [1.5, '1.5'],
    ['abc', '"abc"'],
    ['', '""'],
    [true, 'true'],
    [Number.NaN, 'NaN'],
  ] as const) {
    it(`rejects workers ${quoted}`, () => rejectsOption({ workers: value }, 'workers', quoted));
  }

  for (const [value, quoted] of [
    [0, '0'],
    [-1, '-1'],
    ['x', '"x"'],
    [Number.POSITIVE_INFINITY, 'Infinity'],
  ] as const) {
    it(`rejects poll ${quoted}`, () => rejectsOption({ poll: value }, 'poll', quoted));
  }

  it('rejects grace -1 but accepts grace 0 (SIGKILL at once)', () => {
    rejectsOption({ grace: -1 }, 'grace', '-1');
    assert.equal(resolveOptions({ app: APP, grace: 0 }).grace, 0);
  });

  it('bootTimeout: 60 s by default, 0 for no limit, a negative or non-number rejected', () => {
    assert.equal(resolveOptions({ app: APP }).bootTimeout, 60);
    assert.equal(resolveOptions({ app: APP, bootTimeout: 0 }).bootTimeout, 0);
    rejectsOption({ bootTimeout: -1 }, 'boot-timeout', '-1');
    rejectsOption({ bootTimeout: 'soon' }, 'boot-timeout', '"soon"');
  });

  it('rejects logFormat "xml"', () => rejectsOption({ logFormat: 'xml' }, 'log-format', '"xml"'));

  it('rejects a preload that is not a boolean', () => rejectsOption({ preload: 'yes' }, 'preload', '"yes"'));

  it('rejects nodeArgs that are not a list of strings', () => rejectsOption({ nodeArgs: [1] }, 'node-arg', '1'));

  for (const app of [undefined, '', '   ']) {
    it(`rejects a missing app (${JSON.stringify(app)}) with E_OPTION naming --app`, () => {
      assert.throws(
        () => resolveOptions({ app } as unknown as SupervisorOptions),
        (error: unknown) => error instanceof SuperviseError && error.code === ErrorCode.OPTION && error.message.includes('--app'),
      );
    });
  }

  it('rejects an app file that does not exist with E_APP_NOT_FOUND naming the path', () => {
    const missing = fixture('no-such-app.js');
    assert.throws(
      () => resolveOptions({ app: missing }),
      (error: unknown) => error instanceof SuperviseError && error.code === ErrorCode.APP_NOT_FOUND && error.message.includes(missing),
    );
  });

  it('rejects an app that is a directory with E_APP_NOT_FOUND', () => {
    assert.throws(
      () => resolveOptions({ app: FIXTURES }),
      (error: unknown) => error instanceof SuperviseError && error.code === ErrorCode.APP_NOT_FOUND && /not a file/.test(error.message),
    );
  });

  it('resolves a relative app against the given cwd', () => {
    assert.equal(resolveOptions({ app: 'app.cjs', cwd: FIXTURES }).app, APP);
    assert.equal(resolveOptions({ app: './app.cjs', cwd: FIXTURES }).app, APP);
  });

  it('resolves a relative app against process.cwd() when no cwd is given', () => {
    assert.equal(resolveOptions({ app: relative(process.cwd(), APP) }).app, APP);
  });

  it('resolves the app before looking at other options, so a missing app is the error reported', () => {
    assert.throws(
      () => resolveOptions({ app: fixture('no-such-app.js'), workers: 0 }),
      (error: unknown) => error instanceof SuperviseError && error.code === ErrorCode.APP_NOT_FOUND,
    );
  });
});

describe('integerOption', () => {
  it('returns the fallback when the value is absent', () => {
    assert.equal(integerOption('workers', undefined, 7, 1), 7);
  });

  it('accepts 0 when the minimum is 0, and says "whole number" when rejecting', () => {
    assert.equal(integerOption('workers', 0, 1, 0), 0);
    assert.throws(() => integerOption('workers', -1, 1, 0), /invalid --workers: -1 is not a whole number/);
  });

  it('says "positive integer" when the minimum is 1', () => {
    assert.throws(() => integerOption('workers', 0, 1, 1), /invalid --workers: 0 is not a positive integer/);
  });

  it('rejects integers beyond the safe range', () => {
    assert.throws(() => integerOption('workers', 2 ** 53, 1, 1), (e: unknown) => e instanceof SuperviseError && e.code === ErrorCode.OPTION);
  });
});
