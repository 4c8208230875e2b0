// Seeds the integrity example's queue: `node seed.js [count]` adds `count` (default 30) pending jobs,
// numbered after the highest job already there, so running it again only adds work.
import { writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { CLAIMED, DONE, PENDING, ROOT, list, makeLayout } from './queue.js';

/** Highest job number anywhere in the queue, 0 for an empty one. */
function highestJob() {
  const claimed = list(CLAIMED, /^\d+$/).flatMap((id) => list(join(CLAIMED, id), /^\d+\.\d+\.json$/));
  const names = [...list(PENDING), ...list(DONE), ...claimed];
  return Math.max(0, ...names.map((name) => Number.parseInt(name, 10)));
}

const count = Number(process.argv[2] ?? 30);
if (!Number.isSafeInteger(count) || count < 1) {
  console.error(`usage: node seed.js [count]  (count must be a positive integer, got ${process.argv[2]})`);
  process.exit(2);
}
makeLayout();
const first = highestJob() + 1;
for (let n = first; n < first + count; n++) {
  writeFileSync(join(PENDING, `${n}.json`), JSON.stringify({ n, input: randomBytes(16).toString('hex') }) + '\n');
}
console.log(`seeded jobs ${first}..${first + count - 1} in ${ROOT}`);
