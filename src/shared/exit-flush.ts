/**
 * Work that must end before the master process exits, and the exit that waits for it (bounded):
 * systemd's last notify messages (STOPPING=1) go out through a helper process that may still be
 * busy with earlier ones when the last worker is gone.
 */

/** How long an exit waits for the flushes at most: a stuck helper must not keep a stopped master alive. */
const FLUSH_BOUND_MS = 5000;

const flushes = new Set<() => Promise<void>>();

/**
 * Registers `flush`, to be awaited by exitAfterFlush before the process exits; it should resolve
 * once what it sends is out, and never reject (a rejection is ignored). Returns the remover.
 */
export function flushBeforeExit(flush: () => Promise<void>): () => void {
  flushes.add(flush);
  return () => flushes.delete(flush);
}

/**
 * Exits the process with `code` once every registered flush has resolved, or after 5 s at most;
 * at once when none is registered.
 */
export function exitAfterFlush(code: number): void {
  if (flushes.size === 0) return process.exit(code);
  const exit = (): never => process.exit(code);
  setTimeout(exit, FLUSH_BOUND_MS);
  void Promise.allSettled([...flushes].map((flush) => flush())).then(exit);
}
