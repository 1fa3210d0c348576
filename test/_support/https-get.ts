import { request } from 'node:https';
import type { TLSSocket } from 'node:tls';

export interface HttpsAnswer {
  readonly status: number;
  readonly body: string;
  /** SHA-256 fingerprint of the certificate the server presented. */
  readonly peerFingerprint: string;
}

/**
 * GET over HTTPS trusting exactly the given CA/self-signed PEM, so a test
 * proves the appliance serves the certificate it says it has.
 */
export function httpsGet(url: string, options: { ca: Buffer; headers?: Record<string, string> }): Promise<HttpsAnswer> {
  return new Promise((done, fail) => {
    const req = request(url, { ca: options.ca, headers: options.headers ?? {}, timeout: 10_000 }, (res) => {
      const peer = (res.socket as TLSSocket).getPeerCertificate();
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => done({ status: res.statusCode ?? 0, body, peerFingerprint: peer.fingerprint256 }));
    });
    req.on('timeout', () => req.destroy(new Error(`no answer from ${url}`)));
    req.on('error', fail);
    req.end();
  });
}
