/**
 * The types a master upgrade passes between the old and the new master, apart from their code so
 * that the public types (SupervisorInternals) import nothing else (no logger, no services).
 */

/** A socket a new master inherits from the old one: its fd there and the `--listen` value it was bound for. */
export interface InheritedListener {
  readonly fd: number;
  /** The address as asked (formatListenAddress of the `--listen` value); absent for a socket systemd passed. */
  readonly asked?: string;
}

/** What the old master tells the new one (in SUPERVISE_UPGRADE). */
export interface UpgradeHandoff {
  /** The old master's pid (the new one's parent). */
  readonly from: number;
  /** The sockets passed, at fds 4, 5, … */
  readonly listeners: readonly InheritedListener[];
  /** The control socket the old master serves: the new one takes it over when ready. */
  readonly control?: string;
}

/** How a new master is started: this process's command line, as it was started. */
export interface Relaunch {
  readonly command: string;
  readonly args: readonly string[];
  readonly cwd: string;
  readonly env: NodeJS.ProcessEnv;
}
