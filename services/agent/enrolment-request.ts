import { enrolmentPayload, joinHmac, joinSecretKey, type EnrolmentRequest, type Inventory } from '../../appliance/contracts/index.ts';
import { signWith } from '../../appliance/identity/index.ts';
import type { AgentKeys } from './agent-keys.ts';

export interface EnrolmentRequestOptions {
  /** The host's name as the controller will show it (see hostLabel()). */
  readonly name: string;
  readonly joinCode?: { readonly id: string; readonly secret: string } | undefined;
  readonly now: Date;
  /** Fresh for every attempt: 16-64 characters of [A-Za-z0-9_-]. */
  readonly nonce: string;
  readonly addresses: readonly string[];
  readonly agentVersion: string;
  readonly inventory: Inventory | null;
}

/**
 * A signed enrolment request: the host key signs the canonical payload, and
 * with a join code the secret authenticates it too (the secret itself never
 * travels). Deterministic for the same inputs.
 */
export function buildEnrolmentRequest(keys: AgentKeys, options: EnrolmentRequestOptions): EnrolmentRequest {
  const unsigned = {
    hostKey: keys.hostKeyPem,
    tlsKey: keys.tlsPublicPem,
    name: options.name,
    ...(options.joinCode === undefined ? {} : { joinTokenId: options.joinCode.id }),
    timestamp: options.now.toISOString(),
    nonce: options.nonce,
    addresses: [...options.addresses],
    agentVersion: options.agentVersion,
    inventory: options.inventory,
  };
  const payload = enrolmentPayload(unsigned);
  return {
    ...unsigned,
    ...(options.joinCode === undefined ? {} : { joinProof: joinHmac(joinSecretKey(options.joinCode.secret), payload) }),
    signature: signWith(keys.identity, payload).toString('base64'),
  };
}

/** The name a host enrols under: the first label of its host name, made a valid DNS label ("host" if nothing is left). */
export function hostLabel(hostname: string): string {
  const label = (hostname.split('.')[0] ?? '')
    .replace(/[^A-Za-z0-9-]/g, '-')
    .replace(/^-+/, '')
    .slice(0, 63)
    .replace(/-+$/, '');
  return label === '' ? 'host' : label;
}
