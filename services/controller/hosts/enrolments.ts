import { randomBytes, timingSafeEqual, X509Certificate } from 'node:crypto';
import { controllerProofPayload, joinHmac, type EnrolmentAnswer, type EnrolmentRequest } from '../../../appliance/contracts/index.ts';
import type { AllianceError } from '../../../appliance/errors/index.ts';
import { issueCertificate, type ClusterCa } from '../../../appliance/identity/index.ts';
import type { Store } from '../../../appliance/store/index.ts';
import type { AuditLog } from '../audit/audit-log.ts';
import { recordThrottled, type AuditThrottle } from './audit-throttle.ts';
import { decideEnrolment, type EnrolmentDecision, type EnrolmentFacts, type EnrolmentPolicy } from './enrolment-decision.ts';
import type { EnrolmentReplays } from './enrolment-replays.ts';
import { checkEnrolmentRequest } from './enrolment-request-check.ts';
import { hostsErrors } from './errors.ts';
import { hashCredential, type HostRecord, type HostRepository } from './host-repository.ts';
import type { JoinTokenRecord, JoinTokenRepository } from './join-token-repository.ts';
import { joinTokenState } from './join-token-state.ts';
import { traitsOf } from './traits.ts';

export interface EnrolmentsOptions {
  readonly store: Store;
  readonly hosts: HostRepository;
  readonly tokens: JoinTokenRepository;
  readonly replays: EnrolmentReplays;
  readonly audit: AuditLog;
  readonly throttle: AuditThrottle;
  readonly ca: () => Promise<ClusterCa>;
  readonly policy: EnrolmentPolicy;
  readonly busPort: number;
  readonly busServerName: string;
  /** Lifetime of a host certificate; an agent renews it by enrolling again. */
  readonly certificateDays: number;
  readonly now: () => Date;
  /** Told after an admission or a new wait is on disk (journal, liveness). */
  readonly onAdmitted: (host: HostRecord, reason: 'join-token' | 'approved' | 're-enrolment') => void;
  readonly onPending: (host: HostRecord, reason: 'new' | 'retired') => void;
}

/** Enrolment answers say what to do next; the agent shows this while it waits. */
const WAITING = 'waiting for an operator: `alliance hosts approve {id}` on the controller lets this host in; until then it asks again';

/**
 * The shell around decideEnrolment(): checks the request, gathers the facts,
 * issues the certificate, and applies the decision with its audit entry in
 * one store transaction before answering. Refusals are thrown as coded errors
 * after they are audited.
 */
export class Enrolments {
  readonly #o: EnrolmentsOptions;
  #lastPurgeMs = 0;

  constructor(options: EnrolmentsOptions) {
    this.#o = options;
  }

  async enrol(request: EnrolmentRequest, options: { source: string }): Promise<EnrolmentAnswer> {
    const o = this.#o;
    const started = o.now();
    const check = checkEnrolmentRequest(request, started);
    if (!check.ok) {
      const err = check.problem === 'host-key' ? hostsErrors.BAD_HOST_KEY({ reason: check.reason }) : hostsErrors.BAD_TLS_KEY({ host: check.hostId, reason: check.reason });
      this.#auditRefusal(err, { hostId: check.hostId, source: options.source, authentic: false, name: request.name });
      throw err;
    }
    const hostId = check.hostId;
    const replayExpiresAt = new Date(check.timestampMs + o.policy.maxSkewMs).toISOString();

    // The certificate needs the CA's async signature, which cannot run inside a
    // transaction: decide once to know whether one is needed, then decide again
    // inside the transaction on fresh facts and apply that. A second pass covers
    // the rare race where the fresh decision admits and the first did not.
    for (let pass = 0; pass < 2; pass += 1) {
      const first = this.#decide(request, check, o.now());
      let issued: { certificate: string; notAfter: string } | undefined;
      let ca: ClusterCa | undefined;
      if (first.decision.kind === 'admit') {
        ca = await o.ca();
        issued = await this.#issue(ca, request, hostId);
      }
      const outcome = o.store.transaction(() => {
        const now = o.now();
        const { decision, token, existing } = this.#decide(request, check, now);
        if (decision.kind === 'admit' && (issued === undefined || ca === undefined)) return { again: true as const };
        if (check.signatureValid && !(check.skewMs > o.policy.maxSkewMs)) o.replays.remember(check.signatureHash, replayExpiresAt);
        return { again: false as const, ...this.#apply({ request, hostId, decision, token, existing, issued, ca, now, source: options.source, skewMs: check.skewMs }) };
      });
      if (outcome.again) continue;
      this.#purgeReplays(o.now());
      if (outcome.refusal !== undefined) throw outcome.refusal;
      if (outcome.admitted !== undefined) o.onAdmitted(outcome.admitted.host, outcome.admitted.reason);
      if (outcome.pending !== undefined) o.onPending(outcome.pending.host, outcome.pending.reason);
      return outcome.answer!;
    }
    // Two passes that raced an approval each time: the agent asks again anyway.
    return { state: 'pending', hostId, message: 'the controller is busy with this host; ask again' };
  }

  #decide(request: EnrolmentRequest, check: Extract<ReturnType<typeof checkEnrolmentRequest>, { ok: true }>, now: Date) {
    const o = this.#o;
    const existing = o.hosts.get(check.hostId);
    const token = request.joinTokenId === undefined ? undefined : o.tokens.get(request.joinTokenId);
    const facts: EnrolmentFacts = {
      signatureValid: check.signatureValid,
      skewMs: check.skewMs,
      replayed: o.replays.seen(check.signatureHash, now.toISOString()),
      joinToken: request.joinTokenId === undefined ? 'none' : token === undefined ? 'unknown' : joinTokenState(token, now),
      proofValid: token !== undefined && proofMatches(token, request.joinProof, check.payload),
      existing: existing === undefined ? undefined : { state: existing.state, approved: existing.approvedBy !== null },
      pendingCount: o.hosts.count('pending'),
    };
    return { decision: decideEnrolment(facts, o.policy), token, existing };
  }

