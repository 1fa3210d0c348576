import { parse as parseToml } from 'smol-toml';
import type { InstallNetwork } from '../appliance/contracts/index.ts';
import { installErrors } from './errors.ts';
import { addressProblem, ADMIN_NAME_PATTERN, gatewayProblem, hostNameProblem, isIPv4, MAX_DNS_SERVERS, MIN_PASSWORD_LENGTH, normaliseMac, ntpServerProblem } from './_values.ts';

// The installer's answer file (TOML, or JSON of the same shape):
//
//   hostname = "gw-01"
//   ntp = ["pool.ntp.org"]
//   after = "reboot"            # or "poweroff", "none"
//   [target]
//   disk = "/dev/vda"           # or "auto": the only disk that can take it
//   wipe = true                 # erase a disk that holds partitions
//   [network]
//   interface_mac = "52:54:00:12:34:56"
//   mode = "static"             # or "dhcp"
//   address = "192.0.2.10/24"
//   gateway = "192.0.2.1"
//   dns = ["192.0.2.53"]
//   [admin]
//   name = "admin"
//   password = "..."            # or password_file = "/path"

export const AFTER_ACTIONS = ['reboot', 'poweroff', 'none'] as const;
export type AfterAction = (typeof AFTER_ACTIONS)[number];

export interface AnswerFile {
  readonly target: { readonly disk: string; readonly wipe: boolean };
  readonly hostname: string | null;
  readonly network: InstallNetwork | null;
  readonly ntp: readonly string[];
  /** The first admin; the password is given, or read from passwordFile by the caller. */
  readonly admin: { readonly name: string; readonly password?: string; readonly passwordFile?: string } | null;
  readonly after: AfterAction;
}

const KEYS = {
  '': ['target', 'hostname', 'network', 'ntp', 'admin', 'after'],
  target: ['disk', 'wipe'],
  network: ['interface_mac', 'mode', 'address', 'gateway', 'dns'],
  admin: ['name', 'password', 'password_file'],
} as const;

type Table = Record<string, unknown>;

/**
 * An answer file's text to checked answers. Pure.
 * @throws AllianceError APL_INSTALL_ANSWERS_INVALID, APL_INSTALL_ANSWERS_UNKNOWN_KEY.
 */
