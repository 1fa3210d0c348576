import { X509Certificate } from 'node:crypto';
import { isAllianceError } from '../../appliance/errors/index.ts';
import { bootErrors } from './errors.ts';
import { buildIpmitoolArgv } from './fence/build-ipmitool-argv.ts';
import { redfishSystemUrl } from './fence/redfish-request.ts';
import { parseCertificatePin } from './fence/redfish-transport.ts';

// A host's BMC as the operator (or the controller) sets it, checked before it
// is stored, so a fence never fails on a setting that could have been refused
// at once. The password is checked here but never echoed: no message below
// quotes it.

export interface IpmiBmcSettings {
  readonly driver: 'ipmi';
  /** Host name, IPv4 or IPv6 of the BMC. */
  readonly address: string;
  readonly port?: number;
  readonly username: string;
  readonly cipherSuite?: number;
}

export interface RedfishBmcSettings {
  readonly driver: 'redfish';
  /** `https://host[:port]`, no path. */
  readonly address: string;
  readonly systemId: string;
  readonly username: string;
  /** Canonical `AB:CD:…` SHA-256 of the BMC certificate. */
  readonly tlsFingerprint?: string;
  readonly tlsCaPem?: string;
}

export type BmcSettings = IpmiBmcSettings | RedfishBmcSettings;

/** What boot.bmc.set receives, before checking. */
export interface BmcSettingsInput {
  readonly driver: string;
  readonly address: string;
  readonly port?: number;
  readonly username: string;
  readonly password: string;
  readonly cipherSuite?: number;
  readonly systemId?: string;
  readonly tlsFingerprint?: string;
  readonly tlsCaPem?: string;
}

export const HOST_ID_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$';
const HOST_ID = new RegExp(HOST_ID_PATTERN);
/** IPMI 2.0 keys are 20 bytes; a longer password would be cut by the BMC. */
const IPMI_PASSWORD_BYTES = 20;
const REDFISH_PASSWORD_BYTES = 256;

/** The settings to store, or APL_BOOT_BMC_SETTINGS_INVALID naming the first bad field. */
export function checkBmcSettings(hostId: string, input: BmcSettingsInput): BmcSettings {
  const invalid = (field: string, problem: string): Error => bootErrors.BMC_SETTINGS_INVALID({ host: shown(hostId), field, problem });
  if (!HOST_ID.test(hostId)) throw invalid('the host id', 'must be 1-128 letters, digits, dots, dashes or underscores');
  checkPassword(input.password, input.driver === 'ipmi' ? IPMI_PASSWORD_BYTES : REDFISH_PASSWORD_BYTES, invalid);
  if (input.driver === 'ipmi') {
    for (const field of ['systemId', 'tlsFingerprint', 'tlsCaPem'] as const) if (input[field] !== undefined) throw invalid(field, 'is for Redfish BMCs only');
    const settings: IpmiBmcSettings = {
      driver: 'ipmi',
      address: input.address,
      username: input.username,
      ...(input.port === undefined ? {} : { port: input.port }),
      ...(input.cipherSuite === undefined ? {} : { cipherSuite: input.cipherSuite }),
    };
    try {
      buildIpmitoolArgv({ host: settings.address, user: settings.username, ...(settings.port === undefined ? {} : { port: settings.port }), ...(settings.cipherSuite === undefined ? {} : { cipherSuite: settings.cipherSuite }) }, 'status');
    } catch (e) {
      if (!isAllianceError(e, 'APL_BOOT_PARAM_INVALID')) throw e;
      throw invalid(String(e.params.name), `"${String(e.params.value)}" is not of the form ipmitool accepts (user names: up to 16 letters, digits, . _ @ -)`);
    }
    return settings;
  }
  if (input.driver === 'redfish') {
    for (const field of ['port', 'cipherSuite'] as const) if (input[field] !== undefined) throw invalid(field, 'is for IPMI BMCs only (put a Redfish port in the address)');
    if (!input.address.startsWith('https://')) throw invalid('the address', 'must be an https:// URL: the password travels in every request');
    if (input.systemId === undefined) throw invalid('systemId', 'is required (the member of /redfish/v1/Systems, often 1 or System.Embedded.1)');
    try {
      redfishSystemUrl({ baseUrl: input.address, systemId: input.systemId, user: input.username });
    } catch (e) {
      if (!isAllianceError(e, 'APL_BOOT_PARAM_INVALID')) throw e;
      throw invalid(String(e.params.name), `"${String(e.params.value)}" is not of the expected form (https://host[:port] without a path; a system id of letters, digits, . _ -)`);
    }
    if (input.username === '' || input.username.length > 64 || input.username.includes(':') || /[^\x21-\x7e]/.test(input.username)) throw invalid('the user name', 'must be 1-64 printable characters without spaces or colons');
    if (input.tlsFingerprint === undefined && input.tlsCaPem === undefined) throw invalid('the TLS trust', 'is missing: give tlsFingerprint (SHA-256 of the BMC certificate) or tlsCaPem (the CA that issued it)');
    let tlsFingerprint: string | undefined;
    if (input.tlsFingerprint !== undefined) {
      tlsFingerprint = parseCertificatePin(input.tlsFingerprint);
      if (tlsFingerprint === undefined) throw invalid('tlsFingerprint', 'must be a SHA-256 fingerprint: 64 hex digits, optionally in colon-separated pairs');
    }
    if (input.tlsCaPem !== undefined) checkCaPem(input.tlsCaPem, invalid);
    return {
      driver: 'redfish',
      address: input.address,
      systemId: input.systemId,
      username: input.username,
      ...(tlsFingerprint === undefined ? {} : { tlsFingerprint }),
      ...(input.tlsCaPem === undefined ? {} : { tlsCaPem: input.tlsCaPem }),
    };
  }
  throw invalid('the driver', `"${shown(input.driver)}" is not ipmi or redfish`);
}

/** `ipmi://bmc:623` or the Redfish system URL: where the BMC is, for messages; no secret. */
export function describeBmc(settings: BmcSettings): string {
  if (settings.driver === 'redfish') return redfishSystemUrl({ baseUrl: settings.address, systemId: settings.systemId, user: settings.username });
  const host = settings.address.includes(':') ? `[${settings.address}]` : settings.address;
  return `ipmi://${host}${settings.port === undefined ? '' : `:${settings.port}`}`;
}

function checkPassword(password: string, maxBytes: number, invalid: (field: string, problem: string) => Error): void {
  if (password === '') throw invalid('the password', 'is empty');
  if (Buffer.byteLength(password, 'utf8') > maxBytes) throw invalid('the password', `is longer than the ${maxBytes} bytes this kind of BMC takes`);
  if (/[\x00-\x1f\x7f]/.test(password)) throw invalid('the password', 'contains control characters');
}

function checkCaPem(pem: string, invalid: (field: string, problem: string) => Error): void {
  if (!/^-----BEGIN CERTIFICATE-----[\s\S]+-----END CERTIFICATE-----\s*$/.test(pem.trim())) throw invalid('tlsCaPem', 'is not a PEM certificate');
  // A BMC's own self-signed certificate is a fine trust anchor too, so CA:true is not required.
  try {
    new X509Certificate(pem);
  } catch {
    throw invalid('tlsCaPem', 'does not parse as an X.509 certificate');
  }
}

function shown(value: string): string {
  return value.replace(/[^\x20-\x7e]/g, '?').slice(0, 80);
}
