import { randomBytes } from 'node:crypto';
import type { AllianceError } from '../../../appliance/errors/index.ts';
import type { Store } from '../../../appliance/store/index.ts';
import { effectiveRoles, type Principal, type Role } from '../access/access.ts';
import type { AuditEntry, AuditLog } from '../audit/audit-log.ts';
import { actorOf } from '../audit/request-audit.ts';
import { controllerErrors } from '../errors.ts';
import { checkPasswordPolicy, hashPassword, needsRehash, verifyPassword } from './password-hash.ts';
import type { ProjectRepository } from './project-repository.ts';
import { SlidingWindowLimiter } from './sliding-window-limiter.ts';
import type { TokenRepository } from './token-repository.ts';
import type { User, UserRepository } from './user-repository.ts';

export interface SessionSettings {
  readonly accessTtlS: number;
  readonly refreshTtlS: number;
  /** scrypt cost (log2 N) for new hashes. */
  readonly passwordCost: number;
  /** Failed attempts allowed per user name and per client address each minute. */
  readonly attemptsPerMinute: number;
}

export interface SessionDeps {
  readonly store: Store;
  readonly users: UserRepository;
  readonly projects: ProjectRepository;
  readonly tokens: TokenRepository;
  readonly audit: AuditLog;
  readonly now: () => Date;
  readonly settings: SessionSettings;
  /**
   * Bounds the audit rows anonymous refusals (rate-limited logins, unknown
   * refresh tokens) write per client address, so a flood cannot fill the disk.
   */
  readonly refusalThrottle?: SlidingWindowLimiter;
}

/** Where a request came from, for rate limits and the audit log. */
export interface Caller {
  readonly source: string;
}

export interface LoginInput {
  readonly user: string;
  readonly password: string;
  readonly project?: string | undefined;
}

export interface SessionTokens {
  readonly accessToken: string;
  readonly refreshToken: string;
  readonly tokenType: 'Bearer';
  readonly expiresAt: string;
  readonly refreshExpiresAt: string;
  readonly user: string;
  /** A project id, '*' for the cloud, '' for a personal token (no project chosen). */
  readonly scope: string;
  readonly project: { readonly id: string; readonly name: string } | null;
  readonly roles: readonly Role[];
  /** The projects the user can pick with a new login, when none was chosen. */
  readonly projects: readonly { readonly id: string; readonly name: string; readonly role: Role }[];
}

const WINDOW_MS = 60_000;

/**
 * Login sessions: password login with rate limits, refresh-token rotation with
 * reuse detection, logout, password change. Every outcome is audited, and
 * each change commits with its audit entry.
 */
export class Sessions {
  readonly #d: SessionDeps;
  readonly #limiter: SlidingWindowLimiter;
  #dummyHash: Promise<string> | undefined;

  constructor(deps: SessionDeps) {
    this.#d = deps;
    this.#limiter = new SlidingWindowLimiter({ limit: deps.settings.attemptsPerMinute, windowMs: WINDOW_MS });
    // Ready before the first unknown user asks, so that answer takes no longer than any other.
    void this.#dummy().catch(() => undefined);
  }

