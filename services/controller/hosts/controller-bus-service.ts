import { createPrivateKey, createPublicKey, generateKeyPairSync, X509Certificate } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { BusServer, type Method } from '../../../appliance/bus/index.ts';
import { writeFileAtomic } from '../../../appliance/files/index.ts';
import { isIssuedBy, issueCertificate, type ClusterCa } from '../../../appliance/identity/index.ts';
import type { Logger } from '../../../appliance/log/index.ts';
import type { ServiceDefinition } from '../../../appliance/supervisor/index.ts';
import type { HostLiveness } from './host-liveness.ts';
import type { HostRepository } from './host-repository.ts';

export interface ControllerBusServiceOptions {
  /** controller.listen: tls+tcp://address:port. */
  readonly listen: string;
  readonly certPath: string;
  readonly keyPath: string;
  /** The appliance node id: the controller certificate's name, which agents check (busServerName). */
  readonly serverName: string;
  readonly ca: () => Promise<ClusterCa>;
  readonly methods: Readonly<Record<string, Method>>;
  readonly hosts: HostRepository;
  readonly liveness: HostLiveness;
  readonly log: Logger;
  readonly now: () => Date;
  /** How often liveness steps run. */
  readonly tickMs: number;
  /** How often heartbeat times are written, in one transaction. */
  readonly flushEveryMs: number;
  /** Told the bound port once listening (tests listen on port 0). */
  readonly onListening?: (port: number) => void;
}

/** A controller certificate is renewed at start when fewer days than this are left. */
const RENEW_DAYS_LEFT = 30;
const CERT_DAYS = 365;

/**
 * The bus enrolled agents call: tls+tcp on controller.listen with the
 * controller certificate from the cluster CA and client certificates required,
 * the host methods, and the liveness ticker. At start every enrolled host gets
 * the restart grace (graceLastSeen()); at stop the heartbeats still in memory
 * are written.
 */
export function controllerBusService(options: ControllerBusServiceOptions): ServiceDefinition {
  return {
    name: 'controller-bus',
    async start(ctx) {
      const ca = await options.ca();
      const tls = await controllerTls(ca, options);
      options.liveness.load(options.hosts.list(), options.now().getTime());
      const server = await BusServer.open(options.methods, { log: options.log.child({ svc: 'controller-bus' }) });
      try {
        const endpoint = server.listen(options.listen, { tls: { ...tls, ca: ca.certificatePem, authMode: 'required' } });
        options.onListening?.(endpoint.port);
      } catch (err) {
        await server.close();
        throw err;
      }
      const guarded = (what: string, fn: () => void) => () => {
        try {
          fn();
        } catch (err) {
          options.log.error({ err }, `controller ${what} failed`);
          ctx.fail(err);
        }
      };
      const ticker = setInterval(guarded('liveness step', () => options.liveness.tick(options.now())), options.tickMs);
      // In slices, each its own transaction, with the event loop free between them: one
      // transaction for 5000 hosts held every heartbeat up for ~50 ms (the p99 of the benchmark).
      const flushSlice = guarded('heartbeat flush', () => {
        if (options.liveness.flush(FLUSH_SLICE) === FLUSH_SLICE) setImmediate(flushSlice);
      });
      const flusher = setInterval(flushSlice, options.flushEveryMs);
      return {
        async stop() {
          clearInterval(ticker);
          clearInterval(flusher);
          await server.close();
          options.liveness.flush();
        },
      };
    },
  };
}

const FLUSH_SLICE = 250;

/** The controller's bus certificate and key, issued by the CA at start when missing, foreign, expiring or not matching the key. */
async function controllerTls(ca: ClusterCa, options: ControllerBusServiceOptions): Promise<{ cert: string; key: string }> {
  const now = options.now();
  if (existsSync(options.certPath) && existsSync(options.keyPath)) {
    const cert = readFileSync(options.certPath, 'utf8');
    const key = readFileSync(options.keyPath, 'utf8');
    if (isIssuedBy(ca, cert, { now, minDaysLeft: RENEW_DAYS_LEFT }) && belongsTo(cert, key)) return { cert, key };
    options.log.info({ cert: options.certPath }, 'controller bus certificate is missing, expiring or not from the cluster CA: issuing a new one');
  }
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const key = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
  const cert = await issueCertificate(ca, {
    publicKeyPem: publicKey.export({ format: 'pem', type: 'spki' }).toString(),
    commonName: options.serverName,
    dnsNames: [options.serverName],
    usages: ['serverAuth', 'clientAuth'],
    days: CERT_DAYS,
    now,
  });
  // Key first: a crash between the two leaves a certificate that does not match, which the next start replaces.
  writeFileAtomic(options.keyPath, key, 0o600);
  writeFileAtomic(options.certPath, cert, 0o644);
  return { cert, key };
}

function belongsTo(certPem: string, keyPem: string): boolean {
  try {
    const fromKey = createPublicKey(createPrivateKey(keyPem)).export({ format: 'der', type: 'spki' });
    return new X509Certificate(certPem).publicKey.export({ format: 'der', type: 'spki' }).equals(fromKey);
  } catch {
    return false;
  }
}
