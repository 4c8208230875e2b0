/**
 * The timeouts a HUP may change at run time (--timeout, --grace, --boot-timeout, --stop-wait):
 * checked as at start, then applied to the next tasks, stops and spawns without restarting the
 * master. Pure: the Supervisor swaps in the options and runtime config returned.
 */
import { DEFAULTS, amountOption, type ResolvedOptions } from '../shared/options.js';
import type { RuntimeConfig } from '../shared/protocol.cjs';

/** The limits a running pool can take; an own key set to undefined means "back to the default" (for timeout: off). */
export interface LimitChanges {
  readonly timeout?: number | undefined;
  readonly grace?: number | undefined;
  readonly bootTimeout?: number | undefined;
  readonly stopWait?: number | undefined;
}

/** The option names of LimitChanges, as flags. */
export const LIVE_LIMIT_FLAGS = { timeout: 'timeout', grace: 'grace', bootTimeout: 'boot-timeout', stopWait: 'stop-wait' } as const;

/** What applying changes gives: the options and runtime config to use from now on, and what changed in words. */
export interface AppliedLimits {
  readonly options: ResolvedOptions;
  readonly runtime: RuntimeConfig;
  /** One entry per changed limit: "timeout 60s → 1s". Empty when nothing changed. */
  readonly applied: string[];
  /** The flags of changes that cannot apply at run time (left as they were): "timeout" on a pool started without one. */
  readonly restart: string[];
  /** For the hang watch (WatchLimits.earlier): tasks begun before `until` keep the longest timeout they were promised. */
  readonly earlier: EarlierTimeout | undefined;
}

/** The longest --timeout promised to tasks begun before `until` (epoch ms); undefined timeout: none. */
export interface EarlierTimeout {
  readonly timeout: number | undefined;
  readonly until: number;
}

/** The longer of two timeouts, no limit (undefined) being the longest. */
function longer(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined || b === undefined ? undefined : Math.max(a, b);
}

function seconds(value: number | undefined): string {
  return value === undefined ? 'off' : `${value}s`;
}

/**
 * Applies `changes` to a pool running with `options` and `runtime`. Throws SuperviseError
 * E_OPTION in one line for a bad value (as at start: `invalid --timeout: -1 is not a positive
 * number of seconds`); nothing is applied then. A --timeout on a pool started without one (its
 * workers send no heartbeat) is left off and named in `restart`. The heartbeat interval stays as
 * started (the workers beat at it); the master judges tasks by the new timeout. --stop-wait
 * matters only to a program run after `--`.
 */
export function applyLimits(options: ResolvedOptions, runtime: RuntimeConfig, changes: LimitChanges, earlier?: EarlierTimeout, now = Date.now()): AppliedLimits {
  const next = {
    timeout: 'timeout' in changes ? (changes.timeout === undefined ? undefined : amountOption('timeout', changes.timeout, 0, false)) : options.timeout,
    grace: 'grace' in changes ? amountOption('grace', changes.grace, DEFAULTS.grace, true) : options.grace,
    bootTimeout: 'bootTimeout' in changes ? amountOption('boot-timeout', changes.bootTimeout, DEFAULTS.bootTimeout, true) : options.bootTimeout,
    stopWait: 'stopWait' in changes ? amountOption('stop-wait', changes.stopWait, DEFAULTS.stopWait, true) : options.stopWait,
  };
  const restart: string[] = [];
  if (next.timeout !== undefined && runtime.heartbeatMs === undefined) {
    next.timeout = undefined;
    restart.push('timeout');
  }
  const applied: string[] = [];
  for (const key of ['timeout', 'grace', 'bootTimeout', 'stopWait'] as const) {
    if (next[key] !== options[key]) applied.push(`${LIVE_LIMIT_FLAGS[key]} ${seconds(options[key])} → ${seconds(next[key])}`);
  }
  return {
    options: { ...options, ...next },
    runtime: {
      ...runtime,
      graceMs: next.grace * 1000,
      ...(runtime.program !== undefined && { program: { ...runtime.program, stopWaitMs: next.stopWait * 1000 } }),
    },
    applied,
    restart,
    // A task begun before now was promised the old timeout (or an older, longer one).
    earlier: next.timeout === options.timeout ? earlier : { timeout: earlier === undefined ? options.timeout : longer(earlier.timeout, options.timeout), until: now },
  };
}
