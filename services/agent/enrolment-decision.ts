import { timingSafeEqual, X509Certificate } from 'node:crypto';
import { Value } from '@sinclair/typebox/value';
import { controllerProofPayload, EnrolmentAnswer, joinHmac, joinSecretKey } from '../../appliance/contracts/index.ts';
import { caFingerprint } from '../../appliance/identity/index.ts';

/** What an enrolment attempt came to, decided from the controller's answer alone. */
export type EnrolmentOutcome =
  | { readonly kind: 'pending'; readonly message: string }
  | {
      readonly kind: 'admitted';
      readonly certificate: string;
      readonly clusterCa: string;
      readonly credential: string;
      readonly busPort: number;
      readonly busServerName: string;
    }
  /** A coded refusal (rejected, retired, bad token, too many pending hosts ...): try again later. */
  | { readonly kind: 'refused'; readonly status: number; readonly code: string; readonly message: string }
  /** Admitted, but the controller could not prove it holds our join token: not our controller. */
  | { readonly kind: 'impostor' }
  /** Not an answer this agent understands. */
  | { readonly kind: 'invalid'; readonly problem: string };

export interface DecideOptions {
  readonly hostId: string;
  /** SPKI PEM of our TLS key: the certificate must be for it. */
  readonly tlsPublicPem: string;
  readonly joinCode?: { readonly id: string; readonly secret: string } | undefined;
}

/**
 * Reads the answer to POST /api/v1/enrolments. An admission is checked before
 * it is believed: it names this host, the certificate is for our TLS key and
 * issued by the cluster CA that came with it, and with a join code the
 * controller's proof holds.
 */
export function decideEnrolment(answer: { readonly status: number; readonly body: unknown }, options: DecideOptions): EnrolmentOutcome {
  const { status, body } = answer;
  if (status >= 400) {
    const error = (body as { error?: { code?: unknown; message?: unknown } } | null)?.error;
    if (typeof error?.code === 'string' && typeof error.message === 'string') {
      return { kind: 'refused', status, code: error.code.slice(0, 64), message: error.message.slice(0, 512) };
    }
    return { kind: 'invalid', problem: `HTTP ${status} without a coded error` };
  }
  if (!Value.Check(EnrolmentAnswer, body)) {
    const first = Value.Errors(EnrolmentAnswer, body).First();
    return { kind: 'invalid', problem: first === undefined ? 'not an enrolment answer' : `${first.path || '/'}: ${first.message}` };
  }
  if (body.hostId !== options.hostId) return { kind: 'invalid', problem: `the answer is for host ${body.hostId.slice(0, 64)}, not this host ${options.hostId}` };
  if (body.state === 'pending') return { kind: 'pending', message: body.message.slice(0, 512) };

  let ca: X509Certificate;
  let cert: X509Certificate;
  try {
    ca = new X509Certificate(body.clusterCa);
    cert = new X509Certificate(body.certificate);
  } catch (err) {
    return { kind: 'invalid', problem: `the cluster CA or the certificate is not a PEM certificate: ${(err as Error).message}` };
  }
  if (options.joinCode !== undefined) {
    const expected = controllerProofOf(options.joinCode.secret, body.hostId, caFingerprint(body.clusterCa));
    if (body.controllerProof === null || !sameHex(body.controllerProof, expected)) return { kind: 'impostor' };
  }
  if (body.busServerName === '') return { kind: 'invalid', problem: 'busServerName is empty' };
  if (!ca.ca) return { kind: 'invalid', problem: 'the cluster CA is not a CA certificate' };
  if (!cert.checkIssued(ca) || !cert.verify(ca.publicKey)) return { kind: 'invalid', problem: 'the certificate was not issued by the cluster CA in the answer' };
  if (cert.publicKey.export({ format: 'pem', type: 'spki' }).toString().trim() !== options.tlsPublicPem.trim()) {
    return { kind: 'invalid', problem: 'the certificate is not for the TLS key this host sent' };
  }
  return { kind: 'admitted', certificate: body.certificate, clusterCa: body.clusterCa, credential: body.credential, busPort: body.busPort, busServerName: body.busServerName };
}

/** The controllerProof a controller holding the join secret sends: joinHmac(joinSecretKey(secret), controllerProofPayload(...)). */
export function controllerProofOf(secret: string, hostId: string, clusterCaFingerprint: string): string {
  return joinHmac(joinSecretKey(secret), controllerProofPayload(hostId, clusterCaFingerprint));
}

function sameHex(a: string, b: string): boolean {
  const x = Buffer.from(a.toLowerCase());
  const y = Buffer.from(b.toLowerCase());
  return x.length === y.length && timingSafeEqual(x, y);
}
