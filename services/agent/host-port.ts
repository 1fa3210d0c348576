import { isIP } from 'node:net';

/** Where something listens: a host name or IP address (no brackets) and a port. */
export interface HostPort {
  readonly host: string;
  readonly port: number;
}

const HOST_NAME = /^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$/;

/**
 * Reads `host:port`, `1.2.3.4:port` or `[v6]:port` (a zone as in `[fe80::1%eth0]`
 * is allowed); undefined for anything else, including a port outside 1-65535.
 */
export function parseHostPort(text: string): HostPort | undefined {
  const m = /^(?:\[([^\]]+)\]|([^:[\]\s]+)):(\d{1,5})$/.exec(text.trim());
  if (m === null) return undefined;
  const port = Number(m[3]);
  if (port < 1 || port > 65535) return undefined;
  if (m[1] !== undefined) {
    const [address, zone] = m[1].split('%', 2) as [string, string | undefined];
    if (isIP(address) !== 6 || (zone !== undefined && !/^[A-Za-z0-9_.@-]{1,15}$/.test(zone))) return undefined;
    return { host: m[1], port };
  }
  const host = m[2]!;
  if (isIP(host) !== 4 && !HOST_NAME.test(host)) return undefined;
  return { host, port };
}

/** `host:port`, with brackets around an IPv6 address. */
export function formatHostPort(target: HostPort): string {
  return target.host.includes(':') ? `[${target.host}]:${target.port}` : `${target.host}:${target.port}`;
}

/** The controller's HTTPS API at that address. A zone in a URL is written %25. */
export function httpsUrlOf(target: HostPort): string {
  return `https://${formatHostPort(target).replace('%', '%25')}`;
}

/** The controller's bus for agents: same host, the bus port from enrolment. */
export function busUrlOf(host: string, busPort: number): string {
  return `tls+tcp://${formatHostPort({ host, port: busPort })}`;
}
