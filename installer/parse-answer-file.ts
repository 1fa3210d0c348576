import { parse as parseToml } from 'smol-toml';
import { checkDnsServers, checkGateway, checkHostName, checkNtpServers, checkStaticAddress, normaliseMac, passwordProblem, USER_NAME_PATTERN, USER_NAME_RULE, type InstallNetwork } from '../appliance/contracts/index.ts';
import { installErrors } from './errors.ts';

// The installer's answer file (TOML, or JSON of the same shape). Its values are
// checked with the rules first boot and the console apply (appliance/contracts),
// so an answer accepted here is never refused on the installed appliance:
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
  let hostname: string | null = null;
  if (hostnameRaw !== undefined) {
    const checked = checkHostName(hostnameRaw);
    if (checked.problem !== undefined) bad('hostname', refused(checked.problem));
    hostname = checked.name;
  }

  const ntp = checkNtpServers((stringListAt(doc, 'ntp', bad) ?? []).join(' '));
  if (typeof ntp === 'string') return bad('ntp', refused(ntp));

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
      const cidr = checkStaticAddress(address.trim());
      if (typeof cidr === 'string') return bad('network.address', refused(cidr));
      const gateway = (stringAt(net, 'network.gateway', bad) ?? '').trim();
      const gatewayProblem = gateway === '' ? undefined : checkGateway(gateway, cidr);
      if (gatewayProblem !== undefined) bad('network.gateway', refused(gatewayProblem));
      const dns = checkDnsServers((stringListAt(net, 'network.dns', bad) ?? []).join(' '));
      if (typeof dns === 'string') return bad('network.dns', refused(dns));
      network = { mac, mode: 'static', address: `${cidr.ip}/${cidr.prefix}`, gateway, dns: [...dns] };
    } else {
      bad('network.mode', `is ${JSON.stringify(mode)}: use "dhcp" or "static"`);
    }
  }

  let admin: AnswerFile['admin'] = null;
  if (doc.admin !== undefined) {
    const table = tableAt(doc, 'admin', bad);
    checkKeys(table, 'admin', source);
    const name = stringAt(table, 'admin.name', bad) ?? bad('admin.name', 'is missing: the first cloud admin\'s user name');
    if (!USER_NAME_PATTERN.test(name)) bad('admin.name', `is ${JSON.stringify(name)}: ${USER_NAME_RULE}`);
    const password = stringAt(table, 'admin.password', bad);
    const passwordFile = stringAt(table, 'admin.password_file', bad);
    if (password !== undefined && passwordFile !== undefined) bad('admin.password', 'and admin.password_file are both given: keep one');
    if (password === undefined && passwordFile === undefined) bad('admin.password', 'is missing: give password or password_file');
    const weak = password === undefined ? undefined : passwordProblem(password);
    if (weak !== undefined) bad('admin.password', weak);
    if (passwordFile !== undefined && !passwordFile.startsWith('/')) bad('admin.password_file', 'is not an absolute path');
    admin = { name, ...(password !== undefined ? { password } : {}), ...(passwordFile !== undefined ? { passwordFile } : {}) };
  }

  return { target: { disk, wipe }, hostname, network, ntp: [...ntp], admin, after: afterRaw as AfterAction };
}

/** A problem from the shared checks, as the rest of an ANSWERS_INVALID message. */
function refused(problem: string): string {
  return `is not accepted: ${problem}`;
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
