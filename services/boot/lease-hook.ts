import { isClientId, isInterfaceName, isIPv4, isMac } from './_dhcp-values.ts';
import { bootErrors } from './errors.ts';

// dnsmasq's dhcp-script call, read into a typed event. dnsmasq runs the hook
// as `<script> add|old|del MAC IP [HOSTNAME]`, `<script> tftp SIZE ADDRESS
// FILENAME` or (with leasefile-ro) `<script> init`, with DNSMASQ_* variables
// in the environment. Anything else is refused with APL_BOOT_HOOK_CALL_INVALID;
// nothing else is ever thrown. The class strings a client chose (vendor and
// user class) are made printable instead, so an odd client keeps its lease.

export interface LeaseChange {
  readonly action: 'add' | 'old' | 'del';
  /** Lower case. */
  readonly mac: string;
  readonly ip: string;
  readonly hostname: string | null;
  readonly clientId: string | null;
  readonly interface: string | null;
  /** Epoch seconds the lease ends (DNSMASQ_LEASE_EXPIRES); 0 = never; null = not said. */
  readonly expiresAt: number | null;
  /** Seconds left (DNSMASQ_TIME_REMAINING, on builds without a real-time clock); null = not said. */
  readonly timeRemaining: number | null;
  readonly tags: readonly string[];
  readonly vendorClass: string | null;
  readonly userClasses: readonly string[];
}

export interface TftpTransfer {
  readonly action: 'tftp';
  readonly size: number;
  readonly address: string;
  readonly file: string;
}

export interface LeaseInit {
  readonly action: 'init';
}

export type LeaseHookEvent = LeaseChange | TftpTransfer | LeaseInit;

export type HookEnvironment = Readonly<Record<string, string | undefined>>;

const MAX_ARG = 1024;
const MAX_ENV = 1024;
const MAX_PATH = 4096;
const CONTROL = /[\u0000-\u001f\u007f]/;
// dnsmasq passes the name it accepted from the client (it may hold _ or a domain): any printable word fits the lease file.
const HOSTNAME = /^[\x21-\x7e]{1,253}$/;
const MAX_CLASS = 255;

function refuse(problem: string): never {
  throw bootErrors.HOOK_CALL_INVALID({ problem });
}

function quote(value: string): string {
  const text = JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value);
  return text;
}

function checkText(what: string, value: unknown, max: number): string {
  if (typeof value !== 'string') refuse(`${what} is missing`);
  if (value.length > max) refuse(`${what} is longer than ${max} characters`);
  if (CONTROL.test(value)) refuse(`${what} holds control characters`);
  return value;
}

function envText(env: HookEnvironment, name: string, max = MAX_ENV): string | null {
  const value = env[name];
  if (value === undefined || value === '') return null;
  return checkText(name, value, max);
}

function envInteger(env: HookEnvironment, name: string): number | null {
  const value = envText(env, name, 20);
  if (value === null) return null;
  if (!/^[0-9]{1,12}$/.test(value)) refuse(`${name} is ${quote(value)}, not a whole number of seconds`);
  return Number(value);
}

/**
 * A class string the client chose: informative only, so it is made printable
 * and cut to a DHCP option's length rather than refused (refusing would lose
 * the lease to a client with an odd vendor class).
 */
function clientText(value: unknown): string | null {
  if (typeof value !== 'string' || value === '') return null;
  return value.slice(0, MAX_CLASS).replace(/[^\x20-\x7e]/g, '?');
}

function leaseChange(action: LeaseChange['action'], args: readonly string[], env: HookEnvironment): LeaseChange {
  if (args.length < 3 || args.length > 4) refuse(`${action} takes MAC, IP and an optional host name, got ${args.length - 1} arguments`);
  const [, mac, ip, hostname] = args;
  if (!isMac(mac)) refuse(`${quote(mac!)} is not a MAC address`);
  if (!isIPv4(ip)) refuse(`${quote(ip!)} is not an IPv4 address`);
  if (hostname !== undefined && hostname !== '' && !HOSTNAME.test(hostname)) refuse(`${quote(hostname)} is not a host name`);

  const clientId = envText(env, 'DNSMASQ_CLIENT_ID');
  if (clientId !== null && !isClientId(clientId)) refuse(`DNSMASQ_CLIENT_ID is ${quote(clientId)}, not colon-separated hex octets`);
  const iface = envText(env, 'DNSMASQ_INTERFACE');
  if (iface !== null && !isInterfaceName(iface)) refuse(`DNSMASQ_INTERFACE is ${quote(iface)}, not an interface name`);
  const tags = envText(env, 'DNSMASQ_TAGS');

  const userClasses: string[] = [];
  for (let i = 0; i < 16; i += 1) {
    const userClass = clientText(env[`DNSMASQ_USER_CLASS${i}`]);
    if (userClass === null) break;
    userClasses.push(userClass);
  }
  return {
    action,
    mac: mac.toLowerCase(),
    ip,
    hostname: hostname === undefined || hostname === '' ? null : hostname,
    clientId: clientId?.toLowerCase() ?? null,
    interface: iface,
    expiresAt: envInteger(env, 'DNSMASQ_LEASE_EXPIRES'),
    timeRemaining: envInteger(env, 'DNSMASQ_TIME_REMAINING'),
    tags: tags === null ? [] : tags.split(' ').filter((t) => t !== ''),
    vendorClass: clientText(env.DNSMASQ_VENDOR_CLASS),
    userClasses,
  };
}

function tftpTransfer(args: readonly string[]): TftpTransfer {
  if (args.length !== 4) refuse(`tftp takes SIZE, ADDRESS and FILENAME, got ${args.length - 1} arguments`);
  const [, size, address, file] = args as [string, string, string, string];
  if (!/^[0-9]{1,15}$/.test(size)) refuse(`${quote(size)} is not a transfer size in bytes`);
  if (!isIPv4(address)) refuse(`${quote(address)} is not an IPv4 address`);
  if (file === '') refuse('the TFTP file name is empty');
  return { action: 'tftp', size: Number(size), address, file };
}

/**
 * Reads one dnsmasq dhcp-script call: `argv` is what dnsmasq passed (the
 * action first), `env` the process environment. Pure.
 */
export function parseLeaseHookCall(argv: readonly unknown[], env: HookEnvironment): LeaseHookEvent {
  if (!Array.isArray(argv)) refuse('the arguments are not a list');
  if (env === null || typeof env !== 'object') refuse('the environment is not a set of variables');
  if (argv.length === 0) refuse('no action was given (dnsmasq passes add, old, del, tftp or init)');
  if (argv.length > 5) refuse(`${argv.length} arguments were given, dnsmasq passes at most 4`);
  const args = argv.map((arg, i) => checkText(i === 0 ? 'the action' : `argument ${i}`, arg, i === 3 ? MAX_PATH : MAX_ARG));
  const action = args[0]!;
  switch (action) {
    case 'add':
    case 'old':
    case 'del':
      return leaseChange(action, args, env);
    case 'tftp':
      return tftpTransfer(args);
    case 'init':
      if (args.length !== 1) refuse('init takes no arguments');
      return { action: 'init' };
    default:
      return refuse(`the action ${quote(action)} is not one of add, old, del, tftp, init`);
  }
}
