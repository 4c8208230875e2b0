/**
 * The master's signal handlers, as the CLI installs them: each only asks the Supervisor for one
 * operation, which the Supervisor serializes, so a second signal never re-enters a stop.
 */
import type { Supervisor } from './supervisor.js';
import { exitAfterFlush } from '../shared/exit-flush.js';
import { trace } from '../shared/log.js';

/**
 * The signals the master acts on. USR1 is left to Node's inspector; USR2 reopens logs (nginx's
 * USR1), so the master upgrade (Unicorn's and nginx's USR2) is URG: free, and ignored by default,
 * so sent to a master that does not know it, it does nothing.
 */
export const MASTER_SIGNALS = ['SIGTERM', 'SIGINT', 'SIGQUIT', 'SIGHUP', 'SIGTTIN', 'SIGTTOU', 'SIGWINCH', 'SIGUSR2', 'SIGURG'] as const;

/** True when the master has a terminal, whose resizing sends WINCH: then WINCH means nothing (as in Unicorn). */
function hasTerminal(): boolean {
  return process.stdin.isTTY === true || process.stdout.isTTY === true || process.stderr.isTTY === true;
}

/**
 * Installs handlers on this process for MASTER_SIGNALS: TERM/INT quick stop (again: kill now),
 * QUIT graceful stop, HUP rolling reload, TTIN one worker more, TTOU one fewer, WINCH pause
 * (ignored while the master has a terminal), USR2 reopen log files, URG master upgrade. Once a stop they started
 * completes, the process exits 0: with handlers installed, nothing else would end it. Returns the remover.
 */
export function installSignalHandlers(supervisor: Supervisor): () => void {
  const stopThenExit = (graceful: boolean): void => {
    supervisor.stop({ graceful }).then(
      () => exitAfterFlush(0),
      () => exitAfterFlush(1),
    );
  };
  // Failures are already in the log; a signal has nobody else to tell.
  const ignoreStopped = (): void => {};
  const actions: Record<(typeof MASTER_SIGNALS)[number], () => void> = {
    SIGTERM: () => stopThenExit(false),
    SIGINT: () => stopThenExit(false),
    SIGQUIT: () => stopThenExit(true),
    SIGHUP: () => void supervisor.reload().catch(ignoreStopped),
    SIGTTIN: () => void supervisor.scale(supervisor.size + 1).catch(ignoreStopped),
    SIGTTOU: () => void (supervisor.size > 0 && supervisor.scale(supervisor.size - 1).catch(ignoreStopped)),
    SIGWINCH: () => {
      if (hasTerminal()) return void trace.signals('WINCH ignored: the master has a terminal (resizing it sends WINCH)');
      void supervisor.pause().catch(ignoreStopped);
    },
    SIGUSR2: () => supervisor.reopenLogs(),
    SIGURG: () => void supervisor.upgrade().catch(ignoreStopped),
  };
  const listeners = MASTER_SIGNALS.map((signal) => {
    const listener = (): void => {
      trace.signals('received %s', signal);
      actions[signal]();
    };
    process.on(signal, listener);
    return [signal, listener] as const;
  });
  return () => {
    for (const [signal, listener] of listeners) process.off(signal, listener);
  };
}
