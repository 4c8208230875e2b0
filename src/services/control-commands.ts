/** The commands of the control socket: what `supervise ctl` may ask, kept apart so the client names them without loading the server. */

/** The commands of the control socket. */
export type ControlCommand = 'status' | 'reload' | 'scale' | 'pause' | 'resume' | 'stop' | 'reopen-logs' | 'upgrade';

/** The commands, for validation and help. */
export const CONTROL_COMMANDS: readonly ControlCommand[] = ['status', 'reload', 'scale', 'pause', 'resume', 'stop', 'reopen-logs', 'upgrade'];
