/** throng (npm), from bench/node_modules: cluster with a reviving master (apps/throng-main.cjs). */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { launch } from '../lib/launch.mjs';
import { APPS, BENCH, workerEnv } from '../lib/paths.mjs';

const PKG = join(BENCH, 'node_modules', 'throng', 'package.json');

/** The throng row. */
export const throng = {
  id: 'throng',
  label: 'throng',
  async probe() {
    if (!existsSync(PKG)) return { ok: false, why: 'throng is not installed: run npm ci --prefix bench (make bench does)' };
    return { ok: true, version: JSON.parse(readFileSync(PKG, 'utf8')).version };
  },
  start: (opts) => launch(process.execPath, [join(APPS, 'throng-main.cjs')], { env: workerEnv(opts), dir: opts.dir, name: 'throng' }),
  reload: { skip: 'throng has no reload' },
};
