import { createHash, createHmac } from 'node:crypto';
import { Type, type Static } from '@sinclair/typebox';
import { InventorySchema } from './host.ts';

// Enrolment: POST /api/v1/enrolments on the controller's HTTPS port. The
// request is authenticated by the host key (an Ed25519 signature over the
// canonical payload below, with a timestamp and a nonce against replay) and,
// optionally, a join token. Without a token the host waits as "pending" until
// an operator approves it; the agent repeats the request until then.

export const ENROLMENT_PATH = '/api/v1/enrolments';
/** How far a request's timestamp may be from the controller's clock. */
export const ENROLMENT_CLOCK_SKEW_MS = 5 * 60_000;

export const EnrolmentRequest = Type.Object(
  {
    /** SPKI PEM of the host's Ed25519 identity key; its hash is the host id. */
    hostKey: Type.String({ maxLength: 1024 }),
    /** SPKI PEM of the ECDSA P-256 key the certificate will be issued for (mbedtls cannot use Ed25519). */
    tlsKey: Type.String({ maxLength: 1024 }),
    name: Type.String({ minLength: 1, maxLength: 63, pattern: '^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?$' }),
    /** The id part of the join token, if the host has one; the secret never travels (see proof). */
    joinTokenId: Type.Optional(Type.String({ maxLength: 64, pattern: '^[a-z0-9]+$' })),
    /** joinHmac(joinSecretKey(secret), enrolmentPayload(request)): proves the host holds the join secret. */
    joinProof: Type.Optional(Type.String({ maxLength: 128, pattern: '^[a-f0-9]+$' })),
    timestamp: Type.String({ format: 'date-time', maxLength: 40 }),
    nonce: Type.String({ minLength: 16, maxLength: 64, pattern: '^[A-Za-z0-9_-]+$' }),
    addresses: Type.Array(Type.String({ maxLength: 64 }), { maxItems: 64 }),
    agentVersion: Type.String({ maxLength: 64 }),
    inventory: Type.Union([InventorySchema, Type.Null()]),
    /** base64 Ed25519 signature of enrolmentPayload(request) by the host key. */
    signature: Type.String({ maxLength: 256 }),
  },
  { additionalProperties: false },
);
export type EnrolmentRequest = Static<typeof EnrolmentRequest>;

export const EnrolmentAnswer = Type.Union([
  Type.Object({ state: Type.Literal('pending'), hostId: Type.String(), message: Type.String() }),
  Type.Object({
    state: Type.Literal('admitted'),
    hostId: Type.String(),
    /** PEM certificate for tlsKey, signed by the cluster CA, client and server use. */
    certificate: Type.String(),
    /** PEM of the cluster CA: the agent trusts the controller's bus through it from now on. */
    clusterCa: Type.String(),
    /** Sent with every bus call; only its hash is stored. */
    credential: Type.String(),
    /** Port of controller.listen, dialled as tls+tcp on the address enrolment used. */
    busPort: Type.Integer({ minimum: 1, maximum: 65535 }),
    /**
     * With a join token: joinHmac(joinSecretKey(secret), controllerProofPayload(hostId, caFingerprint(clusterCa))),
     * so the agent knows the controller holds the token too (and the CA it sent is the cluster's).
     */
    controllerProof: Type.Union([Type.String(), Type.Null()]),
    /**
     * The name in the controller's bus certificate: the agent dials busPort with
     * tls.serverName set to it. Every host certificate is signed by the same CA,
     * so without the name check another host could pose as the controller.
     */
    busServerName: Type.String(),
  }),
]);
export type EnrolmentAnswer = Static<typeof EnrolmentAnswer>;

/** The bytes the host key signs and the join secret authenticates: every field but the signature and proof. */
export function enrolmentPayload(request: Omit<EnrolmentRequest, 'signature' | 'joinProof'>): Buffer {
  const inventoryHash = request.inventory === null ? '' : createHash('sha256').update(JSON.stringify(request.inventory)).digest('hex');
  return Buffer.from(
    [
      'alliance-enrolment-v1',
      request.hostKey.trim(),
      request.tlsKey.trim(),
      request.name,
      request.joinTokenId ?? '',
      request.timestamp,
      request.nonce,
      request.addresses.join(','),
      request.agentVersion,
      inventoryHash,
    ].join('\n'),
  );
}

/** What the controller's proof covers. */
export function controllerProofPayload(hostId: string, clusterCaFingerprint: string): Buffer {
  return Buffer.from(`alliance-enrolment-admitted-v1\n${hostId}\n${clusterCaFingerprint}`);
}

/**
 * The key both sides derive from a join secret: SHA-256 of its UTF-8 text. The
 * controller stores only this (join_tokens.secret_hash, as hex), never the
 * secret, and proves and checks proofs with it.
 */
export function joinSecretKey(secret: string): Buffer {
  return createHash('sha256').update(secret, 'utf8').digest();
}

/** HMAC-SHA256 of `payload` keyed with joinSecretKey(secret), as lower-case hex: joinProof and controllerProof. */
export function joinHmac(key: Uint8Array, payload: Uint8Array): string {
  return createHmac('sha256', key).update(payload).digest('hex');
}

/**
 * A join code as operators copy it: `<id>.<secret>`, both lower-case base32.
 * Returns undefined for anything else.
 */
export function parseJoinCode(code: string): { id: string; secret: string } | undefined {
  const m = /^([a-z2-7]{8,32})\.([a-z2-7]{32,64})$/.exec(code.trim());
  return m === null ? undefined : { id: m[1]!, secret: m[2]! };
}

export function formatJoinCode(id: string, secret: string): string {
  return `${id}.${secret}`;
}
