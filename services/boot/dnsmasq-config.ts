import { isInterfaceName, isIPv4, isNetmask, ipv4ToNumber, sameSubnet, subnetOf } from './_dhcp-values.ts';
import { bootErrors } from './errors.ts';

// The whole dnsmasq configuration of the provisioning network, rendered from
// the boot settings. dnsmasq is started as `dnsmasq --conf-file=<this file>`,
// so neither /etc/dnsmasq.conf nor a conf-dir is read. Per-host decisions are
// not made here: dnsmasq only tells BIOS, UEFI x86-64, UEFI arm64 and iPXE
// apart, and the HTTP iPXE endpoint decides what a host boots.

/** Full DHCP: the appliance hands out addresses on the provisioning network. */
export interface DhcpMode {
  readonly kind: 'dhcp';
  readonly rangeStart: string;
  readonly rangeEnd: string;
  readonly netmask: string;
  /** At least 120 (dnsmasq's minimum). */
  readonly leaseSeconds: number;
  /** Default gateway to hand out; none is sent when absent. */
  readonly router?: string | undefined;
  /** DNS servers to hand out; none are sent when absent or empty. */
  readonly dns?: readonly string[] | undefined;
}

/** proxyDHCP: another server hands out addresses, dnsmasq adds only the boot information. */
export interface ProxyMode {
  readonly kind: 'proxy';
  /** The subnet the other DHCP server serves (the server address must be in it). */
  readonly subnet: string;
  readonly netmask: string;
}

/** First-stage boot files in the TFTP root, as Debian's `ipxe` package names them. */
export interface BootFiles {
  readonly bios: string;
  readonly efiX64: string;
  /** Absent: arm64 UEFI clients get no boot file. */
  readonly efiArm64?: string | undefined;
}

export const DEBIAN_BOOT_FILES: BootFiles = { bios: 'undionly.kpxe', efiX64: 'snponly.efi' };

export interface DnsmasqSpec {
  /** The provisioning interface dnsmasq binds to. */
  readonly interface: string;
  /** The appliance's address on that interface: TFTP server and iPXE endpoint. */
  readonly serverAddress: string;
  readonly mode: DhcpMode | ProxyMode;
  /** Port of the HTTP iPXE endpoint. */
  readonly httpPort: number;
  /** Path of the iPXE script on that endpoint, e.g. /boot/ipxe. */
  readonly ipxePath: string;
  readonly tftpRoot: string;
  readonly bootFiles: BootFiles;
  /** dhcp-hostsdir: one renderHostRecord() file per known host. */
  readonly hostsDir: string;
  /** dhcp-script: the wrapper renderLeaseHookWrapper() writes. */
  readonly leaseHook: string;
  /** Unknown MACs: boot them into enrolment (discover) or do not answer them (ignore). */
  readonly unknownMacs: 'discover' | 'ignore';
}

export interface RenderDnsmasqOptions {
  /** Adds log-dhcp: every DHCP exchange in dnsmasq's log. */
  readonly logDhcp?: boolean;
}

const PATH = /^\/[A-Za-z0-9._/-]*$/;
const BOOT_FILE = /^[A-Za-z0-9_][A-Za-z0-9._/-]*$/;
const URL_PATH = /^\/[A-Za-z0-9._~/-]*$/;

function invalid(field: string, problem: string): never {
  throw bootErrors.DNSMASQ_SPEC_INVALID({ field, problem });
}

