/**
 * One start of one system for one measurement: a temp dir, a fresh event file, the master, an
 * optional request driver (Unicorn), and a stop that leaves no process behind.
 */
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { EventLog, readyPids } from './events.mjs';
import { driveRequests } from './http-driver.mjs';
import { shutdown } from './launch.mjs';
import { track } from './procs.mjs';

/**
 * Starts `system` with `opts` (see StartOptions in paths.mjs, less `events` and `dir`) under
 * `tmpRoot`. The caller must `await session.stop()` (in a finally).
 */
export function startSession(system, opts, tmpRoot) {
  const dir = mkdtempSync(join(tmpRoot, `${system.id}-`));
  const events = new EventLog(join(dir, 'events'));
  const running = system.start({ ...opts, events: events.file, dir });
  let driver;

  /** Throws with the master's output when it has already exited. */
  const checkMaster = () => {
    if (running.child.exitCode !== null || running.child.signalCode !== null) {
      throw new Error(`${system.label} master exited early (${running.child.exitCode ?? running.child.signalCode}):\n${running.log().slice(-1500)}`);
    }
  };

  return {
    system,
    running,
    events,
    dir,
    /** Waits until `n` distinct worker processes announced ready; returns their ready events. */
    async waitReady(n, ms) {
      return events.waitFor(
        (log) => {
          checkMaster();
          const ready = readyPids(log);
          for (const e of ready) track(e.pid);
          return ready.length >= n && ready;
        },
        ms,
        `${n} ${system.label} workers ready`,
      );
    },
    /** Gives the workers tasks when the system takes them as requests; no-op otherwise. */
    drive(concurrency) {
      if (system.drivenByRequests) driver = driveRequests(running.socket, concurrency);
    },
    /** Stops sending requests (if driving). */
    stopDriving() {
      driver?.stop();
    },
    /** Stops the system and every process it had; bounded. */
    async stop() {
      driver?.stop();
      try {
        await shutdown(running, { stopSignal: system.stopSignal ?? 'SIGTERM', workerPids: readyPids(events).map((e) => e.pid) });
      } finally {
        events.close();
      }
    },
  };
}
