/**
 * mkdir -p without `mkdirSync(…, { recursive: true })`, which on Node 20 loops forever on some
 * paths (under /proc, for one) instead of failing.
 */
import { mkdirSync, statSync } from 'node:fs';
import { dirname } from 'node:path';

/** Creates `dir` and any missing parent with `mode`; throws the system error naming what failed. */
export function makeDir(dir: string, mode: number): void {
  try {
    mkdirSync(dir, { mode });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST' && statSync(dir).isDirectory()) return;
    if (code !== 'ENOENT' || dirname(dir) === dir) throw error;
    makeDir(dirname(dir), mode);
    mkdirSync(dir, { mode });
  }
}
