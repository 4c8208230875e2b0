/**
 * Lifecycle lines (human or JSON, with timestamps) and the `supervise:*` debug namespaces.
 */
import createDebug from 'debug';
import type { LogFormat } from './options.js';

/** Traces internals under DEBUG=supervise:*; one namespace per role. */
export const trace = {
  master: createDebug('supervise:master'),
  worker: createDebug('supervise:worker'),
  signals: createDebug('supervise:signals'),
};

/** Structured fields of a lifecycle line; `worker` is the id. */
export type LogFields = Readonly<Record<string, string | number | boolean | null | undefined>>;

/** Standard streams already given a no-op error listener (once per process, not per Logger). */
const guarded = new WeakSet<NodeJS.WritableStream>();

/** Indents every line of an app's stack under the line it belongs to, as the text log shows it. */
export function indentStack(stack: string): string {
  return stack
    .split('\n')
    .filter((line) => line.trim() !== '') // a blank line would end the entry for a reader of the log
    .map((line) => `    ${line}`)
    .join('\n');
}

/**
 * Writes lifecycle lines to one stream; never throws, even when the stream is closed or broken.
 * A `stack` field (an app's failure) follows its line indented in the text format, and is a field
 * of its own in JSON. Between `hold()` and `release()` lines are kept back, so that a start that
 * fails at once can show one summary instead of the dozen lines that led to it.
 */
export class Logger {
  readonly #format: LogFormat;
  readonly #quiet: boolean;
  readonly #stream: NodeJS.WritableStream;
  /** Lines kept back while held; undefined when not holding. */
  #held: string[] | undefined;
  #holdTimer: NodeJS.Timeout | undefined;

  constructor(format: LogFormat, quiet: boolean, stream: NodeJS.WritableStream) {
    this.#format = format;
    this.#quiet = quiet;
    this.#stream = stream;
    // A closed or broken stderr (`supervise … 2>&- ` or a reader that went away) must not crash the
    // master, which would orphan nothing but would stop supervising.
    if ((stream === process.stderr || stream === process.stdout) && !guarded.has(stream)) {
      guarded.add(stream);
      stream.on('error', () => {});
    }
  }

  /** A normal lifecycle event, e.g. `info('spawned', 'worker[0] spawned pid=12', { worker: 0, pid: 12 })`. */
  info(event: string, text: string, fields: LogFields = {}): void {
    this.#write('info', event, text, fields);
  }

  /** A failure the operator should see. */
  error(event: string, text: string, fields: LogFields = {}): void {
    this.#write('error', event, text, fields);
  }

  /** True between `hold()` and `release()`. */
  get holding(): boolean {
    return this.#held !== undefined;
  }

  /** Keeps lines back from now on, until `release()`, or (given `ms`) at most that long. */
  hold(ms?: number): void {
    this.#held ??= [];
    clearTimeout(this.#holdTimer);
    this.#holdTimer = ms === undefined ? undefined : setTimeout(() => this.release(), ms).unref();
  }

  /** Ends a hold: writes the lines kept back (`flush`, the default) or drops them. */
  release(flush = true): void {
    clearTimeout(this.#holdTimer);
    this.#holdTimer = undefined;
    const held = this.#held;
    this.#held = undefined;
    if (flush && held !== undefined) for (const line of held) this.#put(line);
  }

  #write(level: 'info' | 'error', event: string, text: string, fields: LogFields): void {
    trace.master('%s', text);
    if (this.#quiet) return;
    const time = new Date().toISOString();
    const stack = typeof fields['stack'] === 'string' && fields['stack'] !== '' ? fields['stack'] : undefined;
    const line =
      this.#format === 'json'
        ? JSON.stringify({ time, level, event, ...fields, msg: text })
        : `${time} supervise[${process.pid}]: ${text}${stack !== undefined ? `\n${indentStack(stack)}` : ''}`;
    if (this.#held !== undefined) this.#held.push(line);
    else this.#put(line);
  }

  #put(line: string): void {
    try {
      this.#stream.write(line + '\n');
    } catch {
      // The stream is gone; supervising matters more than logging.
    }
  }
}
