import { join } from 'node:path';
import type { DataDirLayout } from '../../appliance/data-dir/index.ts';

/** The agent's files: a directory of their own, so an appliance and an agent may share a data directory in development. */
export interface AgentPaths {
  readonly dir: string;
  /** Ed25519 host key: the host id is derived from it. */
  readonly identityKey: string;
  readonly identityPub: string;
  /** ECDSA P-256 key the cluster CA certifies for the bus (mbedtls cannot use Ed25519). */
  readonly tlsKey: string;
  /** What enrolment gave: enough to reconnect without the controller's HTTPS API or mDNS. */
  readonly bootstrap: string;
}

export function agentPaths(layout: DataDirLayout): AgentPaths {
  const dir = join(layout.root, 'agent');
  return {
    dir,
    identityKey: join(dir, 'host.key'),
    identityPub: join(dir, 'host.pub'),
    tlsKey: join(dir, 'tls.key'),
    bootstrap: join(dir, 'bootstrap.json'),
  };
}
