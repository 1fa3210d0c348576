import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { dataDirErrors, type DataDirLayout } from '../data-dir/index.ts';
import { writeFileAtomic } from '../files/index.ts';
import { createNodeIdentity, loadNodeIdentity, makeSelfSignedCertificate, readCertificateFacts, type CertificateFacts } from '../identity/index.ts';
import { openStore } from '../store/index.ts';

export interface InitialiseOptions {
  readonly hostname: string;
  readonly now: Date;
  /** Where to write a commented config file if none exists; undefined writes none. */
  readonly sampleConfig?: { readonly path: string; readonly text: string } | undefined;
}

export interface InitialiseReport {
  readonly nodeId: string;
  readonly certificate: CertificateFacts;
  readonly created: readonly string[];
  readonly kept: readonly string[];
}

const CERT_DAYS = 825;

/**
 * Makes whatever of the data directory is missing: identity, HTTPS
 * certificate, metrics token, store, sample config. Never overwrites: running
 * it again on a complete directory changes nothing.
 */
export async function initialise(layout: DataDirLayout, options: InitialiseOptions): Promise<InitialiseReport> {
  const created: string[] = [];
  const kept: string[] = [];
  const note = (path: string, made: boolean): void => void (made ? created : kept).push(path);

  mkdirSync(layout.root, { recursive: true, mode: 0o700 });

  const hadKey = existsSync(layout.identityKey);
  const identity = hadKey ? loadNodeIdentity(layout.identityKey) : createNodeIdentity(layout.identityKey, layout.identityPub);
  note(layout.identityKey, !hadKey);

  const hadCert = existsSync(layout.tlsCert) && existsSync(layout.tlsKey);
  const certificate = hadCert
    ? readCertificateFacts(layout.tlsCert)
    : await makeSelfSignedCertificate(layout.tlsCert, layout.tlsKey, {
        commonName: options.hostname,
        dnsNames: [...new Set([options.hostname, 'localhost'])],
        ipAddresses: ['127.0.0.1', '::1'],
        now: options.now,
        days: CERT_DAYS,
      });
  note(layout.tlsCert, !hadCert);

  // The bus certificate names the node: peers pin it (or, later, the cluster CA signs one) for tls+tcp.
  const hadBusCert = existsSync(layout.busCert) && existsSync(layout.busKey);
  if (!hadBusCert) {
    await makeSelfSignedCertificate(layout.busCert, layout.busKey, {
      commonName: identity.nodeId,
      dnsNames: [...new Set([options.hostname, 'localhost'])],
      ipAddresses: ['127.0.0.1', '::1'],
      now: options.now,
      days: CERT_DAYS,
      usages: ['serverAuth', 'clientAuth'],
    });
  }
  note(layout.busCert, !hadBusCert);

  const hadToken = existsSync(layout.metricsToken);
  if (!hadToken) writeFileAtomic(layout.metricsToken, `${randomBytes(32).toString('base64url')}\n`, 0o600);
  note(layout.metricsToken, !hadToken);

  const hadStore = existsSync(layout.storeFile);
  const store = openStore(layout.storeFile, { create: true, nodeId: identity.nodeId });
  if (!hadStore) store.meta.set('created_at', options.now.toISOString());
  store.close();
  note(layout.storeFile, !hadStore);

  if (options.sampleConfig) {
    const hadConfig = existsSync(options.sampleConfig.path);
    if (!hadConfig) writeFileAtomic(options.sampleConfig.path, options.sampleConfig.text, 0o644);
    note(options.sampleConfig.path, !hadConfig);
  }
  return { nodeId: identity.nodeId, certificate, created, kept };
}

/** Refuses to serve from a directory that init has not completed, naming what is missing. */
export function requireInitialised(layout: DataDirLayout): void {
  if (!existsSync(layout.root)) throw dataDirErrors.MISSING({ path: layout.root });
  const missing = [layout.identityKey, layout.tlsCert, layout.tlsKey, layout.busCert, layout.busKey, layout.metricsToken, layout.storeFile].filter((p) => !existsSync(p));
  if (missing.length > 0) throw dataDirErrors.NOT_INITIALISED({ path: layout.root, missing: missing.join(', ') });
}
