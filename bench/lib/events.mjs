/**
 * Reads the event file the worker apps append to (see apps/worker.cjs): one line per event,
 * `<event> <id> <pid> <monotonic ns> <version> [extra]`, parsed as it grows.
 */
import { closeSync, openSync, readSync, writeFileSync } from 'node:fs';

/**
 * @typedef {object} BenchEvent
 * @property {string} ev     ready | start | end | count
 * @property {string} id     the worker id as the system names it
 * @property {number} pid
 * @property {bigint} ns     CLOCK_MONOTONIC, comparable with process.hrtime.bigint()
 * @property {string} v      code version the worker loaded
 * @property {string|undefined} extra
 */

/** The events of one run, read incrementally from a fresh file. */
export class EventLog {
  /** @type {BenchEvent[]} */
  events = [];
  #fd;
  #offset = 0;
  #partial = '';

  /** Creates (or empties) `file` and starts reading it. */
  constructor(file) {
    this.file = file;
    writeFileSync(file, '');
    this.#fd = openSync(file, 'r');
  }

  /** Reads whatever was appended since the last call; returns the new events. */
  poll() {
    const fresh = [];
    const buffer = Buffer.alloc(1 << 16);
    for (;;) {
      const n = readSync(this.#fd, buffer, 0, buffer.length, this.#offset);
      if (n === 0) break;
      this.#offset += n;
      const lines = (this.#partial + buffer.toString('utf8', 0, n)).split('\n');
      this.#partial = lines.pop() ?? '';
      for (const line of lines) {
        const [ev, id, pid, ns, v, extra] = line.split(' ');
        if (ev === undefined || ns === undefined) continue;
        fresh.push({ ev, id, pid: Number(pid), ns: BigInt(ns), v: v ?? '1', extra });
      }
    }
    this.events.push(...fresh);
    return fresh;
  }

  /** Events of one kind so far. */
  of(ev) {
    this.poll();
    return this.events.filter((e) => e.ev === ev);
  }

  /** Polls every 2 ms until `predicate(this)` is truthy, returning it; throws naming `what` after `ms`. */
  async waitFor(predicate, ms, what) {
    const deadline = performance.now() + ms;
    for (;;) {
      this.poll();
      const value = predicate(this);
      if (value) return value;
      if (performance.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 2));
    }
  }

  /** Releases the file descriptor. */
  close() {
    closeSync(this.#fd);
  }
}

/** Distinct pids that announced `ready` (optionally after `sinceNs`), in order of readiness. */
export function readyPids(log, sinceNs = -1n) {
  const seen = new Map();
  for (const e of log.of('ready')) if (e.ns > sinceNs && !seen.has(e.pid)) seen.set(e.pid, e);
  return [...seen.values()];
}
