import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createNodeIdentity, loadNodeIdentity, type NodeIdentity } from '../../appliance/identity/index.ts';
import { writeFileAtomic } from '../../appliance/files/index.ts';
import type { AgentPaths } from './agent-paths.ts';
import { agentErrors } from './errors.ts';

/** The host's two keys: its identity (Ed25519) and its bus TLS key (P-256). */
export interface AgentKeys {
  readonly identity: NodeIdentity;
  /** PKCS#8 PEM, for the bus client. */
  readonly tlsKeyPem: string;
  /** SPKI PEM, sent at enrolment for the certificate. */
  readonly tlsPublicPem: string;
  /** SPKI PEM of the identity key, sent at enrolment. */
  readonly hostKeyPem: string;
  /** True when either key was made just now (a new host). */
  readonly created: boolean;
}

/** Loads the host's keys, making each one that does not exist yet (the first start). */
export function loadAgentKeys(paths: AgentPaths): AgentKeys {
  const newIdentity = !existsSync(paths.identityKey);
  let identity: NodeIdentity;
  try {
    identity = newIdentity ? createNodeIdentity(paths.identityKey, paths.identityPub) : loadNodeIdentity(paths.identityKey);
  } catch (err) {
    throw agentErrors.KEY_UNREADABLE({ path: paths.identityKey, dir: paths.dir, reason: (err as Error).message }, { cause: err });
  }
  const newTls = !existsSync(paths.tlsKey);
  if (newTls) {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    writeFileAtomic(paths.tlsKey, privateKey.export({ format: 'pem', type: 'pkcs8' }), 0o600);
  }
  let tlsKey: KeyObject;
  try {
    tlsKey = createPrivateKey(readFileSync(paths.tlsKey));
    if (tlsKey.asymmetricKeyType !== 'ec' || tlsKey.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
      throw new Error(`expected an ECDSA P-256 key, found ${tlsKey.asymmetricKeyType ?? 'unknown'} ${tlsKey.asymmetricKeyDetails?.namedCurve ?? ''}`.trim());
    }
  } catch (err) {
    throw agentErrors.KEY_UNREADABLE({ path: paths.tlsKey, dir: paths.dir, reason: (err as Error).message }, { cause: err });
  }
  return {
    identity,
    tlsKeyPem: tlsKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
    tlsPublicPem: createPublicKey(tlsKey).export({ format: 'pem', type: 'spki' }).toString(),
    hostKeyPem: identity.publicKey.export({ format: 'pem', type: 'spki' }).toString(),
    created: newIdentity || newTls,
  };
}
