import { hostNameProblem, isIPv4, MAX_HOSTNAME, quoteTyped } from '../../../appliance/contracts/index.ts';
import { consoleErrors as systemErrors } from '../errors.ts';

// The files that hold the system settings (host name, DNS and NTP servers). The
// settings themselves are checked in appliance/contracts (management-settings.ts),
// with the rules the installer and first boot share. Pure: no I/O, no clock.

const HEADER = '# Written by the Alliance console (system settings); edits are overwritten.\n';

/** /etc/resolv.conf naming the servers. */
export function renderResolvConf(dns: readonly string[]): string {
  for (const server of dns) if (!isIPv4(server)) invalid('resolv.conf', 'dns', `has ${quoteTyped(server)}, not an IPv4 address`);
  return `${HEADER}${dns.map((server) => `nameserver ${server}\n`).join('')}`;
}

/** The IPv4 servers a resolv.conf names, in order (what renderResolvConf wrote, or the system's own). */
export function parseResolvConf(text: string | null): string[] {
  return [...(text ?? '').matchAll(/^\s*nameserver\s+(\S+)/gm)].map((m) => m[1] ?? '').filter(isIPv4);
}

/** The servers of a timesyncd drop-in's NTP= line (what renderTimesyncdDropIn wrote). */
export function parseTimesyncdDropIn(text: string | null): string[] {
  return /^\s*NTP=(.*)$/m.exec(text ?? '')?.[1]?.trim().split(/\s+/).filter((s) => s !== '') ?? [];
}

/** The systemd-timesyncd drop-in; an empty list leaves timesyncd on its fallback servers. */
export function renderTimesyncdDropIn(ntp: readonly string[]): string {
  for (const server of ntp) if (!isIPv4(server) && hostNameProblem(server, 253) !== undefined) invalid('the timesyncd drop-in', 'ntp', `has ${quoteTyped(server)}, not a host name or IPv4`);
  return `${HEADER}[Time]\nNTP=${ntp.join(' ')}\n`;
}

/**
 * /etc/hosts with the machine's own line, `127.0.1.1 <name> [<first label>]`,
 * put in place of the old one, or added after the loopback line (the file is
 * made when there is none: `current` null). Every other line is kept.
 */
export function renderHostsFile(current: string | null, hostname: string): string {
  if (hostNameProblem(hostname, MAX_HOSTNAME) !== undefined) invalid('/etc/hosts', 'hostname', `is ${quoteTyped(hostname)}, not a host name`);
  const short = hostname.split('.')[0]!;
  const own = short === hostname ? `127.0.1.1\t${hostname}` : `127.0.1.1\t${hostname} ${short}`;
  const lines = (current ?? '127.0.0.1\tlocalhost\n').split('\n');
  if (lines.at(-1) === '') lines.pop();
  const at = lines.findIndex((line) => /^\s*127\.0\.1\.1\s/.test(line));
  if (at >= 0) lines[at] = own;
  else {
    const loopback = lines.findIndex((line) => /^\s*127\.0\.0\.1\s/.test(line));
    lines.splice(loopback + 1, 0, own);
  }
  return `${lines.join('\n')}\n`;
}

function invalid(what: string, field: string, problem: string): never {
  throw systemErrors.SYSTEM_SETTINGS_INVALID({ what, field, problem });
}
