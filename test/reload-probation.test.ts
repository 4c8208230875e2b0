// A reload never takes a healthy pool down: new code that loads but fails at run time stops the
// reload at the first id, whose new process is on probation; the other ids keep their old workers.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ErrorCode, Supervisor } from '../dist/index.js';
import { CLI, killStarted, startCli, tempDir, track, waitFor } from './helpers.js';

after(killStarted);

/** 50 ms tasks, each logged as {ev:'start', id, pid, t, code} to FIXTURE_LOG; CODE tells the versions apart. */
const GOOD = (code: string): string => `const { appendFileSync } = require('node:fs');
exports.workerStart = async (id) => {
  appendFileSync(process.env.FIXTURE_LOG, JSON.stringify({ ev: 'start', id, pid: process.pid, t: Date.now(), code: '${code}' }) + '\\n');
  await new Promise((r) => setTimeout(r, 50));
};
`;
/** Loads fine; its first task throws (a bad setting read at run time). */
const BROKEN = `function readSetting() {
  throw new Error('setting DATABASE_URL is not a URL');
}
exports.workerStart = async () => {
  readSetting();
};
`;

/** Task starts from the event file (a half-written last line is skipped). */
function starts(file: string): Array<{ id: number; pid: number; t: number; code: string }> {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .flatMap((line) => {
      try {
        return [JSON.parse(line) as { id: number; pid: number; t: number; code: string }];
      } catch {
        return [];
      }
    });
}

describe('reload probation', () => {
  it('HUP to code whose first task throws: the reload stops at worker 0, ctl reload exits 1, ids 1 and 2 keep their old workers', async () => {
    const tmp = tempDir();
    const app = join(tmp.dir, 'app.cjs');
    const events = join(tmp.dir, 'events');
    writeFileSync(app, GOOD('old'));
    const cli = startCli(['--app', app, '--workers', '3', '--poll', '1'], { env: { FIXTURE_LOG: events, DEBUG: '' } });
    try {
      await cli.waitForLog(/master ready/, 30_000);
      const before = cli.workerPids();
      writeFileSync(app, BROKEN);
      const reload = spawnSync(process.execPath, [CLI, 'ctl', 'reload', '--control', cli.controlPath], { encoding: 'utf8', timeout: 60_000 });
      assert.equal(reload.status, 1, `ctl reload exits 1: ${reload.stdout}${reload.stderr}`);
      assert.match(reload.stderr, /reload abandoned: worker\[0\] failed in a task: setting DATABASE_URL is not a URL with the new code; 1 ids moved, the rest keep the old code/);
      const line = await cli.waitForLog(/reload abandoned: worker\[0\] failed in a task: setting DATABASE_URL is not a URL with the new code; 1 ids moved, the rest keep the old code\n((?: {4}.*\n)+)/, 10_000);
      assert.match(line[1]!, /at readSetting \(.*app\.cjs:2:\d+\)/, 'the log shows the stack');
      assert.doesNotMatch(cli.stderr(), /reload done/);
      const abandonedAt = Date.now();
      // Ids 1 and 2: the same processes as before, still running the old code.
      await waitFor(() => {
        const later = starts(events).filter((e) => e.t > abandonedAt + 300);
        return [1, 2].every((id) => later.some((e) => e.id === id && e.pid === before.get(id) && e.code === 'old'));
      }, 45_000, 'ids 1 and 2 at work on their old processes');
      assert.equal(cli.workerPids().get(1), before.get(1));
      assert.equal(cli.workerPids().get(2), before.get(2));
      assert.doesNotMatch(cli.stderr(), /worker\[[12]\] (respawning|handed to new process)/, 'only worker 0 moved and backs off');
      cli.child.kill('SIGTERM');
      assert.equal((await cli.exited).code, 0);
    } finally {
      tmp.remove();
    }
  });

  it('reload() rejects with E_RELOAD; a reload to fixed code then moves every id', async () => {
    const tmp = tempDir();
    const app = join(tmp.dir, 'app.cjs');
    const events = join(tmp.dir, 'events');
    writeFileSync(app, GOOD('old'));
    const sv = new Supervisor({ app, workers: 2, quiet: true, env: { FIXTURE_LOG: events } });
    sv.on('fork', (w) => track(w.pid));
    try {
      await sv.start();
      writeFileSync(app, BROKEN);
      await assert.rejects(sv.reload(), (error: Error & { code?: string }) => error.code === ErrorCode.RELOAD && /worker\[0\] failed in a task/.test(error.message));
      writeFileSync(app, GOOD('new'));
      await sv.reload(); // fixed code: every id moves, worker 0 included
      const since = Date.now();
      await waitFor(() => [0, 1].every((id) => starts(events).some((e) => e.id === id && e.t > since && e.code === 'new')), 45_000, 'both ids on the new code');
    } finally {
      await sv.stop();
      tmp.remove();
    }
  });
});
