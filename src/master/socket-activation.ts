/** systemd socket activation (sd_listen_fds): the sockets a master was started with, instead of binding its own. */

/** The first fd systemd passes (SD_LISTEN_FDS_START). */
const SD_LISTEN_FDS_START = 3;

/**
 * The fds passed by systemd (or `systemd-socket-activate`) when `LISTEN_PID` names this process
 * and `LISTEN_FDS` counts them; none otherwise. Removes LISTEN_PID, LISTEN_FDS and LISTEN_FDNAMES
 * from `env` when it adopts them, so the workers (which inherit the environment) do not read them.
 */
export function activatedFds(env: NodeJS.ProcessEnv = process.env, pid = process.pid): number[] {
  const count = Number(env['LISTEN_FDS']);
  if (env['LISTEN_PID'] !== String(pid) || !Number.isSafeInteger(count) || count < 1) return [];
  delete env['LISTEN_PID'];
  delete env['LISTEN_FDS'];
  delete env['LISTEN_FDNAMES'];
  return Array.from({ length: count }, (_, i) => SD_LISTEN_FDS_START + i);
}