  async #issue(ca: ClusterCa, request: EnrolmentRequest, hostId: string): Promise<{ certificate: string; notAfter: string }> {
    const now = this.#o.now();
    const certificate = await issueCertificate(ca, {
      publicKeyPem: request.tlsKey,
      commonName: hostId,
      dnsNames: [hostId],
      usages: ['clientAuth', 'serverAuth'],
      days: this.#o.certificateDays,
      now,
    });
    return { certificate, notAfter: new Date(new X509Certificate(certificate).validTo).toISOString() };
  }

  /** Runs inside the transaction: the host row, the token use and the audit entry, all or nothing. */
  #apply(input: {
    request: EnrolmentRequest;
    hostId: string;
    decision: EnrolmentDecision;
    token: JoinTokenRecord | undefined;
    existing: HostRecord | undefined;
    issued: { certificate: string; notAfter: string } | undefined;
    ca: ClusterCa | undefined;
    now: Date;
    source: string;
    skewMs: number;
  }): {
    answer?: EnrolmentAnswer;
    refusal?: AllianceError;
    admitted?: { host: HostRecord; reason: 'join-token' | 'approved' | 're-enrolment' };
    pending?: { host: HostRecord; reason: 'new' | 'retired' };
  } {
    const o = this.#o;
    const { request, hostId, decision, token, existing, now } = input;
    const at = now.toISOString();
    const reported = { name: request.name, addresses: request.addresses, agentVersion: request.agentVersion, inventory: request.inventory, traits: traitsOf(request.inventory) };

    if (decision.kind === 'refuse') {
      const err = hostsErrors[decision.code]({
        host: hostId,
        token: request.joinTokenId,
        skewSeconds: Number.isFinite(input.skewMs) ? Math.round(input.skewMs / 1000) : 'unknown',
        maxSeconds: Math.round(o.policy.maxSkewMs / 1000),
        max: o.policy.maxPending,
      });
      this.#auditRefusal(err, { hostId, source: input.source, authentic: decision.code !== 'BAD_SIGNATURE', name: request.name });
      return { refusal: err };
    }

    if (decision.kind === 'pending') {
      if (decision.reason === 'new') {
        o.hosts.insert({
          id: hostId,
          publicKey: request.hostKey.trim(),
          state: 'pending',
          labels: {},
          health: null,
          credentialHash: null,
          certificate: null,
          certNotAfter: null,
          joinTokenId: null,
          approvedBy: null,
          createdAt: at,
          updatedAt: at,
          enrolledAt: null,
          lastHeartbeatAt: null,
          ...reported,
        });
      } else if (decision.reason === 'retired') {
        o.hosts.update(hostId, { state: 'pending', approvedBy: null, ...reported }, { at });
      } else if (existing !== undefined && changed(existing, reported)) {
        o.hosts.update(hostId, reported, { at });
      }
      const host = o.hosts.get(hostId)!;
      if (decision.reason !== 'waiting') {
        o.audit.record({ actor: hostId, actorKind: 'host', action: 'hosts.enrol', target: hostId, source: input.source, outcome: 'ok', detail: { result: 'pending', reason: decision.reason, name: request.name } });
      }
      return {
        answer: { state: 'pending', hostId, message: WAITING.replace('{id}', hostId) },
        ...(decision.reason === 'waiting' ? {} : { pending: { host, reason: decision.reason } }),
      };
    }

    const issued = input.issued!;
    const ca = input.ca!;
    const credential = randomBytes(32).toString('base64url');
    const secrets = { credentialHash: hashCredential(credential), certificate: issued.certificate, certNotAfter: issued.notAfter };
    if (decision.consumeToken) {
      // The facts were read in this transaction, so the token can still be used; anything else is a broken invariant.
      if (token === undefined || !o.tokens.use(token.id, at)) throw new Error(`join token ${request.joinTokenId ?? '?'} could not be used although the decision admitted by it`);
    }
    const joinTokenId = decision.consumeToken ? token!.id : (existing?.joinTokenId ?? null);
    if (existing === undefined) {
      o.hosts.insert({
        id: hostId,
        publicKey: request.hostKey.trim(),
        state: 'active',
        labels: {},
        health: null,
        joinTokenId,
        approvedBy: null,
        createdAt: at,
        updatedAt: at,
        enrolledAt: at,
        lastHeartbeatAt: null,
        ...reported,
        ...secrets,
      });
    } else {
      o.hosts.update(hostId, { state: 'active', joinTokenId, enrolledAt: at, ...reported, ...secrets }, { at });
    }
    const host = o.hosts.get(hostId)!;
    o.audit.record({
      actor: hostId,
      actorKind: 'host',
      action: 'hosts.enrol',
      target: hostId,
      source: input.source,
      outcome: 'ok',
      detail: { result: 'admitted', reason: decision.reason, name: request.name, joinTokenId: decision.consumeToken ? token!.id : null, certificateNotAfter: issued.notAfter },
    });
    const controllerProof = decision.controllerProof && token !== undefined ? joinHmac(Buffer.from(token.secretHash, 'hex'), controllerProofPayload(hostId, ca.fingerprint)) : null;
    return {
      answer: {
        state: 'admitted',
        hostId,
        certificate: issued.certificate,
        clusterCa: ca.certificatePem,
        credential,
        busPort: o.busPort,
        controllerProof,
        busServerName: o.busServerName,
      },
      admitted: { host, reason: decision.reason },
    };
  }

  /** Refusals are audited; those of an unproven caller, and repeats, are throttled per caller so a flood cannot flood the log. */
  #auditRefusal(err: AllianceError, who: { hostId: string | undefined; source: string; authentic: boolean; name: string }): void {
    const o = this.#o;
    const key = who.authentic && who.hostId !== undefined ? `host:${who.hostId}:${err.code}` : `source:${who.source}`;
    recordThrottled(o, key, o.now().getTime(), {
      actor: who.hostId ?? 'unknown',
      actorKind: who.authentic ? 'host' : 'anonymous',
      action: 'hosts.enrol',
      target: who.hostId ?? '',
      source: who.source,
      outcome: 'denied',
      detail: { code: err.code, name: who.name },
    });
  }

  /** The replay table is trimmed at most once a minute, not on every request. */
  #purgeReplays(now: Date): void {
    if (now.getTime() - this.#lastPurgeMs < 60_000) return;
    this.#lastPurgeMs = now.getTime();
    this.#o.store.transaction(() => this.#o.replays.purge(now.toISOString()));
  }
}

function proofMatches(token: JoinTokenRecord, proof: string | undefined, payload: Buffer): boolean {
  if (proof === undefined) return false;
  const expected = Buffer.from(joinHmac(Buffer.from(token.secretHash, 'hex'), payload), 'hex');
  const given = Buffer.from(proof, 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

function changed(existing: HostRecord, reported: { name: string; addresses: readonly string[]; agentVersion: string; inventory: unknown; traits: readonly string[] }): boolean {
  return (
    existing.name !== reported.name ||
    existing.agentVersion !== reported.agentVersion ||
    JSON.stringify(existing.addresses) !== JSON.stringify(reported.addresses) ||
    JSON.stringify(existing.inventory) !== JSON.stringify(reported.inventory)
  );
}