  /**
   * Checks the password and hands out an access and a refresh token. An
   * unknown user and a wrong password answer the same, after the same work.
   * @throws AllianceError APL_CTRL_LOGIN_RATE_LIMITED, APL_CTRL_LOGIN_FAILED, APL_CTRL_NOT_A_MEMBER
   */
  async login(input: LoginInput, caller: Caller): Promise<SessionTokens> {
    const { users, audit } = this.#d;
    this.#checkLimit(input.user, caller, 'auth.login');

    const found = users.passwordHash(input.user);
    const usable = found !== undefined && found.hash !== null && !found.user.disabled;
    const ok = await verifyPassword(input.password, usable ? found.hash! : await this.#dummy());
    if (!usable || !ok) {
      this.#fail(input.user, caller);
      audit.record({ actor: input.user, actorKind: 'anonymous', action: 'auth.login', target: input.user, source: caller.source, outcome: 'denied', detail: { reason: 'unknown user or wrong password' } });
      throw controllerErrors.LOGIN_FAILED();
    }
    this.#limiter.reset(`user:${input.user}`);
    const user = found.user;
    const grant = this.#grantFor(user, input.project);
    if (grant === undefined) {
      audit.record({ actor: user.name, actorKind: 'user', action: 'auth.login', target: user.name, source: caller.source, outcome: 'denied', detail: { reason: 'not a member', project: input.project } });
      throw controllerErrors.NOT_A_MEMBER({ user: user.name, project: input.project ?? '' });
    }
    const rehash = needsRehash(found.hash!, { cost: this.#d.settings.passwordCost }) ? await hashPassword(input.password, { cost: this.#d.settings.passwordCost }) : undefined;

    const now = this.#d.now();
    const refreshExpires = new Date(now.getTime() + this.#d.settings.refreshTtlS * 1000);
    return this.#write(() => {
      if (rehash !== undefined) users.setPasswordHash(user.id, rehash);
      const pair = this.#issuePair({ userId: user.id, scope: grant.scope, roles: grant.roles, familyId: 'self', refreshExpires }, now);
      audit.record({
        actor: user.name,
        actorKind: 'user',
        action: 'auth.login',
        target: user.name,
        projectId: grant.project?.id ?? null,
        source: caller.source,
        outcome: 'ok',
        detail: { scope: grant.scope, roles: grant.roles, session: pair.familyId, ...(rehash ? { rehashed: true } : {}) },
      });
      return this.#answer(user, grant, pair.secrets);
    });
  }

  /**
   * Swaps a refresh token for a new pair. The old one is spent; presenting a
   * spent one again means it was copied, so the whole session is revoked.
   * @throws AllianceError APL_CTRL_REFRESH_FAILED, APL_CTRL_REFRESH_REUSED
   */
  refresh(refreshToken: string, caller: Caller): SessionTokens {
    const { tokens, audit } = this.#d;
    const now = this.#d.now();
    // Refusals commit too (the revoked session, the audit entry): errors are thrown after the transaction.
    const outcome = this.#write((): { tokens: SessionTokens } | { error: AllianceError } => {
      const found = tokens.find(refreshToken);
      const deny = (error: AllianceError, reason: string, detail: Record<string, unknown> = {}): { error: AllianceError } => {
        const entry = { actor: found?.userName ?? 'anonymous', action: 'auth.refresh', target: found?.familyId ?? '', source: caller.source, outcome: 'denied', detail: { reason, ...detail } } as const;
        if (found) audit.record({ ...entry, actorKind: 'user' });
        else this.#auditRefusal({ ...entry, actorKind: 'anonymous' });
        return { error };
      };
      if (found === undefined || found.kind !== 'refresh' || found.familyId === null) return deny(controllerErrors.REFRESH_FAILED(), 'unknown token');
      const session = { userId: found.userId, familyId: found.familyId };
      if (found.revokedAt !== null) return deny(controllerErrors.REFRESH_REUSED(), 'refresh token reused', { revoked: tokens.revokeFamily(session, { now }) });
      if (found.expiresAt !== null && Date.parse(found.expiresAt) <= now.getTime()) return deny(controllerErrors.REFRESH_FAILED(), 'refresh token expired');
      const roles = found.disabled ? undefined : effectiveRoles({ scope: found.scope, tokenRoles: grantCeiling(found.scope), scopeRole: found.scopeRole, cloudRole: found.cloudRole });
      if (roles === undefined) return deny(controllerErrors.REFRESH_FAILED(), 'access withdrawn', { revoked: tokens.revokeFamily(session, { now }) });

      // Spend the presented token and retire the session's older access tokens.
      tokens.revoke(found.id, now);
      tokens.revokeFamily(session, { now, kinds: ['access'] });
      const refreshExpires = new Date(found.expiresAt ?? now.getTime() + this.#d.settings.refreshTtlS * 1000);
      const pair = this.#issuePair({ userId: found.userId, scope: found.scope, roles, familyId: found.familyId, refreshExpires }, now);
      const project = found.scope === '*' || found.scope === '' ? undefined : this.#d.projects.find(found.scope);
      audit.record({ actor: found.userName, actorKind: 'user', action: 'auth.refresh', target: found.familyId, projectId: project?.id ?? null, source: caller.source, outcome: 'ok', detail: { scope: found.scope, roles } });
      const user: User = { id: found.userId, name: found.userName, disabled: found.disabled, createdAt: '' };
      return { tokens: this.#answer(user, { scope: found.scope, roles, project }, pair.secrets) };
    });
    if ('error' in outcome) throw outcome.error;
    return outcome.tokens;
  }

  /** Revokes the caller's token and, for a login session, every token of that session. */
  logout(principal: Principal, caller: Caller): { revoked: number } {
    const { tokens, audit } = this.#d;
    const now = this.#d.now();
    return this.#write(() => {
      const record = tokens.get(principal.tokenId);
      let revoked = tokens.revoke(principal.tokenId, now) ? 1 : 0;
      if (record?.familyId) revoked += tokens.revokeFamily({ userId: principal.userId, familyId: record.familyId }, { now });
      audit.record({ ...actor(principal), action: 'auth.logout', target: record?.familyId ?? principal.tokenId, source: caller.source, outcome: 'ok', detail: { revoked } });
      return { revoked };
    });
  }

