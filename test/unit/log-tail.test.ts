/** The dashboard's log tail on a real file: the last lines, then what is appended, whole lines only, across a rotation and a truncation. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, renameSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readLogTail } from '../../dist/services/log-tail.js';

describe('readLogTail', () => {
  it('tails, follows, waits for a whole line, and starts again after a rotation or a truncation', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'log-tail-'));
    try {
      const file = join(dir, 'worker-0.log');
      const missing = await readLogTail(file, undefined);
      assert.deepEqual([missing.missing, missing.lines], [true, []]);

      writeFileSync(file, Array.from({ length: 500 }, (_, i) => `line ${i}\n`).join(''));
      const first = await readLogTail(file, missing.cursor);
      assert.equal(first.lines.length, 200, 'the last 200 lines');
      assert.equal(first.lines[0], 'line 300');
      assert.equal(first.lines.at(-1), 'line 499');

      assert.deepEqual((await readLogTail(file, first.cursor)).lines, [], 'nothing new');
      appendFileSync(file, 'line 500\nhalf a li');
      const next = await readLogTail(file, first.cursor);
      assert.deepEqual([next.lines, next.reset], [['line 500'], false]);
      appendFileSync(file, 'ne\r\n');
      const whole = await readLogTail(file, next.cursor);
      assert.deepEqual(whole.lines, ['half a line'], 'the line once whole, without its CR LF');

      // Rotated as --log-max-bytes does: renamed, a new file in its place.
      renameSync(file, `${file}.1`);
      writeFileSync(file, 'fresh 0\nfresh 1\n');
      const rotated = await readLogTail(file, whole.cursor);
      assert.deepEqual([rotated.lines, rotated.reset], [['fresh 0', 'fresh 1'], true]);

      // Truncated in place (copytruncate).
      truncateSync(file, 0);
      appendFileSync(file, 'after truncate\n');
      const truncated = await readLogTail(file, rotated.cursor);
      assert.deepEqual([truncated.lines, truncated.reset], [['after truncate'], true]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reads at most maxBytes a poll, and cuts a line longer than that', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'log-tail-'));
    try {
      const file = join(dir, 'w.log');
      writeFileSync(file, '');
      const start = await readLogTail(file, undefined);
      appendFileSync(file, 'x'.repeat(300) + '\n' + 'short\n');
      const limits = { lines: 200, maxBytes: 100, lineChars: 50 };
      const one = await readLogTail(file, start.cursor, limits);
      assert.deepEqual(one.lines, ['x'.repeat(50) + '…'], 'a 100-byte piece, cut to 50 characters');
      let cursor = one.cursor;
      const seen: string[] = [];
      for (let i = 0; i < 10 && !seen.includes('short'); i++) {
        const chunk = await readLogTail(file, cursor, limits);
        seen.push(...chunk.lines);
        cursor = chunk.cursor;
      }
      assert.ok(seen.includes('short'), JSON.stringify(seen));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
