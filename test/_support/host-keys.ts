import { generateKeyPairSync } from 'node:crypto';
import { nodeIdOf } from '../../appliance/identity/index.ts';
import type { AgentKeys } from '../../services/agent/agent-keys.ts';

/** The two keys of a new simulated host, in memory (an agent keeps them in its data directory). */
export function freshHostKeys(): AgentKeys {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const tls = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  return {
    identity: { nodeId: nodeIdOf(publicKey), publicKey, privateKey },
    tlsKeyPem: tls.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
    tlsPublicPem: tls.publicKey.export({ format: 'pem', type: 'spki' }).toString(),
    hostKeyPem: publicKey.export({ format: 'pem', type: 'spki' }).toString(),
    created: true,
  };
}
