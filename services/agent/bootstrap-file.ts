import { readFileSync } from 'node:fs';
import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { writeFileAtomic } from '../../appliance/files/index.ts';
import { agentErrors } from './errors.ts';

/**
 * The agent's bootstrap copy of what enrolment gave it: with this file the
 * agent restarts and dials the controller's bus straight away, needing neither
 * the HTTPS API nor mDNS. It holds the credential: mode 0600.
 */
export const BootstrapSchema = Type.Object(
  {
    version: Type.Literal(1),
    hostId: Type.String({ minLength: 1 }),
    /** host:port of the controller's HTTPS API this host enrolled with. */
    controller: Type.String({ minLength: 1 }),
    /** SHA-256 fingerprint of that API's certificate, pinned (or trusted on first use) at enrolment. */
    controllerFingerprint: Type.String(),
    busPort: Type.Integer({ minimum: 1, maximum: 65535 }),
    /** The name in the controller's bus certificate, checked on every connection. */
    busServerName: Type.String({ minLength: 1 }),
    clusterCa: Type.String({ minLength: 1 }),
    certificate: Type.String({ minLength: 1 }),
    /** Null once the controller refused it (a retired host): the agent enrols again. */
    credential: Type.Union([Type.String({ minLength: 1 }), Type.Null()]),
    admittedAt: Type.String(),
  },
  { additionalProperties: false },
);
export type Bootstrap = Static<typeof BootstrapSchema>;

/** The saved bootstrap, or undefined when there is none yet. A file that is there but unreadable is an error. */
export function readBootstrap(path: string): Bootstrap | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw agentErrors.BOOTSTRAP_UNREADABLE({ path, reason: (err as Error).message }, { cause: err });
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw agentErrors.BOOTSTRAP_UNREADABLE({ path, reason: `not JSON: ${(err as Error).message}` }, { cause: err });
  }
  if (!Value.Check(BootstrapSchema, data)) {
    const first = Value.Errors(BootstrapSchema, data).First();
    throw agentErrors.BOOTSTRAP_UNREADABLE({ path, reason: `${first?.path || '/'} ${first?.message ?? 'does not match'}` });
  }
  return data;
}

/** Replaces the file atomically (a crash leaves the old one or the new one), readable by its owner only. */
export function writeBootstrap(path: string, bootstrap: Bootstrap): void {
  writeFileAtomic(path, `${JSON.stringify(bootstrap, null, 2)}\n`, 0o600);
}
