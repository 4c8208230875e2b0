/** The CLI's usage errors: yargs' rewritten as one line with a did-you-mean, and the checks yargs cannot word. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { explainUsageError, miscasedFlag, unknownEnvOption } from '../../dist/cli/usage-error.js';
import { lastOfRepeated, nodeArgMisuse, numeric } from '../../dist/cli/argv-checks.js';
import { ctlCommandMistake } from '../../dist/cli/client.js';

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

describe('explainUsageError with what was typed', () => {
  const ALL = [...FLAGS, 'pid-file', 'spares'];
  it('reads a bare file name as a forgotten --app', () => {
    assert.equal(explainUsageError('Unknown argument: app.js', ALL, ['app.js']), 'unexpected argument "app.js" (did you mean --app app.js?)');
    assert.equal(explainUsageError('Unknown argument: ./jobs/run', ALL, ['--workers', '2', './jobs/run']), 'unexpected argument "./jobs/run" (did you mean --app ./jobs/run?)');
  });

  it('reads a misspelt command as one, and any other bare word as a stray argument', () => {
    assert.equal(explainUsageError('Unknown argument: stauts', ALL, ['stauts']), 'unknown command "stauts" (did you mean status?)');
    assert.equal(explainUsageError('Unknown argument: extra', ALL, ['--app', 'a.js', 'extra']), 'unexpected argument "extra": every option is a --flag (see supervise --help)');
  });

  it('says there are no one-letter options, suggesting the flags of that letter', () => {
    assert.equal(explainUsageError('Unknown argument: w', ALL, ['-w', '4']), 'unknown option -w: supervise has no one-letter options but -h and -v (did you mean --workers?)');
    assert.equal(explainUsageError('Unknown argument: p', ALL, ['-p']), 'unknown option -p: supervise has no one-letter options but -h and -v (did you mean --poll, --preload or --pid-file?)');
    assert.equal(explainUsageError('Unknown argument: z', ALL, ['-z']), 'unknown option -z: supervise has no one-letter options but -h and -v');
  });

  it('still treats a long flag as a long flag', () => {
    assert.equal(explainUsageError('Unknown argument: wokers', ALL, ['--wokers=2']), 'unknown option --wokers (did you mean --workers?)');
  });
});

describe('nodeArgMisuse, lastOfRepeated, numeric', () => {
  it('names --node-arg followed by a separate dash word, and nothing else', () => {
    assert.equal(
      nodeArgMisuse(['--app', 'a.js', '--node-arg', '--max-old-space-size=64']),
      '--node-arg takes node\'s flag after "=": --node-arg=--max-old-space-size=64 (a separate "--max-old-space-size=64" is read as an option of supervise)',
    );
    assert.equal(nodeArgMisuse(['--node-arg=--max-old-space-size=64', '--node-arg', 'x']), undefined);
    assert.equal(nodeArgMisuse(['--', '--node-arg', '--x']), undefined);
  });

  it('keeps the last value of a flag given twice, and every value of a repeatable one', () => {
    assert.deepEqual(lastOfRepeated({ _: ['a', 'b'], workers: [2, 3], app: 'x', 'node-arg': ['--a', '--b'] }, ['node-arg']), { _: ['a', 'b'], workers: 3, app: 'x', 'node-arg': ['--a', '--b'] });
  });

  it('makes numeric words numbers and leaves anything else as given', () => {
    assert.deepEqual([numeric('4'), numeric(' 2.5 '), numeric(3), numeric('abc'), numeric(''), numeric(undefined)], [4, 2.5, 3, 'abc', '', undefined]);
  });
});

describe('ctlCommandMistake', () => {
  const COMMANDS = 'the commands are reload, scale <n>, pause, resume, stop [--graceful], reopen-logs, upgrade';
  it('names an unknown command in one line, with the likeliest one', () => {
    assert.equal(ctlCommandMistake(['ctl', 'restart']), `unknown ctl command "restart" (did you mean reload?); ${COMMANDS}`);
    assert.equal(ctlCommandMistake(['ctl', 'relaod', '--pid-file', 'x']), `unknown ctl command "relaod" (did you mean reload?); ${COMMANDS}`);
    assert.equal(ctlCommandMistake(['ctl', 'frobnicate']), `unknown ctl command "frobnicate"; ${COMMANDS}`);
    assert.equal(ctlCommandMistake(['ctl', 'status']), 'status is a command of its own: supervise status');
    assert.equal(ctlCommandMistake(['ctl']), 'ctl needs a command: reload, scale <n>, pause, resume, stop [--graceful], reopen-logs, upgrade');
  });

  it('passes the known commands, help, and status', () => {
    for (const argv of [['ctl', 'reload'], ['ctl', 'scale', '3'], ['ctl', '--help'], ['status', '--json'], ['ctl', '--pid-file', 'x', 'stop']]) assert.equal(ctlCommandMistake(argv), undefined, argv.join(' '));
  });
});
