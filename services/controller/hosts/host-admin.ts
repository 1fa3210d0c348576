import type { HostState } from '../../../appliance/contracts/index.ts';
import type { Store } from '../../../appliance/store/index.ts';
import type { ActorKind, AuditLog } from '../audit/audit-log.ts';
import { hostsErrors } from './errors.ts';
import type { HostRecord, HostRepository } from './host-repository.ts';
import { mintJoinCode, type JoinTokenRecord, type JoinTokenRepository } from './join-token-repository.ts';

/** Who asks, for the audit log. */
export interface Actor {
  readonly actor: string;
  readonly actorKind: ActorKind;
  /** The client address. */
  readonly source: string;
}

export type HostEvent = 'approved' | 'rejected' | 'retired';

export interface HostAdminOptions {
  readonly store: Store;
  readonly hosts: HostRepository;
  readonly tokens: JoinTokenRepository;
  readonly audit: AuditLog;
  readonly now: () => Date;
  /** Told after a change is on disk (journal, liveness). */
  readonly onHostEvent: (event: HostEvent, host: HostRecord, actor: Actor) => void;
}

const MAX_LABELS = 64;

/** What an operator's state change is allowed from, and where it is already done (a no-op, not an error). */
const ALLOWED: Readonly<Record<HostEvent, { readonly action: string; readonly from: readonly HostState[]; readonly done: readonly HostState[]; readonly hint: string }>> = {
  approved: { action: 'approve', from: ['pending', 'rejected'], done: ['active', 'suspect', 'offline'], hint: 'a retired host must ask to enrol again first' },
  rejected: { action: 'reject', from: ['pending'], done: ['rejected'], hint: 'only pending hosts can be rejected; retire an enrolled host instead' },
  retired: { action: 'retire', from: ['pending', 'active', 'suspect', 'offline', 'rejected'], done: ['retired'], hint: 'nothing to do' },
};

/**
 * What operators do to hosts and join tokens. Each change and its audit entry
 * commit in one transaction; the journal hears about it afterwards.
 */
export class HostAdmin {
  readonly #o: HostAdminOptions;

  constructor(options: HostAdminOptions) {
    this.#o = options;
  }

  get(hostId: string): HostRecord {
    const host = this.#o.hosts.get(hostId);
    if (host === undefined) throw hostsErrors.NOT_FOUND({ host: hostId });
    return host;
  }

  /**
   * A pending (or rejected) host may enrol: it stays pending, marked approved,
   * and collects its certificate on its next request. Approving it again, or
   * an enrolled host, changes nothing.
   */
  approve(hostId: string, actor: Actor): HostRecord {
    return this.#change('approved', hostId, actor, (host, at) => {
      if (host.approvedBy !== null && host.state === 'pending') return false;
      this.#o.hosts.update(hostId, { state: 'pending', approvedBy: actor.actor }, { at });
      return true;
    });
  }

  /** A pending host is turned away; its later requests are refused until an operator approves it after all. */
  reject(hostId: string, actor: Actor): HostRecord {
    return this.#change('rejected', hostId, actor, (_host, at) => {
      this.#o.hosts.update(hostId, { state: 'rejected', approvedBy: null }, { at });
      return true;
    });
  }

  /**
   * The host leaves the cluster: its credential is revoked at once (its bus
   * calls are refused from the next one), and it must enrol and be approved
   * again to come back. Its certificate stays cryptographically valid until it
   * expires: the credential, not the certificate, is what can be revoked.
   */
  retire(hostId: string, actor: Actor): HostRecord {
    return this.#change('retired', hostId, actor, (_host, at) => {
      this.#o.hosts.update(hostId, { state: 'retired', credentialHash: null, approvedBy: null }, { at });
      return true;
    });
  }

  /** Sets labels; a null value removes one. */
  label(hostId: string, changes: Readonly<Record<string, string | null>>, actor: Actor): HostRecord {
    const { store, hosts, audit, now } = this.#o;
    const result = store.transaction(() => {
      const host = this.get(hostId);
      const labels: Record<string, string> = { ...host.labels };
      for (const [name, value] of Object.entries(changes)) {
        if (value === null) delete labels[name];
        else labels[name] = value;
      }
      const count = Object.keys(labels).length;
      if (count > MAX_LABELS) throw hostsErrors.TOO_MANY_LABELS({ host: hostId, count, max: MAX_LABELS });
      if (JSON.stringify(labels) === JSON.stringify(host.labels)) return host;
      hosts.update(hostId, { labels }, { at: now().toISOString() });
      audit.record({ ...actor, action: 'hosts.label', target: hostId, outcome: 'ok', detail: { changes } });
      return hosts.get(hostId)!;
    });
    return result;
  }

  /** A new join token; the code (id.secret) is in the answer only, never stored. */
  createJoinToken(input: { maxUses: number; ttlSeconds: number; description: string }, actor: Actor): { token: JoinTokenRecord; code: string } {
    const { store, tokens, audit, now } = this.#o;
    const minted = mintJoinCode();
    const at = now();
    const token = store.transaction(() => {
      const created = tokens.create({
        id: minted.id,
        secretHash: minted.secretHash,
        description: input.description,
        maxUses: input.maxUses,
        createdBy: actor.actor,
        createdAt: at.toISOString(),
        expiresAt: new Date(at.getTime() + input.ttlSeconds * 1000).toISOString(),
      });
      audit.record({ ...actor, action: 'join-tokens.create', target: created.id, outcome: 'ok', detail: { maxUses: created.maxUses, expiresAt: created.expiresAt, description: created.description } });
      return created;
    });
    return { token, code: minted.code };
  }

  listJoinTokens(): JoinTokenRecord[] {
    return this.#o.tokens.list();
  }

  /** Revokes a token; revoking it again keeps the first revocation time. */
  revokeJoinToken(tokenId: string, actor: Actor): JoinTokenRecord {
    const { store, tokens, audit, now } = this.#o;
    const token = store.transaction(() => {
      if (tokens.get(tokenId) === undefined) throw hostsErrors.JOIN_TOKEN_NOT_FOUND({ token: tokenId });
      if (tokens.revoke(tokenId, now().toISOString())) audit.record({ ...actor, action: 'join-tokens.revoke', target: tokenId, outcome: 'ok' });
      return tokens.get(tokenId)!;
    });
    return token;
  }

  #change(event: HostEvent, hostId: string, actor: Actor, apply: (host: HostRecord, at: string) => boolean): HostRecord {
    const { store, hosts, audit, now } = this.#o;
    const rule = ALLOWED[event];
    const { host, changed } = store.transaction(() => {
      const before = this.get(hostId);
      if (rule.done.includes(before.state)) return { host: before, changed: false };
      if (!rule.from.includes(before.state)) throw hostsErrors.WRONG_STATE({ action: rule.action, host: hostId, state: before.state, hint: rule.hint });
      if (!apply(before, now().toISOString())) return { host: before, changed: false };
      audit.record({ ...actor, action: `hosts.${rule.action}`, target: hostId, outcome: 'ok', detail: { from: before.state, name: before.name } });
      return { host: hosts.get(hostId)!, changed: true };
    });
    if (changed) this.#o.onHostEvent(event, host, actor);
    return host;
  }
}