export function parseAnswerFile(text: string, options: { source: string; format?: 'toml' | 'json' }): AnswerFile {
  const { source } = options;
  const format = options.format ?? (/^\s*\{/.test(text) ? 'json' : 'toml');
  let doc: unknown;
  try {
    doc = format === 'json' ? JSON.parse(text) : parseToml(text);
  } catch (err) {
    throw installErrors.ANSWERS_INVALID({ source, key: `the ${format.toUpperCase()}`, problem: `does not parse (${(err as Error).message.split('\n')[0]})` });
  }
  const bad = (key: string, problem: string): never => {
    throw installErrors.ANSWERS_INVALID({ source, key, problem });
  };
  if (!isTable(doc)) return bad('the document', 'is not a table of keys');
  checkKeys(doc, '', source);

  const target = doc.target === undefined ? bad('[target]', 'is missing: say which disk (disk = "/dev/sda" or "auto")') : tableAt(doc, 'target', bad);
  checkKeys(target, 'target', source);
  const disk = stringAt(target, 'target.disk', bad) ?? bad('target.disk', 'is missing: a device path like "/dev/sda", or "auto"');
  if (disk !== 'auto' && !/^\/[^\0]+$/.test(disk)) bad('target.disk', `is ${JSON.stringify(disk)}: give a device path like /dev/sda (or a disk image file's absolute path), or "auto"`);
  const wipe = booleanAt(target, 'target.wipe', bad) ?? false;

  const hostnameRaw = stringAt(doc, 'hostname', bad);
  const hostname = hostnameRaw === undefined ? null : hostnameRaw.trim().toLowerCase();
  if (hostname !== null) {
    const problem = hostNameProblem(hostname);
    if (problem) bad('hostname', problem);
  }

  const ntp = stringListAt(doc, 'ntp', bad) ?? [];
  for (const server of ntp) {
    const problem = ntpServerProblem(server);
    if (problem) bad('ntp', `has ${JSON.stringify(server)}, which ${problem}`);
  }

  const afterRaw = stringAt(doc, 'after', bad) ?? 'reboot';
  if (!(AFTER_ACTIONS as readonly string[]).includes(afterRaw)) bad('after', `is ${JSON.stringify(afterRaw)}: use one of ${AFTER_ACTIONS.join(', ')}`);

  let network: InstallNetwork | null = null;
  if (doc.network !== undefined) {
    const net = tableAt(doc, 'network', bad);
    checkKeys(net, 'network', source);
    const macRaw = stringAt(net, 'network.interface_mac', bad) ?? bad('network.interface_mac', 'is missing: the MAC address of the management interface');
    const mac = normaliseMac(macRaw) ?? bad('network.interface_mac', `is ${JSON.stringify(macRaw)}, not a MAC address like 52:54:00:12:34:56`);
    const mode = stringAt(net, 'network.mode', bad) ?? 'dhcp';
    if (mode === 'dhcp') {
      for (const key of ['address', 'gateway', 'dns']) if (net[key] !== undefined) bad(`network.${key}`, 'is only for mode = "static"');
      network = { mac, mode: 'dhcp' };
    } else if (mode === 'static') {
      const address = stringAt(net, 'network.address', bad) ?? bad('network.address', 'is missing: mode = "static" needs address = "192.0.2.10/24"');
      const addressBad = addressProblem(address);
      if (addressBad) bad('network.address', `${JSON.stringify(address)} ${addressBad}`);
      const gateway = stringAt(net, 'network.gateway', bad) ?? '';
      const gatewayBad = gateway === '' ? undefined : gatewayProblem(gateway, address);
      if (gatewayBad) bad('network.gateway', `${JSON.stringify(gateway)} ${gatewayBad}`);
      const dns = stringListAt(net, 'network.dns', bad) ?? [];
      if (dns.length > MAX_DNS_SERVERS) bad('network.dns', `has ${dns.length} servers; at most ${MAX_DNS_SERVERS} are used`);
      const notIp = dns.find((d) => !isIPv4(d));
      if (notIp !== undefined) bad('network.dns', `has ${JSON.stringify(notIp)}, not an IPv4 address`);
      network = { mac, mode: 'static', address, gateway, dns };
    } else {
      bad('network.mode', `is ${JSON.stringify(mode)}: use "dhcp" or "static"`);
    }
  }

  let admin: AnswerFile['admin'] = null;
  if (doc.admin !== undefined) {
    const table = tableAt(doc, 'admin', bad);
    checkKeys(table, 'admin', source);
    const name = stringAt(table, 'admin.name', bad) ?? bad('admin.name', 'is missing: the first cloud admin\'s user name');
    if (!ADMIN_NAME_PATTERN.test(name)) bad('admin.name', `is ${JSON.stringify(name)}: 1 to 64 of a-z, 0-9 and . _ @ -, starting with a letter or digit`);
    const password = stringAt(table, 'admin.password', bad);
    const passwordFile = stringAt(table, 'admin.password_file', bad);
    if (password !== undefined && passwordFile !== undefined) bad('admin.password', 'and admin.password_file are both given: keep one');
    if (password === undefined && passwordFile === undefined) bad('admin.password', 'is missing: give password or password_file');
    if (password !== undefined && [...password].length < MIN_PASSWORD_LENGTH) bad('admin.password', `is shorter than ${MIN_PASSWORD_LENGTH} characters`);
    if (passwordFile !== undefined && !passwordFile.startsWith('/')) bad('admin.password_file', 'is not an absolute path');
    admin = { name, ...(password !== undefined ? { password } : {}), ...(passwordFile !== undefined ? { passwordFile } : {}) };
  }

  return { target: { disk, wipe }, hostname, network, ntp, admin, after: afterRaw as AfterAction };
}

function isTable(value: unknown): value is Table {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date);
}

function checkKeys(table: Table, where: keyof typeof KEYS, source: string): void {
  const allowed: readonly string[] = KEYS[where];
  for (const key of Object.keys(table)) {
    if (!allowed.includes(key)) throw installErrors.ANSWERS_UNKNOWN_KEY({ source, key: where === '' ? key : `${where}.${key}`, allowed: allowed.join(', ') });
  }
}

type Bad = (key: string, problem: string) => never;

function tableAt(doc: Table, key: string, bad: Bad): Table {
  const value = doc[key];
  return isTable(value) ? value : bad(key, `is not a table ([${key}])`);
}

function leaf(path: string): string {
  return path.split('.').pop()!;
}

function stringAt(table: Table, path: string, bad: Bad): string | undefined {
  const value = table[leaf(path)];
  if (value === undefined) return undefined;
  return typeof value === 'string' ? value : bad(path, `is ${typeName(value)}, not a string`);
}

function booleanAt(table: Table, path: string, bad: Bad): boolean | undefined {
  const value = table[leaf(path)];
  if (value === undefined) return undefined;
  return typeof value === 'boolean' ? value : bad(path, `is ${typeName(value)}, not true or false`);
}

function stringListAt(table: Table, path: string, bad: Bad): string[] | undefined {
  const value = table[leaf(path)];
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) return bad(path, `is ${typeName(value)}, not a list of strings`);
  return value as string[];
}

function typeName(value: unknown): string {
  if (Array.isArray(value)) return 'a list';
  if (value === null) return 'null';
  if (isTable(value)) return 'a table';
  return `a ${typeof value}`;
}