  /**
   * A user changes their own password: the current one must be right. Other
   * sessions of the user are revoked; this one stays.
   * @throws AllianceError APL_CTRL_SESSION_ONLY, APL_CTRL_WRONG_PASSWORD, APL_CTRL_WEAK_PASSWORD, APL_CTRL_LOGIN_RATE_LIMITED
   */
  async changePassword(principal: Principal, change: { current: string; next: string }, caller: Caller): Promise<{ revokedSessions: number }> {
    const { users, tokens, audit } = this.#d;
    const denied = (reason: string): void => void audit.record({ ...actor(principal), action: 'auth.password', target: principal.userName, source: caller.source, outcome: 'denied', detail: { reason } });
    if (principal.kind !== 'user') {
      denied('API key');
      throw controllerErrors.SESSION_ONLY({ what: 'Changing a password' });
    }
    this.#checkLimit(principal.userName, caller, 'auth.password');
    const found = users.passwordHash(principal.userName);
    if (found === undefined || found.hash === null || !(await verifyPassword(change.current, found.hash))) {
      this.#fail(principal.userName, caller);
      denied('wrong current password');
      throw controllerErrors.WRONG_PASSWORD();
    }
    try {
      checkPasswordPolicy(change.next);
    } catch (err) {
      denied('weak new password');
      throw err;
    }
    const hash = await hashPassword(change.next, { cost: this.#d.settings.passwordCost });
    const now = this.#d.now();
    return this.#write(() => {
      users.setPasswordHash(found.user.id, hash);
      const family = tokens.get(principal.tokenId)?.familyId ?? null;
      const revokedSessions = tokens.revokeSessions(found.user.id, { now, exceptFamily: family });
      audit.record({ ...actor(principal), action: 'auth.password', target: principal.userName, source: caller.source, outcome: 'ok', detail: { revokedSessions } });
      return { revokedSessions };
    });
  }

