import { consoleErrors as systemErrors } from '../errors.ts';
import { checkDnsServers, isIPv4, quoteTyped, splitList } from './_ipv4.ts';
import { type Checked } from './management-network.ts';

// The system form: host name, DNS servers and NTP servers, checked into
// SystemSettings, and the files that hold them. Pure: no I/O, no clock.

export interface SystemForm {
  readonly hostname: string;
  /** Servers separated by commas and/or spaces. */
  readonly dns: string;
  /** Host names or IPv4 addresses separated by commas and/or spaces. */
  readonly ntp: string;
}

export interface SystemSettings {
  /** Lower case, RFC 1123 labels. */
  readonly hostname: string;
  readonly dns: readonly string[];
  readonly ntp: readonly string[];
}

/**
 * The kernel keeps at most 64 characters of host name (HOST_NAME_MAX), and
 * `hostname` refuses more; a longer name in /etc/hostname would not be the
 * machine's name, so the form stops there rather than at DNS's 253.
 */
export const MAX_HOSTNAME = 64;
export const MAX_NTP_SERVERS = 4;

const LABEL = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/;
const HEADER = '# Written by the Alliance console (system settings); edits are overwritten.\n';

/** The form checked: the host name lower-cased, up to three DNS servers, up to four NTP servers. */
export function validateSystem(form: SystemForm): Checked<SystemSettings, SystemForm> {
  const problems: Partial<Record<keyof SystemForm, string>> = {};
  const hostname = form.hostname.trim().toLowerCase();
  const hostnameProblem = hostname === '' ? 'a host name is needed' : hostNameProblem(hostname, MAX_HOSTNAME);
  if (hostnameProblem !== undefined) problems.hostname = hostnameProblem;
  const dns = checkDnsServers(form.dns);
  if (typeof dns === 'string') problems.dns = dns;
  const ntp = [...new Set(splitList(form.ntp).map((server) => server.toLowerCase()))];
  if (ntp.length > MAX_NTP_SERVERS) problems.ntp = `at most ${MAX_NTP_SERVERS} NTP servers`;
  else {
    const bad = ntp.find((server) => !isIPv4(server) && hostNameProblem(server, 253) !== undefined);
    if (bad !== undefined) problems.ntp = `${quoteTyped(bad)} is not a host name or IPv4`;
  }
  if (Object.keys(problems).length > 0 || typeof dns === 'string') return { ok: false, problems };
  return { ok: true, value: { hostname, dns, ntp } };
}

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

/** Why `name` is not a host name of at most `max` characters in RFC 1123 labels; undefined when it is one. */
function hostNameProblem(name: string, max: number): string | undefined {
  if (name.length > max) return `longer than ${max} characters`;
  for (const label of name.split('.')) {
    if (label === '') return 'an empty label (two dots, or one at an end)';
    if (label.length > 63) return `label ${quoteTyped(label)} is over 63 characters`;
    if (!/^[a-z0-9-]+$/.test(label)) return `${quoteTyped(label)}: only a-z, 0-9 and - allowed`;
    if (!LABEL.test(label)) return `${quoteTyped(label)} starts or ends with -`;
  }
  if (name.split('.').every((label) => /^[0-9]+$/.test(label))) return 'only digits: that reads as an address';
  return undefined;
}

function invalid(what: string, field: string, problem: string): never {
  throw systemErrors.SYSTEM_SETTINGS_INVALID({ what, field, problem });
}
