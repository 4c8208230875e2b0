// --log-dir: a file per worker and master.log, written without pipes through the master (so a
// worker's output survives its master), rotation by size without a lost or split line, and USR2
// (or `ctl reopen-logs`) for an external logrotate.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { completeLines, fixture, isAlive, killStarted, runCli, startCli, tempDir, track, waitFor } from './helpers.js';

after(killStarted);

const LINE = /^w(\d+) p(\d+) n(\d+) x+\.$/;

/** Every line of every file in `dir` whose name starts with `prefix`, oldest file first. */
function linesOf(dir: string, prefix: string): string[] {
  const files = readdirSync(dir).filter((f) => f === prefix || f.startsWith(`${prefix}.`));
  const age = (f: string): number => (f === prefix ? 0 : Number(f.slice(prefix.length + 1)) || 0);
  files.sort((a, b) => age(b) - age(a));
  return files.flatMap((f) => readFileSync(join(dir, f), 'utf8').split('\n').filter((l) => l !== ''));
}

/** Checks that `lines` hold, for each pid, the whole numbered sequence 1..max once, each line whole. */
function assertNoLineLost(lines: string[]): Map<number, number> {
  const seen = new Map<number, number[]>();
  for (const line of lines) {
    const m = LINE.exec(line);
    assert.ok(m, `a whole line: ${JSON.stringify(line)}`);
    const pid = Number(m[2]);
    seen.set(pid, [...(seen.get(pid) ?? []), Number(m[3])]);
  }
  const max = new Map<number, number>();
  for (const [pid, numbers] of seen) {
    const sorted = [...numbers].sort((a, b) => a - b);
    assert.deepEqual(sorted, Array.from({ length: sorted.length }, (_, i) => i + 1), `pid ${pid}: every line once, none lost`);
    max.set(pid, sorted.length);
  }
  return max;
}

describe('--log-dir', () => {
  it('gives each worker its own file and the master master.log; output survives the master', async () => {
    const tmp = tempDir();
    const dir = join(tmp.dir, 'logs');
    const cli = startCli(['--app', fixture('chatty.cjs'), '--workers', '2', '--poll', '1', '--log-dir', dir], { env: { TASK_MS: '300' } });
    await waitFor(() => existsSync(join(dir, 'master.log')) && /master ready/.test(readFileSync(join(dir, 'master.log'), 'utf8')), 45_000, 'master ready in master.log');
    assert.match(cli.stderr(), new RegExp(`^\\S+ supervise\\[${cli.pid}\\]: logging to ${dir} \\(master.log, worker-<id>.log\\)\\n$`), 'one line says where; the rest go to master.log');
    const masterLog = readFileSync(join(dir, 'master.log'), 'utf8');
    const pids = new Map([...masterLog.matchAll(/worker\[(\d+)\] spawned pid=(\d+)/g)].map((m) => [Number(m[1]), Number(m[2])]));
    for (const pid of pids.values()) track(pid);
    await waitFor(() => [0, 1].every((id) => existsSync(join(dir, `worker-${id}.log`)) && readFileSync(join(dir, `worker-${id}.log`), 'utf8').includes('n2 ')), 45_000, 'two lines per worker');
    for (const id of [0, 1]) {
      // The workers are still writing: only complete lines count (the last may be half-written).
      for (const line of completeLines(join(dir, `worker-${id}.log`))) assert.match(line, new RegExp(`^w${id} p${pids.get(id)} `));
    }
    // The master dies; each worker finishes its task (300 ms) and exits; what it wrote is kept.
    const before = linesOf(dir, 'worker-0.log').length;
    process.kill(cli.pid, 'SIGKILL');
    await waitFor(() => [...pids.values()].every((pid) => !isAlive(pid)), 45_000, 'workers gone after their task');
    assert.ok(linesOf(dir, 'worker-0.log').length >= before);
    assertNoLineLost(linesOf(dir, 'worker-0.log'));
    tmp.remove();
  });

  it('rotates by size without losing or splitting a line (even lines written in pieces)', async () => {
    const tmp = tempDir();
    const dir = join(tmp.dir, 'logs');
    const cli = startCli(
      ['--app', fixture('chatty.cjs'), '--workers', '2', '--poll', '1', '--log-dir', dir, '--log-max-bytes', '4000', '--log-backups', '200'],
      { env: { TASK_MS: '5', LINES: '3', PARTIAL: '1' } },
    );
    await waitFor(() => existsSync(dir) && readdirSync(dir).filter((f) => f.startsWith('worker-0.log.')).length >= 3, 45_000, 'three rotations of worker-0.log');
    cli.child.kill('SIGQUIT');
    assert.equal((await cli.exited).code, 0);
    for (const id of [0, 1]) {
      const counts = assertNoLineLost(linesOf(dir, `worker-${id}.log`));
      assert.equal(counts.size, 1, `one process wrote worker-${id}.log; master.log:\n${readFileSync(join(dir, 'master.log'), 'utf8')}`);
      assert.ok([...counts.values()][0]! > 100, 'many lines written');
    }
    assert.ok(readFileSync(join(dir, 'master.log'), 'utf8').includes('master stopped'));
    tmp.remove();
  });

  it('USR2 and ctl reopen-logs move the writers to fresh files after logrotate renamed them', async () => {
    const tmp = tempDir();
    const dir = join(tmp.dir, 'logs');
    const cli = startCli(['--app', fixture('chatty.cjs'), '--workers', '1', '--poll', '1', '--log-dir', dir, '--log-max-bytes', '0'], { env: { TASK_MS: '10' } });
    const file = join(dir, 'worker-0.log');
    await waitFor(() => existsSync(file) && readFileSync(file, 'utf8').length > 200, 45_000, 'lines in worker-0.log');
    renameSync(file, `${file}.moved-1`);
    renameSync(join(dir, 'master.log'), join(dir, 'master.log.moved-1'));
    process.kill(cli.pid, 'SIGUSR2');
    await waitFor(() => existsSync(file) && readFileSync(file, 'utf8').length > 200, 45_000, 'a fresh worker-0.log written to');
    assert.match(readFileSync(join(dir, 'master.log'), 'utf8'), /log files reopened/);

    renameSync(file, `${file}.moved-2`);
    const ctl = await runCli(['ctl', 'reopen-logs'], { env: { XDG_RUNTIME_DIR: join(cli.controlPath, '..') } });
    assert.equal(ctl.code, 0, ctl.stderr);
    await waitFor(() => existsSync(file) && readFileSync(file, 'utf8').length > 200, 45_000, 'a fresh worker-0.log again');
    cli.child.kill('SIGTERM');
    assert.equal((await cli.exited).code, 0);
    const lines = ['moved-1', 'moved-2'].flatMap((suffix) => readFileSync(`${file}.${suffix}`, 'utf8').split('\n')).concat(readFileSync(file, 'utf8').split('\n')).filter((l) => l !== '');
    assertNoLineLost(lines);
    tmp.remove();
  });

  it('refuses a log directory it cannot create, in one line', async () => {
    const result = await runCli(['--app', fixture('app.cjs'), '--log-dir', '/proc/no-such-dir/logs']);
    assert.equal(result.code, 2, 'a bad value: exit 2');
    assert.match(result.stderr, /^supervise: cannot write --log-dir \/proc\/no-such-dir\/logs: .+\n$/);
    assert.doesNotMatch(result.stderr, /\n\s+at /);
  });
});
