/**
 * The client side of the control socket: where a master's socket is by default, and one request
 * sent to it, for `supervise status` and `supervise ctl`.
 */
import { createConnection } from 'node:net';
import { join } from 'node:path';
import type { ControlReply, ControlRequest } from '../services/control-server.js';
import { ErrorCode, SuperviseError } from '../shared/errors.cjs';

/**
 * The control socket a master uses when not given `--control`: beside its pid file (`x.pid` →
 * `x.sock`), else `supervise.sock` in $XDG_RUNTIME_DIR, else in a per-user directory of /tmp.
 */
export function defaultControlPath(pidFile: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  if (pidFile !== undefined) return pidFile.replace(/\.pid$/, '') + '.sock';
  const runtimeDir = env['XDG_RUNTIME_DIR'];
  if (runtimeDir !== undefined && runtimeDir !== '') return join(runtimeDir, 'supervise.sock');
  // Required only here: `supervise status` with $XDG_RUNTIME_DIR set never loads node:os.
  const { tmpdir } = require('node:os') as typeof import('node:os');
  return join(tmpdir(), `supervise-${process.getuid?.() ?? 'user'}`, 'supervise.sock');
}

/**
 * Sends `request` to the master at `path` and resolves with its reply, which comes once the
 * operation is done (a reload or a graceful stop may take long; `timeoutMs` bounds the wait when
 * given). Rejects with SuperviseError E_CONTROL when no master listens there.
 */
export function sendControl(path: string, request: ControlRequest, timeoutMs?: number): Promise<ControlReply> {
  return new Promise((resolve, reject) => {
    const socket = createConnection(path);
    let buffer = '';
    let timer: NodeJS.Timeout | undefined;
    const fail = (message: string): void => {
      clearTimeout(timer);
      socket.destroy();
      reject(new SuperviseError(ErrorCode.CONTROL, message));
    };
    if (timeoutMs !== undefined) timer = setTimeout(() => fail(`no answer from the master at ${path} within ${timeoutMs / 1000}s`), timeoutMs);
    socket.setEncoding('utf8');
    socket.on('connect', () => socket.write(JSON.stringify(request) + '\n'));
    socket.on('data', (chunk: string) => {
      buffer += chunk;
      const newline = buffer.indexOf('\n');
      if (newline < 0) return;
      clearTimeout(timer);
      socket.end();
      try {
        resolve(JSON.parse(buffer.slice(0, newline)) as ControlReply);
      } catch {
        reject(new SuperviseError(ErrorCode.CONTROL, `the process at ${path} does not speak supervise's control protocol`));
      }
    });
    socket.on('error', (error: NodeJS.ErrnoException) => {
      const why =
        error.code === 'ENOENT' || error.code === 'ECONNREFUSED'
          ? `no master is running at ${path}`
          : error.code === 'EACCES'
            ? `not allowed to use ${path} (it belongs to the master's user)`
            : `cannot reach the master at ${path}: ${error.message}`;
      fail(why);
    });
    socket.on('close', () => fail(`the master at ${path} closed the connection without answering (it may be stopping)`));
  });
}
