/**
 * Fakes for unit tests of the master: a child process that a test drives by hand, a signalGroup
 * that records what it was asked to do, and a spawnWorker that hands out fake children.
 */
import { EventEmitter } from 'node:events';
import { join, resolve } from 'node:path';
import type { ChildLike } from '../../dist/master/worker-handle.js';

/** Fixture apps, from dist-test/unit (the compiled location of this file). */
export const FIXTURES = resolve(import.meta.dirname, '..', '..', 'test', 'fixtures');

/** Path of a fixture app by file name. */
export function fixture(name: string): string {
  return join(FIXTURES, name);
}

/** The protocol's ready message, as a worker sends it. */
export const READY = { supervise: 1, type: 'ready' } as const;

let nextPid = 10_000;

/** A child process that never runs: the test emits 'spawn', 'message' and 'exit' itself. */
export class FakeChild extends EventEmitter implements ChildLike {
  pid: number | undefined;
  connected = true;
  /** Every message the master sent, in order. */
  readonly sent: unknown[] = [];
  /** Every signal passed to kill(), in order. */
  readonly killed: (NodeJS.Signals | undefined)[] = [];

  constructor(pid: number | undefined = nextPid++) {
    super();
    this.pid = pid;
  }

  /** Records the message and acknowledges it at once, as a healthy channel does. */
  send(message: unknown, callback: (error: Error | null) => void): boolean {
    this.sent.push(message);
    callback(null);
    return true;
  }

  /** Records the signal; the process "dies" only when the test emits 'exit'. */
  kill(signal?: NodeJS.Signals): boolean {
    this.killed.push(signal);
    return true;
  }

  /** The OS started the process, and the worker loaded the app: 'spawn' then a ready message. */
  ready(): void {
    this.emit('spawn');
    this.emit('message', READY);
  }

  /** The process ended. */
  exit(code: number | null, signal: NodeJS.Signals | null = null): void {
    this.connected = false;
    this.emit('exit', code, signal);
  }
}

/** One signalGroup call. */
export interface SignalCall {
  readonly pgid: number;
  readonly signal: NodeJS.Signals;
}

/** A signalGroup that only records its calls. */
export function recordingSignalGroup(): { calls: SignalCall[]; signalGroup: (pgid: number, signal: NodeJS.Signals) => void } {
  const calls: SignalCall[] = [];
  return { calls, signalGroup: (pgid, signal) => void calls.push({ pgid, signal }) };
}

/** A spawnWorker handing out fake children and remembering which id got which. */
export class FakePool {
  /** Every spawn, in order (id undefined: a spare). */
  readonly spawned: { id: number | undefined; child: FakeChild }[] = [];
  readonly calls: SignalCall[] = [];

  /** Pass as `spawnWorker`. */
  readonly spawnWorker = (id: number | undefined): FakeChild => {
    const child = new FakeChild();
    this.spawned.push({ id, child });
    return child;
  };

  /** Pass as `signalGroup`. */
  readonly signalGroup = (pgid: number, signal: NodeJS.Signals): void => {
    this.calls.push({ pgid, signal });
  };

  /** The latest child spawned for `id`; throws when there is none. */
  child(id: number | undefined): FakeChild {
    const found = this.spawned.filter((s) => s.id === id).at(-1);
    if (found === undefined) throw new Error(`no child was spawned for id ${id}`);
    return found.child;
  }

  /** How many children were spawned for `id`. */
  spawnsOf(id: number): number {
    return this.spawned.filter((s) => s.id === id).length;
  }

  /** The ids spawned, in order. */
  get ids(): Array<number | undefined> {
    return this.spawned.map((s) => s.id);
  }

  /** Signals sent to `child`'s process group, in order. */
  signalsTo(child: FakeChild): NodeJS.Signals[] {
    return this.calls.filter((c) => c.pgid === child.pid).map((c) => c.signal);
  }
}

/** Lets pending promise callbacks run (setImmediate is never mocked by these tests). */
export function flush(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Tracks whether a promise has settled, without letting a rejection go unhandled. */
export function track<T>(promise: Promise<T>): { settled: () => boolean; promise: Promise<T> } {
  let done = false;
  promise.then(
    () => (done = true),
    () => (done = true),
  );
  return { settled: () => done, promise };
}
