import type { FastifyRequest } from 'fastify';
import { apiErrors } from '../../../appliance/api/index.ts';
import type { Principal } from '../access/access.ts';
import type { ActorKind, AuditEntry, AuditLog } from './audit-log.ts';

/** An audit entry as a route states it: who and from where come from the request. */
export type RequestAuditEntry = Omit<AuditEntry, 'actor' | 'actorKind' | 'source'> & { readonly actor?: string; readonly actorKind?: ActorKind };

const audited = new WeakSet<FastifyRequest>();

/** Who is acting: the principal's user (or API key id), else "anonymous". */
export function actorOf(principal: Principal | undefined): { actor: string; actorKind: ActorKind; detail: Record<string, unknown> } {
  if (principal === undefined) return { actor: 'anonymous', actorKind: 'anonymous', detail: {} };
  if (principal.kind === 'api-key') return { actor: principal.tokenId, actorKind: 'api-key', detail: { user: principal.userName } };
  return { actor: principal.userName, actorKind: 'user', detail: {} };
}

/**
 * Records what a request did, as its principal, from its client address. Call
 * it inside the store transaction that makes the change, so the change and
 * its entry commit together. The access plugin notices a mutation that
 * answered without one.
 */
export function auditRequest(audit: AuditLog, request: FastifyRequest, entry: RequestAuditEntry): number {
  const who = actorOf(request.principal);
  const id = audit.record({
    ...entry,
    actor: entry.actor ?? who.actor,
    actorKind: entry.actorKind ?? who.actorKind,
    source: request.ip,
    detail: { ...who.detail, ...entry.detail },
  });
  audited.add(request);
  return id;
}

/** Whether auditRequest() ran for this request. */
export function wasAudited(request: FastifyRequest): boolean {
  return audited.has(request);
}

/** Marks a request as accounted for without an entry (a throttled denial, say). */
export function markAudited(request: FastifyRequest): void {
  audited.add(request);
}

/**
 * The caller of a route whose change writes its own audit entry (in the
 * change's transaction), named as the audit log names it; the request then
 * counts as audited. The access plugin has set the principal on such routes.
 */
export function auditedActor(request: FastifyRequest): { actor: string; actorKind: ActorKind; source: string } {
  const principal = request.principal;
  if (principal === undefined) throw apiErrors.UNAUTHENTICATED();
  markAudited(request);
  const { actor, actorKind } = actorOf(principal);
  return { actor, actorKind, source: request.ip };
}
