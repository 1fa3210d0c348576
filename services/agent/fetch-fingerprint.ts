import { connect } from 'node:tls';
import { agentErrors } from './errors.ts';
import type { HostPort } from './host-port.ts';

/**
 * The SHA-256 fingerprint of the certificate a TLS server presents, without
 * trusting it: the first step of trust on first use. Nothing is sent but the
 * handshake.
 */
export function fetchFingerprint(target: HostPort, options: { timeoutMs?: number; url: string }): Promise<string> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const host = target.host.replace(/%.*$/, '');
  const numeric = /^[\d.:a-fA-F]+$/.test(host) && (host.includes(':') || /^\d+\.\d+\.\d+\.\d+$/.test(host));
  return new Promise((resolve, reject) => {
    const socket = connect({ host: target.host, port: target.port, servername: numeric ? undefined : host, rejectUnauthorized: false, timeout: timeoutMs }, () => {
      const fingerprint = socket.getPeerCertificate().fingerprint256;
      socket.end();
      if (typeof fingerprint === 'string' && fingerprint !== '') resolve(fingerprint.toUpperCase());
      else reject(agentErrors.CONTROLLER_UNREACHABLE({ url: options.url, reason: 'the server presented no certificate' }));
    });
    socket.on('timeout', () => socket.destroy(new Error(`no TLS handshake within ${timeoutMs} ms`)));
    socket.on('error', (err: Error) => reject(agentErrors.CONTROLLER_UNREACHABLE({ url: options.url, reason: err.message }, { cause: err })));
  });
}
