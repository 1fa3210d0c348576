import { bootErrors } from '../errors.ts';
import { type DriverOutcome, type PowerOperation } from './power-driver.ts';
import { type SecretValue } from './secret-value.ts';

// Redfish power control as plain requests and answers (DMTF DSP0266 and the
// ComputerSystem schema): the power state is the PowerState property of
// GET /redfish/v1/Systems/<id>; power changes are POST
// .../Actions/ComputerSystem.Reset with a ResetType. A BMC asked for the state it
// is already in answers 409 (or 400 saying so); that counts as done, since the
// state machine verifies by reading back anyway.

export interface RedfishTarget {
  /** `https://bmc1.lan` or `https://10.0.0.9:8443`, no path. */
  readonly baseUrl: string;
  /** The member of /redfish/v1/Systems, often `1`, `System.Embedded.1` or a UUID. */
  readonly systemId: string;
  readonly user: string;
}

export type RedfishOperation = PowerOperation | 'force-restart';

export interface RedfishRequest {
  readonly method: 'GET' | 'POST';
  readonly url: string;
  /** Carries the Authorization header: never log a request, log describeRedfishRequest(). */
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
}

export interface RedfishResponse {
  readonly status: number;
  readonly body: string;
}

const BASE = /^https?:\/\/(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?)(?::\d{1,5})?$/;
const SYSTEM_ID = /^[A-Za-z0-9._-]{1,128}$/;
const RESET_TYPES: Record<Exclude<RedfishOperation, 'read-state'>, string> = { 'power-on': 'On', 'power-off': 'ForceOff', 'force-restart': 'ForceRestart' };

/** The URL of the system resource. */
export function redfishSystemUrl(target: RedfishTarget): string {
  if (!BASE.test(target.baseUrl)) throw bootErrors.PARAM_INVALID({ name: 'Redfish URL', value: target.baseUrl.replace(/[^\x20-\x7e]/g, '?').slice(0, 80) });
  if (!SYSTEM_ID.test(target.systemId)) throw bootErrors.PARAM_INVALID({ name: 'Redfish system id', value: target.systemId.replace(/[^\x20-\x7e]/g, '?').slice(0, 80) });
  return `${target.baseUrl}/redfish/v1/Systems/${target.systemId}`;
}

export function buildRedfishRequest(target: RedfishTarget, options: { operation: RedfishOperation; password: SecretValue }): RedfishRequest {
  const url = redfishSystemUrl(target);
  if (target.user === '' || target.user.includes(':') || /[^\x20-\x7e]/.test(target.user)) throw bootErrors.PARAM_INVALID({ name: 'Redfish user', value: target.user.replace(/[^\x20-\x7e]/g, '?').slice(0, 80) });
  const headers = {
    'Accept': 'application/json',
    'Authorization': `Basic ${Buffer.from(`${target.user}:${options.password.reveal()}`, 'utf8').toString('base64')}`,
    'OData-Version': '4.0',
  };
  if (options.operation === 'read-state') return { method: 'GET', url, headers };
  return {
    method: 'POST',
    url: `${url}/Actions/ComputerSystem.Reset`,
    headers: { ...headers, 'Content-Type': 'application/json' },
    body: JSON.stringify({ ResetType: RESET_TYPES[options.operation] }),
  };
}

/** `POST https://bmc/redfish/v1/Systems/1/Actions/ComputerSystem.Reset {"ResetType":"ForceOff"}`: no headers, so no credentials. */
export function describeRedfishRequest(request: RedfishRequest): string {
  return `${request.method} ${request.url}${request.body === undefined ? '' : ` ${request.body}`}`;
}

export function interpretRedfishResponse(operation: RedfishOperation, response: RedfishResponse): DriverOutcome {
  const { status } = response;
  const body = parseJson(response.body);
  if (status === 401 || status === 403) return { ok: false, failure: { kind: 'auth', message: `HTTP ${status}${said(body)}` } };
  if (operation === 'read-state') {
    if (status !== 200) return { ok: false, failure: { kind: 'failed', message: `HTTP ${status} reading the system${said(body)}` } };
    const state = typeof body === 'object' && body !== null ? (body as { PowerState?: unknown }).PowerState : undefined;
    // PoweringOff is not off yet: only Off fences.
    if (state === 'Off') return { ok: true, power: 'off' };
    if (state === 'On' || state === 'PoweringOn' || state === 'PoweringOff' || state === 'Paused') return { ok: true, power: 'on' };
    return { ok: false, failure: { kind: 'failed', message: `the system has no PowerState the fence understands (${typeof state === 'string' ? clean(state) : String(state)})` } };
  }
  if (status === 200 || status === 202 || status === 204) return { ok: true };
  if (status === 409) return { ok: true };
  if (status === 400 && /already|NoOperation/i.test(said(body))) return { ok: true };
  return { ok: false, failure: { kind: status === 503 ? 'unreachable' : 'failed', message: `HTTP ${status} to ComputerSystem.Reset ${RESET_TYPES[operation]}${said(body)}` } };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** `: <message>` from a Redfish error body (error.message, then its first extended info), or nothing. */
function said(body: unknown): string {
  const error = typeof body === 'object' && body !== null ? (body as { error?: unknown }).error : undefined;
  if (typeof error !== 'object' || error === null) return '';
  const e = error as { 'message'?: unknown; '@Message.ExtendedInfo'?: unknown };
  const info = Array.isArray(e['@Message.ExtendedInfo']) ? (e['@Message.ExtendedInfo'] as unknown[])[0] : undefined;
  const infoMessage = typeof info === 'object' && info !== null ? (info as { Message?: unknown; MessageId?: unknown }) : {};
  const parts = [e.message, infoMessage.Message, infoMessage.MessageId].filter((p, i, all): p is string => typeof p === 'string' && p.trim() !== '' && all.indexOf(p) === i);
  return parts.length === 0 ? '' : `: ${clean(parts.join(' '))}`;
}

function clean(text: string): string {
  const t = text.replace(/[^\x20-\x7e]/g, '').trim();
  return t.length > 200 ? `${t.slice(0, 197)}...` : t;
}
