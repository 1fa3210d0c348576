import { request as httpsRequest } from 'node:https';
import { isIP } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { type RedfishTransport } from './redfish-driver.ts';
import { type RedfishRequest, type RedfishResponse } from './redfish-request.ts';

// The edge of Redfish: one HTTPS exchange with a BMC. BMCs mostly present
// self-signed certificates, so the operator either pins the certificate's
// SHA-256 fingerprint or gives the CA that issued it; there is no "trust
// anything" mode, since the request carries the BMC password. The TLS session
// is set up and checked before the request is written, so a wrong peer never
// sees the Authorization header.

export interface RedfishTlsPolicy {
  /** SHA-256 of the BMC certificate (DER), as parseCertificatePin() gives it. Chain and name are then not checked. */
  readonly fingerprint?: string;
  /** PEM of the CA that issued the BMC certificate; chain and host name are checked. */
  readonly caPem?: string;
}

export interface RedfishHttpsOptions {
  readonly tls: RedfishTlsPolicy;
  /** Longest one exchange may take, connect to last byte. Default 10 000 ms. */
  readonly timeoutMs?: number;
}

const MAX_BODY_BYTES = 1024 * 1024;

/** `AB:CD:…` (32 pairs, upper case, as node and browsers show it), from colon-separated or plain hex of either case; undefined if not a SHA-256. */
export function parseCertificatePin(text: string): string | undefined {
  const hex = text.trim().replace(/:/g, '');
  if (!/^[0-9A-Fa-f]{64}$/.test(hex) || (text.includes(':') && !/^(?:[0-9A-Fa-f]{2}:){31}[0-9A-Fa-f]{2}$/.test(text.trim()))) return undefined;
  return hex.toUpperCase().match(/../g)!.join(':');
}

export function redfishHttpsTransport(options: RedfishHttpsOptions): RedfishTransport {
  const pin = options.tls.fingerprint === undefined ? undefined : parseCertificatePin(options.tls.fingerprint);
  if (options.tls.fingerprint !== undefined && pin === undefined) throw new TypeError('Cannot make a Redfish transport: the certificate pin is not a SHA-256 fingerprint');
  if (pin === undefined && options.tls.caPem === undefined) throw new TypeError('Cannot make a Redfish transport: neither a certificate pin nor a CA is given');
  const timeoutMs = options.timeoutMs ?? 10_000;
  return async (request, { signal }) => {
    const url = new URL(request.url);
    if (url.protocol !== 'https:') throw new Error(`refused to send BMC credentials over ${url.protocol.replace(':', '')}`);
    const deadline = AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]);
    const socket = await connect(url, { pin, caPem: options.tls.caPem, signal: deadline });
    try {
      return await exchange(socket, url, request, deadline);
    } finally {
      socket.destroy();
    }
  };
}

function connect(url: URL, options: { pin: string | undefined; caPem: string | undefined; signal: AbortSignal }): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    if (options.signal.aborted) return reject(new Error(`connecting to ${url.host} was aborted`));
    const host = url.hostname.replace(/^\[|\]$/g, '');
    const socket = tlsConnect({
      host,
      port: url.port === '' ? 443 : Number(url.port),
      ...(isIP(host) === 0 ? { servername: host } : {}),
      // With a pin the fingerprint is the whole check (done below, before any byte of the request).
      rejectUnauthorized: options.pin === undefined,
      ...(options.caPem === undefined ? {} : { ca: options.caPem }),
    });
    const onAbort = (): void => {
      socket.destroy();
      reject(new Error(`no TLS session with ${url.host} in time`));
    };
    options.signal.addEventListener('abort', onAbort, { once: true });
    socket.once('error', (e: NodeJS.ErrnoException) => {
      options.signal.removeEventListener('abort', onAbort);
      const refused = typeof e.code === 'string' && /CERT|SELF_SIGNED|HOSTNAME|ALTNAME|ISSUER/.test(e.code);
      reject(Object.assign(new Error(`TLS with ${url.host} failed: ${e.message}`), refused ? { failureKind: 'failed' } : {}));
    });
    socket.once('secureConnect', () => {
      options.signal.removeEventListener('abort', onAbort);
      if (options.pin !== undefined) {
        const seen = socket.getPeerCertificate().fingerprint256;
        if (seen !== options.pin) {
          socket.destroy();
          // Not a network fault: the peer is not the BMC we know, so the driver must not call it unreachable.
          return reject(Object.assign(new Error(`the certificate of ${url.host} (SHA-256 ${seen || 'none'}) is not the pinned one; nothing was sent`), { failureKind: 'failed' }));
        }
      }
      resolve(socket);
    });
  });
}

function exchange(socket: TLSSocket, url: URL, request: RedfishRequest, signal: AbortSignal): Promise<RedfishResponse> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { ...request.headers };
    if (request.body !== undefined) headers['Content-Length'] = String(Buffer.byteLength(request.body));
    // No agent: with createConnection and no agent, node sends over the socket checked above (an agent would dial its own).
    const req = httpsRequest(url, { method: request.method, headers, createConnection: () => socket, signal });
    req.once('error', (e) => reject(new Error(`${request.method} ${url.pathname} failed: ${e.name === 'AbortError' ? 'no answer in time' : e.message}`)));
    req.once('response', (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_BODY_BYTES) return req.destroy(new Error(`the answer is larger than ${MAX_BODY_BYTES} bytes`));
        chunks.push(chunk);
      });
      res.once('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.once('error', (e) => reject(new Error(`reading the answer to ${request.method} ${url.pathname} failed: ${e.message}`)));
    });
    req.end(request.body);
  });
}
