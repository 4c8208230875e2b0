/** Tasks as the worker apps report them: each `start` paired with the next `end` of the same pid. */
import { isAlive } from './procs.mjs';

/**
 * @typedef {object} Task
 * @property {string} id
 * @property {number} pid
 * @property {bigint} startNs
 * @property {bigint|undefined} endNs  undefined: never finished
 */

/** Every task in `log` so far, in start order. */
export function tasksOf(log) {
  const open = new Map();
  const tasks = [];
  for (const e of log.events) {
    if (e.ev === 'start') {
      const task = { id: e.id, pid: e.pid, startNs: e.ns, endNs: undefined };
      open.set(e.pid, task);
      tasks.push(task);
    } else if (e.ev === 'end') {
      const task = open.get(e.pid);
      if (task !== undefined) task.endNs = e.ns;
      open.delete(e.pid);
    }
  }
  return tasks;
}

/** Tasks cut: started, never finished, and their process is gone. */
export function cutTasks(tasks) {
  return tasks.filter((t) => t.endNs === undefined && !isAlive(t.pid));
}

/**
 * The longest stretch of [fromNs, toNs] during which no process ran a task for `id`, in ms;
 * tasks still running count as running until `openUntilNs`.
 */
export function longestGapMs(tasks, id, fromNs, toNs, openUntilNs) {
  const spans = tasks
    .filter((t) => t.id === id)
    .map((t) => [t.startNs, t.endNs ?? openUntilNs])
    .filter(([s, e]) => e > fromNs && s < toNs)
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  let covered = fromNs;
  let longest = 0n;
  for (const [s, e] of spans) {
    if (s > covered && s - covered > longest) longest = s - covered;
    if (e > covered) covered = e;
  }
  if (toNs > covered && toNs - covered > longest) longest = toNs - covered;
  return Number(longest) / 1e6;
}
