import type { HostState } from '../../../appliance/contracts/index.ts';
import type { JoinTokenState } from './join-token-state.ts';

// What to do with an enrolment request, from facts the shell has checked
// (signature, clock, replay, join token, proof, the host's record). Pure, so
// every case is a row of a table test.

/** The codes of hostsErrors a decision can refuse with. */
export type EnrolmentRefusal =
  | 'BAD_SIGNATURE'
  | 'STALE_REQUEST'
  | 'REPLAYED'
  | 'UNKNOWN_JOIN_TOKEN'
  | 'BAD_JOIN_PROOF'
  | 'JOIN_TOKEN_EXPIRED'
  | 'JOIN_TOKEN_REVOKED'
  | 'JOIN_TOKEN_USED_UP'
  | 'REJECTED'
  | 'UNKNOWN_HOST_REFUSED'
  | 'TOO_MANY_PENDING';

export interface EnrolmentFacts {
  /** The Ed25519 signature over enrolmentPayload() verifies with the request's host key. */
  readonly signatureValid: boolean;
  /** |controller clock - request timestamp|; NaN when the timestamp does not parse. */
  readonly skewMs: number;
  /** This signature was seen before (and has not expired from the replay table). */
  readonly replayed: boolean;
  /** 'none' when the request names no join token, 'unknown' when it names one that does not exist. */
  readonly joinToken: 'none' | 'unknown' | JoinTokenState;
  /** The join proof matches the named token's secret (false when there is no token or no proof). */
  readonly proofValid: boolean;
  /** The host's record, if the controller has one for this key. */
  readonly existing: { readonly state: HostState; readonly approved: boolean } | undefined;
  /** Hosts waiting for approval now. */
  readonly pendingCount: number;
}

export interface EnrolmentPolicy {
  readonly maxSkewMs: number;
  /** controller.unknown_hosts: a new host without a join token waits (pending) or is refused. */
  readonly unknownHosts: 'pending' | 'refuse';
  /** controller.max_pending_hosts. */
  readonly maxPending: number;
}

export type EnrolmentDecision =
  | {
      readonly kind: 'admit';
      /** Count one use of the join token (a first admission by token, never a re-issue). */
      readonly consumeToken: boolean;
      /** Answer with a controllerProof: the request named a token whose secret it proved. */
      readonly controllerProof: boolean;
      readonly reason: 'join-token' | 'approved' | 're-enrolment';
    }
  | {
      readonly kind: 'pending';
      /** new: a first request; waiting: asked again, still not approved; retired: a retired host asks back in. */
      readonly reason: 'new' | 'waiting' | 'retired';
    }
  | { readonly kind: 'refuse'; readonly code: EnrolmentRefusal };

/**
 * Decides an enrolment request. In order: the request must be authentic
 * (signature, clock, not a replay); a rejected host stays out; an enrolled
 * host gets its certificate again without using up a token (so an agent that
 * retries after a lost answer or a controller crash is not locked out); an
 * approved pending host is admitted; a retired host must be approved again,
 * whatever token it holds (its key may come from a disposed disk); otherwise
 * a valid join token admits, and without one the policy and the pending limit
 * decide between waiting and refusal.
 */
export function decideEnrolment(facts: EnrolmentFacts, policy: EnrolmentPolicy): EnrolmentDecision {
  if (!facts.signatureValid) return refuse('BAD_SIGNATURE');
  if (!(facts.skewMs <= policy.maxSkewMs)) return refuse('STALE_REQUEST');
  if (facts.replayed) return refuse('REPLAYED');

  const provenToken = facts.joinToken !== 'none' && facts.joinToken !== 'unknown' && facts.proofValid;
  const existing = facts.existing;
  if (existing !== undefined) {
    switch (existing.state) {
      case 'rejected':
        return refuse('REJECTED');
      case 'active':
      case 'suspect':
      case 'offline':
        return { kind: 'admit', consumeToken: false, controllerProof: provenToken, reason: 're-enrolment' };
      case 'retired':
        return withinPendingLimit(facts, policy) ? { kind: 'pending', reason: 'retired' } : refuse('TOO_MANY_PENDING');
      case 'pending':
        if (existing.approved) return { kind: 'admit', consumeToken: false, controllerProof: provenToken, reason: 'approved' };
        if (facts.joinToken === 'none') return { kind: 'pending', reason: 'waiting' };
        return byToken(facts);
    }
  }
  if (facts.joinToken !== 'none') return byToken(facts);
  if (policy.unknownHosts === 'refuse') return refuse('UNKNOWN_HOST_REFUSED');
  return withinPendingLimit(facts, policy) ? { kind: 'pending', reason: 'new' } : refuse('TOO_MANY_PENDING');
}

/** A named token admits when it exists, its secret is proven, and it is still usable; the proof is checked before the token's state is told. */
function byToken(facts: EnrolmentFacts): EnrolmentDecision {
  if (facts.joinToken === 'none' || facts.joinToken === 'unknown') return refuse('UNKNOWN_JOIN_TOKEN');
  if (!facts.proofValid) return refuse('BAD_JOIN_PROOF');
  switch (facts.joinToken) {
    case 'expired':
      return refuse('JOIN_TOKEN_EXPIRED');
    case 'revoked':
      return refuse('JOIN_TOKEN_REVOKED');
    case 'exhausted':
      return refuse('JOIN_TOKEN_USED_UP');
    case 'usable':
      return { kind: 'admit', consumeToken: true, controllerProof: true, reason: 'join-token' };
  }
}

function withinPendingLimit(facts: EnrolmentFacts, policy: EnrolmentPolicy): boolean {
  return facts.pendingCount < policy.maxPending;
}

function refuse(code: EnrolmentRefusal): EnrolmentDecision {
  return { kind: 'refuse', code };
}
