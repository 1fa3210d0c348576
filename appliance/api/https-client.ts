import { X509Certificate } from 'node:crypto';
import { request } from 'node:https';
import { connect, type PeerCertificate } from 'node:tls';
import { apiErrors } from './errors.ts';
import { readAnswer } from './read-answer.ts';

export interface HttpsTarget {
  /** https://host:port, no path. */
  readonly url: string;
  /** Trust exactly this PEM (a CA or the server's own certificate). */
  readonly ca?: string | Buffer | undefined;
  /** Trust the server whose certificate has this SHA-256 fingerprint (AA:BB:...), whoever signed it. */
  readonly fingerprint?: string | undefined;
  readonly timeoutMs?: number;
}

export interface HttpsAnswer {
  readonly status: number;
  readonly body: unknown;
  /** SHA-256 fingerprint of the certificate the server presented. */
  readonly fingerprint: string;
}

const MAX_ANSWER_BYTES = 16 * 1024 * 1024;
const pinned = new Map<string, string>();

/**
 * One JSON request over HTTPS. With a fingerprint, the server's certificate is
 * fetched and compared first, and the request itself then trusts exactly that
 * certificate: nothing (a bearer token, say) is sent before the pin holds.
 */
export async function httpsJson(target: HttpsTarget, method: string, path: string, options: { body?: unknown; headers?: Record<string, string> } = {}): Promise<HttpsAnswer> {
  const url = new URL(path, target.url);
  let ca = target.ca;
  const timeoutMs = target.timeoutMs ?? 10_000;
  const pin = ca === undefined && target.fingerprint ? target.fingerprint : undefined;
  if (pin !== undefined) ca = await pinnedCertificate(url, pin, timeoutMs);
  const payload = options.body === undefined ? undefined : Buffer.from(JSON.stringify(options.body));
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method,
        ca,
        // A pinned certificate is trusted for what it is, not for the name it carries.
        ...(pin !== undefined ? { checkServerIdentity: () => undefined } : {}),
        headers: { accept: 'application/json', ...(payload ? { 'content-type': 'application/json', 'content-length': String(payload.length) } : {}), ...options.headers },
        timeout: timeoutMs,
      },
      (res) => {
        const peer = (res.socket as { getPeerCertificate?: () => PeerCertificate }).getPeerCertificate?.();
        readAnswer(req, res, MAX_ANSWER_BYTES).then((body) => resolve({ status: res.statusCode ?? 0, body, fingerprint: peer?.fingerprint256 ?? '' }), reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer from ${target.url} within ${timeoutMs} ms`)));
    req.on('error', (err) => reject(apiErrors.UNREACHABLE({ url: target.url, reason: err.message }, { cause: err })));
    req.end(payload);
  });
}

/** The server's certificate as PEM, if its fingerprint is the expected one. */
async function pinnedCertificate(url: URL, fingerprint: string, timeoutMs: number): Promise<string> {
  const key = `${url.host}|${fingerprint.toUpperCase()}`;
  const known = pinned.get(key);
  if (known !== undefined) return known;
  const port = Number(url.port || 443);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const raw = await new Promise<Buffer>((resolve, reject) => {
    const socket = connect({ host, port, servername: /^[\d.:]+$/.test(host) ? undefined : host, rejectUnauthorized: false, timeout: timeoutMs }, () => {
      const cert = socket.getPeerCertificate();
      socket.end();
      resolve(cert.raw);
    });
    socket.on('timeout', () => socket.destroy(new Error(`no TLS handshake within ${timeoutMs} ms`)));
    socket.on('error', (err: Error) => reject(apiErrors.UNREACHABLE({ url: url.origin, reason: err.message }, { cause: err })));
  });
  const cert = new X509Certificate(raw);
  if (cert.fingerprint256.toUpperCase() !== fingerprint.toUpperCase()) {
    throw apiErrors.FINGERPRINT_MISMATCH({ url: url.origin, expected: fingerprint.toUpperCase(), found: cert.fingerprint256 });
  }
  pinned.set(key, cert.toString());
  return cert.toString();
}
