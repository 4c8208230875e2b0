/**
 * Turns on Node's on-disk compile cache (`module.enableCompileCache`, Node ≥ 22.1) for the CLI, so
 * a second `supervise …` skips compiling the modules the first one compiled; a no-op on older Node.
 * Imported first by main.ts: it covers only modules loaded after it.
 */
import module from 'node:module';

/** The API where this Node has it (absent before 22.1; its types are not in @types/node 20). */
const enable = (module as { enableCompileCache?: (dir?: string) => unknown }).enableCompileCache;
// NODE_DISABLE_COMPILE_CACHE=1 turns it off, as it does for Node's own use of the cache.
if (typeof enable === 'function' && process.env['NODE_DISABLE_COMPILE_CACHE'] === undefined) {
  try {
    enable.call(module);
  } catch {
    // A cache directory that cannot be written costs the speed-up, never the command.
  }
}
