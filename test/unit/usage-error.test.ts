/** explainUsageError: yargs' usage errors rewritten as one line, with a did-you-mean. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { explainUsageError, miscasedFlag, unknownEnvOption } from '../../dist/cli/usage-error.js';

const FLAGS = ['app', 'workers', 'poll', 'preload', 'grace', 'node-arg', 'quiet', 'log-format'];

describe('explainUsageError', () => {
  it('suggests the nearest flag for a misspelt one', () => {
    assert.equal(explainUsageError('Unknown argument: wokers', FLAGS), 'unknown option --wokers (did you mean --workers?)');
  });

  it('strips leading dashes from the unknown argument', () => {
    assert.equal(explainUsageError('Unknown argument: --gracee', FLAGS), 'unknown option --gracee (did you mean --grace?)');
  });

  it('explains each of several unknown arguments, in order', () => {
    assert.equal(
      explainUsageError('Unknown arguments: wokers, pol', FLAGS),
      'unknown option --wokers (did you mean --workers?); unknown option --pol (did you mean --poll?)',
    );
  });

  it('gives no suggestion for a name far from every flag', () => {
    assert.equal(explainUsageError('Unknown argument: frobnicate', FLAGS), 'unknown option --frobnicate');
    assert.equal(explainUsageError('Unknown argument: xyz', FLAGS), 'unknown option --xyz');
  });

  it('turns a flag without its value into "missing value for --flag"', () => {
    assert.equal(explainUsageError('Not enough arguments following: app', FLAGS), 'missing value for --app');
  });

  it('folds any other multi-line message into one line', () => {
    assert.equal(explainUsageError('Something broke\n  in two places\n', FLAGS), 'Something broke; in two places');
  });

  it('returns a one-line message it does not know unchanged', () => {
    assert.equal(explainUsageError('Arguments app and poll are mutually exclusive', FLAGS), 'Arguments app and poll are mutually exclusive');
  });
});

describe('miscasedFlag', () => {
  it('finds an all-capital flag, which yargs would lowercase into a silent alias', () => {
    assert.equal(miscasedFlag(['--app', 'a.js', '--MAX-TASKS', 'abc'], ['app', 'max-tasks']), 'MAX-TASKS');
    assert.equal(miscasedFlag(['--LOG-FORMAT=json'], FLAGS), 'LOG-FORMAT');
  });

  it('takes the flags as listed and their camelCase spellings, and ignores values and what follows --', () => {
    assert.equal(miscasedFlag(['--log-format', 'JSON', '--logFormat=json', '--nodeArg=--X', 'POSITIONAL', '--', '--LATER'], FLAGS), undefined);
  });
});

const ENV_FLAGS = [...FLAGS, 'max-tasks'];

describe('unknownEnvOption', () => {
  it('accepts the variables of known flags, and other variables', () => {
    assert.equal(unknownEnvOption({ SUPERVISE_WORKERS: '2', SUPERVISE_MAX_TASKS: '9', SUPERVISE_LOG_FORMAT: 'json', PATH: '/bin', SUPERVISOR: 'x' }, ENV_FLAGS), undefined);
  });

  it('names a SUPERVISE_* variable that is no flag, with the nearest one', () => {
    assert.equal(unknownEnvOption({ SUPERVISE_MAX_TAKS: '9' }, ENV_FLAGS), 'unknown environment variable SUPERVISE_MAX_TAKS (did you mean SUPERVISE_MAX_TASKS?): every SUPERVISE_* variable is read as an option');
    assert.equal(unknownEnvOption({ SUPERVISE_ZZZZZZZZ: '1' }, ENV_FLAGS), 'unknown environment variable SUPERVISE_ZZZZZZZZ: every SUPERVISE_* variable is read as an option');
  });
});