  /** What a login may be granted: the chosen project, else the cloud for a cloud-admin, else the user's only project, else a personal token. */
  #grantFor(user: User, projectName: string | undefined): Grant | undefined {
    const { users, projects } = this.#d;
    const cloudRole = users.role(user.id, '*');
    if (projectName !== undefined) {
      const project = projects.find(projectName);
      if (project === undefined) return undefined;
      const roles = effectiveRoles({ scope: project.id, tokenRoles: grantCeiling(project.id), scopeRole: users.role(user.id, project.id), cloudRole });
      return roles === undefined ? undefined : { scope: project.id, roles, project };
    }
    if (cloudRole === 'cloud-admin') return { scope: '*', roles: ['cloud-admin'], project: undefined };
    const mine = projects.listForUser(user.id);
    if (mine.length === 1) return { scope: mine[0]!.id, roles: [mine[0]!.role], project: mine[0] };
    return { scope: '', roles: [], project: undefined };
  }

  /** A refresh token and an access token of one session family ('self': a new session rooted at the refresh token). */
  #issuePair(input: { userId: string; scope: string; roles: readonly Role[]; familyId: string; refreshExpires: Date }, now: Date): { familyId: string; secrets: PairSecrets } {
    const { tokens } = this.#d;
    const refresh = tokens.issue({ kind: 'refresh', userId: input.userId, scope: input.scope, roles: input.roles, familyId: input.familyId, expiresAt: input.refreshExpires }, now);
    const familyId = refresh.record.familyId!;
    const access = tokens.issue({ kind: 'access', userId: input.userId, scope: input.scope, roles: input.roles, familyId, expiresAt: this.#accessExpiry(now, input.refreshExpires) }, now);
    return { familyId, secrets: { access: access.secret.token, refresh: refresh.secret.token, expiresAt: access.record.expiresAt!, refreshExpiresAt: refresh.record.expiresAt! } };
  }

  #answer(user: User, grant: Grant, secrets: PairSecrets): SessionTokens {
    const choices = grant.scope === '' ? this.#choices(user) : [];
    return {
      accessToken: secrets.access,
      refreshToken: secrets.refresh,
      tokenType: 'Bearer',
      expiresAt: secrets.expiresAt,
      refreshExpiresAt: secrets.refreshExpiresAt,
      user: user.name,
      scope: grant.scope,
      project: grant.project ? { id: grant.project.id, name: grant.project.name } : null,
      roles: grant.roles,
      projects: choices,
    };
  }

  #choices(user: User): { id: string; name: string; role: Role }[] {
    return this.#d.projects.listForUser(user.id).map((p) => ({ id: p.id, name: p.name, role: p.role }));
  }

  #accessExpiry(now: Date, refreshExpires: Date): Date {
    return new Date(Math.min(now.getTime() + this.#d.settings.accessTtlS * 1000, refreshExpires.getTime()));
  }

  #checkLimit(user: string, caller: Caller, action: string): void {
    const nowMs = this.#d.now().getTime();
    const decisions = [this.#limiter.check(`user:${user}`, nowMs), this.#limiter.check(`addr:${caller.source}`, nowMs)];
    const wait = Math.max(0, ...decisions.map((d) => (d.allowed ? 0 : d.retryAfterMs)));
    if (wait === 0) return;
    const retryAfter = Math.ceil(wait / 1000);
    this.#auditRefusal({ actor: user, actorKind: 'anonymous', action, target: user, source: caller.source, outcome: 'denied', detail: { reason: 'rate limited', retryAfter } });
    throw controllerErrors.LOGIN_RATE_LIMITED({ retryAfter });
  }

  /** Audits an anonymous refusal, unless its address has used up its share this minute. */
  #auditRefusal(entry: AuditEntry & { source: string }): void {
    if (this.#d.refusalThrottle?.take(entry.source, this.#d.now().getTime()) === false) return;
    this.#d.audit.record(entry);
  }

  #fail(user: string, caller: Caller): void {
    const nowMs = this.#d.now().getTime();
    this.#limiter.hit(`user:${user}`, nowMs);
    this.#limiter.hit(`addr:${caller.source}`, nowMs);
  }

  /** A hash of a random password at today's cost: an unknown user costs the same time as a known one. */
  #dummy(): Promise<string> {
    this.#dummyHash ??= hashPassword(randomBytes(18).toString('base64'), { cost: this.#d.settings.passwordCost });
    return this.#dummyHash;
  }

  #write<T>(fn: () => T): T {
    return this.#d.store.transaction(fn);
  }
}

interface PairSecrets {
  readonly access: string;
  readonly refresh: string;
  readonly expiresAt: string;
  readonly refreshExpiresAt: string;
}

interface Grant {
  readonly scope: string;
  readonly roles: Role[];
  readonly project: { readonly id: string; readonly name: string } | undefined;
}

/** The most a token for scope could carry; effectiveRoles() caps it by the user's bindings. */
function grantCeiling(scope: string): Role[] {
  return scope === '*' ? ['cloud-admin'] : scope === '' ? [] : ['admin'];
}

function actor(principal: Principal): Pick<AuditEntry, 'actor' | 'actorKind'> {
  const { actor: name, actorKind } = actorOf(principal);
  return { actor: name, actorKind };
}
