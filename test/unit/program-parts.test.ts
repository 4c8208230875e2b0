/** The pure parts of running a program: {id} expansion, the PATH lookup, the program options. */
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { SuperviseError } from '../../dist/shared/errors.cjs';
import { resolveOptions, type SupervisorOptions } from '../../dist/shared/options.js';
import { findProgram } from '../../dist/master/program-check.js';
import { expandId } from '../../dist/worker/program.cjs';

const dir = mkdtempSync(join(tmpdir(), 'supervise-prog-'));
after(() => rmSync(dir, { recursive: true, force: true }));
writeFileSync(join(dir, 'runs'), '#!/bin/sh\n');
chmodSync(join(dir, 'runs'), 0o755);
writeFileSync(join(dir, 'plain'), 'not a program\n');

describe('expandId', () => {
  it('replaces every {id}, writes {{id}} as a literal {id}, leaves other braces', () => {
    assert.equal(expandId('w{id}-{id}', 3), 'w3-3');
    assert.equal(expandId('{{id}} is {id}', 7), '{id} is 7');
    assert.equal(expandId('{ids} {x} {', 1), '{ids} {x} {');
  });
});

describe('findProgram', () => {
  it('searches PATH like execvp, skipping non-executable files', () => {
    assert.equal(findProgram('runs', '/', `/nonexistent:${dir}`), join(dir, 'runs'));
    assert.equal(findProgram('sh', '/', '/usr/bin:/bin').endsWith('/sh'), true);
  });

  it('takes a name with a slash relative to cwd', () => {
    assert.equal(findProgram('./runs', dir, ''), join(dir, 'runs'));
  });

  it('names a missing, a non-executable and a directory program in one line', () => {
    const line = (f: () => unknown): string => {
      try {
        f();
      } catch (error) {
        assert.ok(error instanceof SuperviseError);
        assert.ok(!error.message.includes('\n'));
        return error.message;
      }
      throw new Error('did not throw');
    };
    assert.equal(line(() => findProgram('nope-xyz', '/', dir)), 'program "nope-xyz" not found on PATH');
    assert.match(line(() => findProgram('plain', '/', dir)), /^program "plain" is not executable/);
    assert.match(line(() => findProgram('./plain', dir, '')), /^program "\.\/plain" is not executable \(chmod \+x/);
    assert.match(line(() => findProgram(dir, '/', '')), /is not a file$/);
  });
});

describe('program options', () => {
  it('defaults: TERM, 10 s, exit code 0; signals in any case, with or without SIG', () => {
    const o = resolveOptions({ command: ['sh'] });
    assert.deepEqual([o.stopSignal, o.stopWait, o.exitCodes, o.app], ['SIGTERM', 10, [0], 'sh']);
    assert.equal(resolveOptions({ command: ['sh'], stopSignal: 'quit' }).stopSignal, 'SIGQUIT');
    assert.equal(resolveOptions({ command: ['sh'], stopSignal: 'SIGUSR2' }).stopSignal, 'SIGUSR2');
    assert.deepEqual(resolveOptions({ command: ['sh'], exitCodes: ['0,3'] as unknown as number[] }).exitCodes, [0, 3]);
  });

  it('refuses an app and a command together, program options with an app, --preload with a command, bad values', () => {
    const app = join(dir, 'runs');
    assert.throws(() => resolveOptions({ app, command: ['sh'] } as unknown as SupervisorOptions), /give either --app .* or a program after --/);
    assert.throws(() => resolveOptions({ app, stopWait: 3 }), /--stop-wait applies only to a program/);
    assert.throws(() => resolveOptions({ command: ['sh'], preload: true }), /--preload/);
    assert.throws(() => resolveOptions({ command: ['sh'], stopSignal: 'NOPE' }), /invalid --stop-signal: "NOPE"/);
    assert.throws(() => resolveOptions({ command: ['sh'], exitCodes: [300] }), /invalid --exit-codes/);
    assert.throws(() => resolveOptions({ command: [] }), /invalid --command/);
  });
});
