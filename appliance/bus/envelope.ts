import { decode, encode } from '@msgpack/msgpack';
import { busErrors } from './errors.ts';

/** The version this code speaks; a receiver answers any other with APL_BUS_UNSUPPORTED_VERSION. */
export const ENVELOPE_VERSION = 1;

/** Default limit on an encoded message; sockets are given the same limit so oversized frames never reach us. */
export const DEFAULT_MAX_MESSAGE_BYTES = 1024 * 1024;

export interface RequestEnvelope {
  readonly v: 1;
  readonly t: 'req';
  readonly id: string;
  readonly method: string;
  /** Epoch milliseconds after which the caller has given up. */
  readonly deadline: number;
  readonly key?: string | undefined;
  /** The caller's credential where a method needs to know who calls (a host's, say); never logged. */
  readonly cred?: string | undefined;
  readonly params: unknown;
}

export interface WireError {
  readonly code: string;
  readonly message: string;
}

export type ResponseEnvelope =
  | { readonly v: 1; readonly t: 'res'; readonly id: string; readonly ok: true; readonly result: unknown }
  | { readonly v: 1; readonly t: 'res'; readonly id: string; readonly ok: false; readonly error: WireError };

export interface EventEnvelope {
  readonly v: 1;
  readonly t: 'evt';
  readonly topic: string;
  readonly at: string;
  readonly body: unknown;
}

export type Envelope = RequestEnvelope | ResponseEnvelope | EventEnvelope;

export const TOPIC_PATTERN = /^[a-z][a-z0-9_.-]{0,127}$/;
const TOPIC_SEPARATOR = 0;

export function encodeEnvelope(envelope: Envelope, limit = DEFAULT_MAX_MESSAGE_BYTES): Buffer {
  const bytes = encode(envelope, { ignoreUndefined: true });
  if (bytes.byteLength > limit) throw busErrors.TOO_LARGE({ size: bytes.byteLength, limit });
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * Decodes and checks the shape of an envelope. Anything else (garbage, wrong
 * version, missing fields, oversized) is an AllianceError, never a crash.
 */
export function decodeEnvelope(bytes: Uint8Array, limit = DEFAULT_MAX_MESSAGE_BYTES): Envelope {
  if (bytes.byteLength > limit) throw busErrors.TOO_LARGE({ size: bytes.byteLength, limit });
  let value: unknown;
  try {
    value = decode(bytes, { maxStrLength: limit, maxBinLength: limit, maxArrayLength: 100_000, maxMapLength: 100_000 });
  } catch (err) {
    throw busErrors.BAD_ENVELOPE({ problem: `not msgpack (${(err as Error).message})` });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw busErrors.BAD_ENVELOPE({ problem: 'not a map' });
  const e = value as Record<string, unknown>;
  if (e.v !== ENVELOPE_VERSION) throw busErrors.UNSUPPORTED_VERSION({ version: String(e.v), supported: ENVELOPE_VERSION });
  const need = (field: string, type: 'string' | 'number' | 'boolean'): void => {
    if (typeof e[field] !== type) throw busErrors.BAD_ENVELOPE({ problem: `field ${field} must be a ${type}` });
  };
  switch (e.t) {
    case 'req':
      need('id', 'string');
      need('method', 'string');
      need('deadline', 'number');
      if (e.key !== undefined) need('key', 'string');
      if (e.cred !== undefined) need('cred', 'string');
      return e as unknown as RequestEnvelope;
    case 'res':
      need('id', 'string');
      need('ok', 'boolean');
      if (e.ok === false) {
        const error = e.error as Record<string, unknown> | undefined;
        if (typeof error?.code !== 'string' || typeof error.message !== 'string') throw busErrors.BAD_ENVELOPE({ problem: 'an error answer needs error.code and error.message' });
      }
      return e as unknown as ResponseEnvelope;
    case 'evt':
      need('topic', 'string');
      need('at', 'string');
      return e as unknown as EventEnvelope;
    default:
      throw busErrors.BAD_ENVELOPE({ problem: `unknown kind ${JSON.stringify(e.t) ?? 'undefined'}` });
  }
}

/** Events travel as `<topic> NUL <envelope>` so subscribers filter by topic prefix inside nng. */
export function frameEvent(envelope: EventEnvelope, limit = DEFAULT_MAX_MESSAGE_BYTES): Buffer {
  if (!TOPIC_PATTERN.test(envelope.topic)) throw busErrors.BAD_ENVELOPE({ problem: `topic ${JSON.stringify(envelope.topic)} must match ${TOPIC_PATTERN.source}` });
  return Buffer.concat([Buffer.from(envelope.topic), Buffer.of(TOPIC_SEPARATOR), encodeEnvelope(envelope, limit)]);
}

export function unframeEvent(bytes: Buffer, limit = DEFAULT_MAX_MESSAGE_BYTES): EventEnvelope {
  const cut = bytes.indexOf(TOPIC_SEPARATOR);
  if (cut <= 0) throw busErrors.BAD_ENVELOPE({ problem: 'event without a topic' });
  const envelope = decodeEnvelope(bytes.subarray(cut + 1), limit);
  if (envelope.t !== 'evt' || envelope.topic !== bytes.subarray(0, cut).toString()) throw busErrors.BAD_ENVELOPE({ problem: 'event frame and envelope disagree' });
  return envelope;
}
