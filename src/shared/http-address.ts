/**
 * The `host:port` addresses of the dashboard and the metrics: parsing, the loopback test, binding,
 * and the Host-header check that keeps a DNS-rebinding page off a loopback server.
 */
import { isIPv4, isIPv6 } from 'node:net';
import type { Server } from 'node:http';
import { ErrorCode, SuperviseError, firstLine } from './errors.cjs';

/** A parsed `host:port`; `host` is without brackets (`::1`), `port` 0 asks the kernel for a free one. */
export interface HttpAddress {
  readonly host: string;
  readonly port: number;
}

/** A DNS name: dot-separated labels of letters, digits and inner hyphens. */
const HOSTNAME = /^(?=.{1,253}\.?$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*\.?$/i;

/**
 * Parses `value` (`127.0.0.1:8123`, `[::1]:8123`, `localhost:8123`, `0.0.0.0:9100`) for the option
 * `--<name>`. Port 0 is allowed (a free port, reported once bound). Throws SuperviseError E_OPTION
 * quoting the value otherwise.
 */
export function parseHttpAddress(name: string, value: unknown): HttpAddress {
  const bad = (why: string): never => {
    throw new SuperviseError(ErrorCode.OPTION, `invalid --${name}: ${JSON.stringify(value)} ${why}`);
  };
  if (typeof value !== 'string') return bad('is not a host:port address (e.g. 127.0.0.1:8123)');
  const match = /^(?:\[([^\]]*)\]|([^:[\]]*)):(\d{1,5})$/.exec(value.trim());
  if (match === null) {
    return bad(/^\d+$/.test(value.trim()) ? `is a bare port: give the address too (e.g. 127.0.0.1:${value.trim()})` : 'is not a host:port address (e.g. 127.0.0.1:8123)');
  }
  const [, bracketed, plain, portText] = match;
  const host = bracketed ?? plain ?? '';
  const port = Number(portText);
  if (port > 65535) bad('has a port above 65535');
  if (bracketed !== undefined ? !isIPv6(host) : !isIPv4(host) && !HOSTNAME.test(host)) bad(`has no valid host (an IPv4 address, [IPv6] or a name)`);
  return { host, port };
}

/** True when `host` can only be reached from this machine: 127.0.0.0/8, ::1 or localhost. */
export function isLoopback(host: string): boolean {
  const name = host.toLowerCase().replace(/\.$/, '');
  if (name === 'localhost' || name.endsWith('.localhost')) return true;
  if (isIPv4(name)) return name.startsWith('127.');
  if (!isIPv6(name)) return false;
  // The URL parser writes IPv6 in its shortest form: ::1, or ::ffff:7f00:1 for a mapped 127.0.0.1.
  const canonical = new URL(`http://[${name}]/`).hostname;
  return canonical === '[::1]' || /^\[::ffff:7f[0-9a-f]{2}:[0-9a-f]{1,4}\]$/.test(canonical);
}

/** `host:port` as it goes in a URL (IPv6 in brackets). */
export function formatHostPort(host: string, port: number): string {
  return `${isIPv6(host) ? `[${host}]` : host}:${port}`;
}

/**
 * Binds `server` to `address` (that address only) and resolves with the port it got. Rejects with
 * SuperviseError `code`, one line naming `what` and the address, when it cannot (in use, no such
 * address here, a privileged port).
 */
export function listenHttp(server: Server, address: HttpAddress, what: string, code: SuperviseError['code']): Promise<number> {
  return new Promise((resolve, reject) => {
    const fail = (error: Error): void => {
      const reason = (error as NodeJS.ErrnoException).code === 'EADDRINUSE' ? 'the address is in use' : firstLine(error);
      reject(new SuperviseError(code, `cannot serve the ${what} on ${formatHostPort(address.host, address.port)}: ${reason}`, { cause: error }));
    };
    server.once('error', fail);
    server.listen({ host: address.host, port: address.port, exclusive: true }, () => {
      server.off('error', fail);
      const bound = server.address();
      resolve(typeof bound === 'object' && bound !== null ? bound.port : address.port);
    });
  });
}

/**
 * Checks a request's Host header for a server bound to `address` on `port`. On loopback it must name
 * a loopback host with that port, so a page whose DNS name was rebound to 127.0.0.1 is refused.
 * Off loopback every request needs the token anyway, and the names the machine goes by are not
 * known here, so any Host is accepted.
 */
export function isHostAllowed(hostHeader: string | undefined, address: HttpAddress, port: number): boolean {
  if (!isLoopback(address.host)) return true;
  if (hostHeader === undefined) return false;
  const match = /^(?:\[([^\]]+)\]|([^:]+))(?::(\d+))?$/.exec(hostHeader.trim());
  if (match === null) return false;
  const host = match[1] ?? match[2] ?? '';
  const given = match[3] !== undefined ? Number(match[3]) : 80;
  return given === port && isLoopback(host);
}

/** Shortest dashboard token accepted: 16 characters of guesswork at the very least. */
const MIN_TOKEN_LENGTH = 16;

/** The dashboard and metrics options, checked. */
export interface HttpServiceOptions {
  readonly dashboard: HttpAddress | undefined;
  readonly dashboardToken: string | undefined;
  readonly metrics: HttpAddress | undefined;
}

/**
 * Checks `dashboard`, `metrics` (host:port) and `dashboardToken` (at least 16 printable ASCII
 * characters, no spaces; never quoted in an error). An address off loopback is refused unless the
 * token is set. Throws SuperviseError E_OPTION, one line.
 */
export function resolveHttpServices(dashboard: unknown, dashboardToken: unknown, metrics: unknown): HttpServiceOptions {
  if (dashboardToken !== undefined) {
    if (typeof dashboardToken !== 'string' || !/^[\x21-\x7e]*$/.test(dashboardToken)) {
      throw new SuperviseError(ErrorCode.OPTION, 'invalid --dashboard-token: it must be printable ASCII without spaces');
    }
    if (dashboardToken.length < MIN_TOKEN_LENGTH) {
      throw new SuperviseError(ErrorCode.OPTION, `invalid --dashboard-token: ${dashboardToken.length} characters is too short (at least ${MIN_TOKEN_LENGTH}; e.g. \`openssl rand -hex 16\`)`);
    }
  }
  const served = (name: string, value: unknown): HttpAddress | undefined => {
    if (value === undefined) return undefined;
    const address = parseHttpAddress(name, value);
    if (dashboardToken === undefined && !isLoopback(address.host)) {
      throw new SuperviseError(
        ErrorCode.OPTION,
        `refusing --${name} ${JSON.stringify(value)}: not a loopback address; serving beyond this machine needs --dashboard-token (or SUPERVISE_DASHBOARD_TOKEN)`,
      );
    }
    return address;
  };
  return { dashboard: served('dashboard', dashboard), dashboardToken: dashboardToken as string | undefined, metrics: served('metrics', metrics) };
}
