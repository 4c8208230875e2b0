/** Node's own cluster module: a minimal primary as the docs show it (apps/cluster-primary.cjs). */
import { join } from 'node:path';
import { launch } from '../lib/launch.mjs';
import { APPS, workerEnv } from '../lib/paths.mjs';

/** The Node cluster row. */
export const cluster = {
  id: 'cluster',
  label: 'Node cluster',
  async probe() {
    return { ok: true, version: `node ${process.versions.node}` };
  },
  start: (opts) => launch(process.execPath, [join(APPS, 'cluster-primary.cjs')], { env: workerEnv(opts), dir: opts.dir, name: 'cluster' }),
  reload: { skip: 'Node cluster has no reload of its own' },
};