function describe(value: unknown): string {
  const text = typeof value === 'string' ? JSON.stringify(value) : String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

function checkAddress(field: string, value: unknown): string {
  if (!isIPv4(value)) invalid(field, `is ${describe(value)}, not an IPv4 address like 192.0.2.1`);
  return value;
}

function checkPath(field: string, value: unknown): string {
  if (typeof value !== 'string' || !PATH.test(value) || value.split('/').includes('..') || value.length > 1024) {
    invalid(field, `is ${describe(value)}, not an absolute path of letters, digits and . _ - /`);
  }
  return value;
}

function checkBootFile(field: string, value: unknown): string {
  if (typeof value !== 'string' || !BOOT_FILE.test(value) || value.split('/').includes('..') || value.length > 128) {
    invalid(field, `is ${describe(value)}, not a file name under the TFTP root of letters, digits and . _ - /`);
  }
  return value;
}

/** Checks every value of the spec; throws APL_BOOT_DNSMASQ_SPEC_INVALID naming the first bad one. */
export function validateDnsmasqSpec(spec: DnsmasqSpec): void {
  if (!isInterfaceName(spec.interface)) {
    invalid('interface', `is ${describe(spec.interface)}, not a network interface name (up to 15 letters, digits and . _ -)`);
  }
  const server = checkAddress('serverAddress', spec.serverAddress);
  if (!Number.isInteger(spec.httpPort) || spec.httpPort < 1 || spec.httpPort > 65535) invalid('httpPort', `is ${describe(spec.httpPort)}, not a port from 1 to 65535`);
  if (typeof spec.ipxePath !== 'string' || !URL_PATH.test(spec.ipxePath) || spec.ipxePath.length > 256) {
    invalid('ipxePath', `is ${describe(spec.ipxePath)}, not a URL path of letters, digits and . _ ~ - /`);
  }
  checkPath('tftpRoot', spec.tftpRoot);
  checkPath('hostsDir', spec.hostsDir);
  checkPath('leaseHook', spec.leaseHook);
  checkBootFile('bootFiles.bios', spec.bootFiles.bios);
  checkBootFile('bootFiles.efiX64', spec.bootFiles.efiX64);
  if (spec.bootFiles.efiArm64 !== undefined) checkBootFile('bootFiles.efiArm64', spec.bootFiles.efiArm64);
  if (spec.unknownMacs !== 'discover' && spec.unknownMacs !== 'ignore') invalid('unknownMacs', `is ${describe(spec.unknownMacs)}, not discover or ignore`);

  const mode = spec.mode;
  if (mode.kind === 'dhcp') {
    if (!isNetmask(mode.netmask)) invalid('mode.netmask', `is ${describe(mode.netmask)}, not a netmask like 255.255.255.0`);
    const start = checkAddress('mode.rangeStart', mode.rangeStart);
    const end = checkAddress('mode.rangeEnd', mode.rangeEnd);
    if (ipv4ToNumber(start) > ipv4ToNumber(end)) invalid('mode.rangeEnd', `${end} comes before the range start ${start}`);
    for (const [field, ip] of [['mode.rangeStart', start], ['mode.rangeEnd', end]] as const) {
      if (!sameSubnet(ip, server, mode.netmask)) invalid(field, `${ip} is not in the subnet of the server address ${server}/${mode.netmask}`);
    }
    if (!Number.isInteger(mode.leaseSeconds) || mode.leaseSeconds < 120 || mode.leaseSeconds > 31_536_000) {
      invalid('mode.leaseSeconds', `is ${describe(mode.leaseSeconds)}, not a whole number of seconds from 120 to 31536000`);
    }
    if (mode.router !== undefined) checkAddress('mode.router', mode.router);
    if (mode.dns !== undefined) {
      if (!Array.isArray(mode.dns) || mode.dns.length > 8) invalid('mode.dns', 'must be a list of at most 8 addresses');
      mode.dns.forEach((ip, i) => checkAddress(`mode.dns[${i}]`, ip));
    }
  } else if (mode.kind === 'proxy') {
    if (!isNetmask(mode.netmask)) invalid('mode.netmask', `is ${describe(mode.netmask)}, not a netmask like 255.255.255.0`);
    const subnet = checkAddress('mode.subnet', mode.subnet);
    if (subnetOf(subnet, mode.netmask) !== subnet) invalid('mode.subnet', `${subnet} is not the network address of a /${mode.netmask} subnet`);
    if (!sameSubnet(subnet, server, mode.netmask)) invalid('serverAddress', `${server} is not in the proxied subnet ${subnet}/${mode.netmask}`);
  } else {
    invalid('mode.kind', `is ${describe((mode as { kind: unknown }).kind)}, not dhcp or proxy`);
  }
}

/** The iPXE script URL dnsmasq hands to clients already running iPXE. */
export function ipxeScriptUrl(spec: Pick<DnsmasqSpec, 'serverAddress' | 'httpPort' | 'ipxePath'>): string {
  return `http://${spec.serverAddress}:${spec.httpPort}${spec.ipxePath}`;
}

/** The whole dnsmasq configuration file for the spec (validated first). Pure. */
export function renderDnsmasqConfig(spec: DnsmasqSpec, options: RenderDnsmasqOptions = {}): string {
  validateDnsmasqSpec(spec);
  const url = ipxeScriptUrl(spec);
  const { bios, efiX64, efiArm64 } = spec.bootFiles;
  const lines: string[] = [
    '# Rendered by the Alliance boot service; edits are overwritten.',
    '# Run as: dnsmasq --conf-file=<this file> (no /etc/dnsmasq.conf or conf-dir is read).',
    'keep-in-foreground',
    'log-facility=-',
    ...(options.logDhcp === true ? ['log-dhcp'] : []),
    '# No DNS: DHCP and TFTP only; nothing from /etc/hosts or /etc/resolv.conf.',
    'port=0',
    'no-hosts',
    'no-resolv',
    `interface=${spec.interface}`,
    'bind-interfaces',
    '',
    '# The appliance owns the leases: the hook stores every change and prints them at start (init).',
    'leasefile-ro',
    `dhcp-script=${spec.leaseHook}`,
    '# One file per known host: MAC,IP,name / MAC,name / MAC,ignore (never set: tags, dnsmasq 2.90 crashes on SIGHUP with them).',
    `dhcp-hostsdir=${spec.hostsDir}`,
    '',
  ];

  const mode = spec.mode;
  if (mode.kind === 'dhcp') {
    lines.push(
      '# Full DHCP on the provisioning network (an empty option 3 or 6 sends no router or DNS server).',
      `dhcp-range=${mode.rangeStart},${mode.rangeEnd},${mode.netmask},${mode.leaseSeconds}`,
      'dhcp-authoritative',
      mode.router === undefined ? 'dhcp-option=3' : `dhcp-option=option:router,${mode.router}`,
      mode.dns === undefined || mode.dns.length === 0 ? 'dhcp-option=6' : `dhcp-option=option:dns-server,${mode.dns.join(',')}`,
    );
  } else {
    lines.push(
      '# proxyDHCP: another server hands out addresses; only PXE clients get boot information from here.',
      `dhcp-range=${mode.subnet},proxy,${mode.netmask}`,
      '# PXE discovery control: no multicast or broadcast discovery, boot the offered file at once.',
      'dhcp-option=vendor:PXEClient,6,2b',
    );
  }
  if (spec.unknownMacs === 'ignore') {
    lines.push('# Unknown MACs are not answered; a host is known by its file in the hosts directory.', 'dhcp-ignore=tag:!known');
  } else {
    lines.push('# Unknown MACs are answered and boot into enrolment (the iPXE endpoint decides).');
  }

  lines.push(
    '',
    '# Client classes (DHCP option 93 client-arch; iPXE says so in option 175 or its user class).',
    'dhcp-vendorclass=set:pxe,PXEClient',
    'dhcp-match=set:bios,option:client-arch,0',
    'dhcp-match=set:efi-x64,option:client-arch,7',
    'dhcp-match=set:efi-x64,option:client-arch,9',
    'dhcp-match=set:efi-arm64,option:client-arch,11',
    'dhcp-match=set:ipxe,175',
    'dhcp-userclass=set:ipxe,iPXE',
    '',
    '# TFTP serves only the first stage, the iPXE binaries.',
    'enable-tftp',
    `tftp-root=${spec.tftpRoot}`,
    '',
  );

  if (mode.kind === 'dhcp') {
    lines.push(
      '# iPXE fetches its script over HTTP (this breaks the chainload loop); firmware PXE gets iPXE by TFTP;',
      '# a client that is not PXE (an agent asking for its own address) gets no boot file.',
      `dhcp-boot=tag:ipxe,${url}`,
      `dhcp-boot=tag:pxe,tag:!ipxe,tag:bios,${bios}`,
      `dhcp-boot=tag:pxe,tag:!ipxe,tag:efi-x64,${efiX64}`,
      ...(efiArm64 === undefined ? ['# arm64 UEFI: no boot file configured.'] : [`dhcp-boot=tag:pxe,tag:!ipxe,tag:efi-arm64,${efiArm64}`]),
    );
  } else {
    lines.push(
      '# iPXE fetches its script over HTTP (this breaks the chainload loop); firmware PXE gets iPXE by TFTP.',
      '# In proxy mode only PXE clients are answered, so an agent asking for its own address gets nothing from here.',
      `dhcp-boot=tag:ipxe,${url}`,
      `pxe-service=tag:ipxe,x86PC,"Alliance iPXE script",${url}`,
      `pxe-service=tag:ipxe,BC_EFI,"Alliance iPXE script",${url}`,
      `pxe-service=tag:ipxe,X86-64_EFI,"Alliance iPXE script",${url}`,
      ...(efiArm64 === undefined ? [] : [`pxe-service=tag:ipxe,11,"Alliance iPXE script",${url}`]),
      `pxe-service=tag:!ipxe,x86PC,"Alliance network boot",${bios}`,
      `pxe-service=tag:!ipxe,BC_EFI,"Alliance network boot",${efiX64}`,
      `pxe-service=tag:!ipxe,X86-64_EFI,"Alliance network boot",${efiX64}`,
      ...(efiArm64 === undefined ? ['# arm64 UEFI: no boot file configured.'] : [`pxe-service=tag:!ipxe,11,"Alliance network boot",${efiArm64}`]),
    );
  }
  return `${lines.join('\n')}\n`;
}

export interface LeaseHookWrapperSpec {
  /** The `alliance` executable, e.g. /usr/bin/alliance. */
  readonly executable: string;
  /** Its arguments before dnsmasq's, e.g. ['boot', 'lease-hook']. */
  readonly args: readonly string[];
}

const WORD = /^[A-Za-z0-9._=/-]+$/;

/**
 * The shell script dhcp-script points at: dnsmasq runs one path with its own
 * arguments, so this wrapper execs `alliance <args> <dnsmasq's arguments>`,
 * keeping dnsmasq's DNSMASQ_* environment. Pure; the driver writes it 0755.
 */
export function renderLeaseHookWrapper(spec: LeaseHookWrapperSpec): string {
  checkPath('leaseHook.executable', spec.executable);
  spec.args.forEach((arg, i) => {
    if (typeof arg !== 'string' || !WORD.test(arg)) invalid(`leaseHook.args[${i}]`, `is ${describe(arg)}, not a word of letters, digits and . _ = / -`);
  });
  return ['#!/bin/sh', '# dnsmasq dhcp-script: rendered by the Alliance boot service; edits are overwritten.', `exec ${[spec.executable, ...spec.args].join(' ')} "$@"`, ''].join('\n');
}
