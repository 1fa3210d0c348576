import { createPublicKey, type KeyObject } from 'node:crypto';
import { enrolmentPayload, type EnrolmentRequest } from '../../../appliance/contracts/index.ts';
import { isSpkiPem, nodeIdOf, sha256Hex, verifySignature } from '../../../appliance/identity/index.ts';

/** What the request proves by itself, before the store is asked anything. */
export type EnrolmentRequestCheck =
  | { readonly ok: false; readonly problem: 'host-key' | 'tls-key'; readonly reason: string; readonly hostId: string | undefined }
  | {
      readonly ok: true;
      /** nodeIdOf(hostKey): who the request says it is (proven only when signatureValid). */
      readonly hostId: string;
      /** enrolmentPayload(request): what the signature and the join proof cover. */
      readonly payload: Buffer;
      readonly signatureValid: boolean;
      /** |now - timestamp| in ms; NaN when the timestamp does not parse. */
      readonly skewMs: number;
      readonly timestampMs: number;
      /** SHA-256 (hex) of the signature bytes: the replay table's key. */
      readonly signatureHash: string;
    };

/**
 * Parses the keys and checks the signature and clock of an enrolment request.
 * No store, no clock of its own: `now` is passed in.
 */
export function checkEnrolmentRequest(request: EnrolmentRequest, now: Date): EnrolmentRequestCheck {
  let hostKey: KeyObject;
  try {
    hostKey = publicKeyFrom(request.hostKey);
  } catch (err) {
    return { ok: false, problem: 'host-key', reason: (err as Error).message.split('\n')[0] ?? 'unreadable', hostId: undefined };
  }
  if (hostKey.asymmetricKeyType !== 'ed25519') return { ok: false, problem: 'host-key', reason: `the key is ${hostKey.asymmetricKeyType ?? 'of an unknown type'}`, hostId: undefined };
  const hostId = nodeIdOf(hostKey);

  let tlsKey: KeyObject;
  try {
    tlsKey = publicKeyFrom(request.tlsKey);
  } catch (err) {
    return { ok: false, problem: 'tls-key', reason: (err as Error).message.split('\n')[0] ?? 'unreadable', hostId };
  }
  if (tlsKey.asymmetricKeyType !== 'ec' || tlsKey.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    return { ok: false, problem: 'tls-key', reason: `the key is ${tlsKey.asymmetricKeyType ?? 'unknown'} ${tlsKey.asymmetricKeyDetails?.namedCurve ?? ''}`.trim(), hostId };
  }

  const payload = enrolmentPayload(request);
  const signature = Buffer.from(request.signature, 'base64');
  let signatureValid = false;
  try {
    signatureValid = signature.length === 64 && verifySignature(hostKey, payload, signature);
  } catch {
    signatureValid = false;
  }
  const timestampMs = Date.parse(request.timestamp);
  return {
    ok: true,
    hostId,
    payload,
    signatureValid,
    skewMs: Math.abs(now.getTime() - timestampMs),
    timestampMs,
    signatureHash: sha256Hex(signature),
  };
}

/** A public key from SPKI PEM only: createPublicKey() would also derive one from a private key. */
function publicKeyFrom(pem: string): KeyObject {
  if (!isSpkiPem(pem)) throw new Error('not a PEM "PUBLIC KEY" (SPKI)');
  return createPublicKey({ key: pem, format: 'pem' });
}
