/** Parses `--listen` values: `port`, `host:port`, `[v6]:port`, or a Unix socket path with an optional `:mode`. */
import { isIP } from 'node:net';
import { resolve } from 'node:path';
import { ErrorCode, SuperviseError } from './errors.cjs';

/** One address to serve, as `--listen` gave it. */
export type ListenAddress =
  | {
      readonly kind: 'tcp';
      /** The interface's IP; undefined: every interface (IPv6 and IPv4 where the system allows). */
      readonly host: string | undefined;
      /** 0: the OS picks a free port. */
      readonly port: number;
    }
  | {
      readonly kind: 'unix';
      /** Absolute path of the socket file. */
      readonly path: string;
      /** Permission bits set on the socket file after binding (e.g. 0o660); undefined: the umask's. */
      readonly mode: number | undefined;
    };

function bad(value: unknown, why: string): never {
  const shown = typeof value === 'string' ? JSON.stringify(value) : String(value);
  throw new SuperviseError(ErrorCode.OPTION, `invalid --listen: ${shown} ${why}`);
}

function portOf(value: string, text: string): number {
  if (!/^\d{1,5}$/.test(text) || Number(text) > 65535) bad(value, `has no valid port (${JSON.stringify(text)}: expected 0-65535)`);
  return Number(text);
}

/**
 * Parses one `--listen` value, paths resolved against `cwd`. Accepted: `8080` (every interface),
 * `127.0.0.1:8080`, `localhost:8080` (taken as 127.0.0.1), `*:8080` or `0.0.0.0:8080`,
 * `[::1]:8080`, and a Unix socket path (containing a `/`, e.g. `./app.sock`, `/run/app.sock`) with
 * an optional octal mode suffix (`/run/app.sock:660`). Host names other than localhost are refused
 * (bind to an IP: a name may resolve to several). Throws SuperviseError E_OPTION quoting the value.
 */
export function parseListenAddress(value: unknown, cwd: string): ListenAddress {
  if (typeof value === 'number') value = String(value);
  if (typeof value !== 'string' || value.trim() === '') bad(value, 'is not an address (port, host:port, [::1]:port or a socket path)');
  const text = value.trim();
  if (text.includes('/')) {
    const withMode = /^(.*):([0-7]{3,4})$/.exec(text);
    const path = resolve(cwd, withMode?.[1] ?? text);
    return { kind: 'unix', path, mode: withMode?.[2] !== undefined ? parseInt(withMode[2], 8) : undefined };
  }
  if (/^\d+$/.test(text)) return { kind: 'tcp', host: undefined, port: portOf(text, text) };
  const v6 = /^\[([^\]]+)\]:(.*)$/.exec(text);
  const [host, port] = v6 !== null ? [v6[1] ?? '', v6[2] ?? ''] : [text.slice(0, text.lastIndexOf(':')), text.slice(text.lastIndexOf(':') + 1)];
  if (text.lastIndexOf(':') < 0) bad(value, 'has no port (give port, host:port, [::1]:port or a socket path with a /)');
  if (v6 === null && host.includes(':')) bad(value, `is ambiguous: write an IPv6 address in brackets, as "[${host}]:${port}"`);
  const p = portOf(value, port);
  if (host === '*' || host === '') return { kind: 'tcp', host: undefined, port: p };
  if (host === 'localhost') return { kind: 'tcp', host: '127.0.0.1', port: p };
  if (isIP(host) === 0) bad(value, `has a host that is not an IP address (${JSON.stringify(host)}; localhost is the one name taken)`);
  return { kind: 'tcp', host, port: p };
}

/** `host:port` (`[v6]:port`, `*:port` for every interface) or the socket path: how logs and status show an address. */
export function formatListenAddress(address: ListenAddress): string {
  if (address.kind === 'unix') return address.path;
  if (address.host === undefined) return `*:${address.port}`;
  return isIP(address.host) === 6 ? `[${address.host}]:${address.port}` : `${address.host}:${address.port}`;
}
