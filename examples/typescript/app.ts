// TypeScript example: the app contract, type-checked. Node 20 cannot run .ts itself, so compile
// first, then run the output through the CLI:
//
//   npx tsc -p examples/typescript
//   node dist/cli/supervise.cjs --app examples/typescript/dist/app.js --workers 2 --poll 1
//
// No package.json in this directory on purpose: `supervise` then resolves to this repository
// itself (its package.json "exports"), and dist/app.js is ESM by the repository's "type": "module".
import { setTimeout as sleep } from 'node:timers/promises';
import type { App, WorkerContext } from 'supervise';

/** What one worker remembers between its tasks: each worker is its own process, so this is per id. */
interface Tally {
  tasks: number;
  startedAt: number;
}

const tally: Tally = { tasks: 0, startedAt: Date.now() };

/** Runs once in each worker before its first task. */
export function afterFork(id: number, ctx: WorkerContext): void {
  console.log(`worker[${ctx.id}] pid=${process.pid} loaded the TypeScript app (id ${id})`);
}

/** One task: a short wait that a quick stop (TERM/INT) cuts through ctx.signal. */
export async function workerStart(id: number, ctx: WorkerContext): Promise<void> {
  await sleep(300 + 100 * id, undefined, { signal: ctx.signal });
  tally.tasks += 1;
  const seconds = ((Date.now() - tally.startedAt) / 1000).toFixed(1);
  console.log(`worker[${id}] task ${tally.tasks} after ${seconds}s`);
}

// Checks at compile time that the exports keep the contract: a wrong signature is a tsc error.
void ({ workerStart, afterFork } satisfies App);
