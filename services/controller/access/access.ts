// What each route needs, declared on the route itself (`config: { access }`).
// The access plugin refuses to register a route without a declaration, so no
// route can be open by omission, and the OpenAPI document carries it.

export const PROJECT_ROLES = ['admin', 'member', 'reader'] as const;
export type ProjectRole = (typeof PROJECT_ROLES)[number];
export type Role = 'cloud-admin' | ProjectRole;

export type Access =
  /** No token: the route authenticates its caller itself (login by password, enrolment by host key). */
  | { readonly kind: 'own'; readonly how: string }
  /** Any valid token, whatever its scope (whoami, logout, refresh). */
  | { readonly kind: 'token' }
  /** A cloud-admin token. */
  | { readonly kind: 'cloud-admin' }
  /** A token for the project named by the route's :project parameter with at least this role (cloud-admin passes). */
  | { readonly kind: 'project'; readonly role: ProjectRole };

/** Who is calling, from a valid token. */
export interface Principal {
  readonly kind: 'user' | 'api-key';
  readonly userId: string;
  readonly userName: string;
  readonly tokenId: string;
  /** A project id, or '*' for a cloud-wide token. */
  readonly scope: string;
  readonly roles: readonly Role[];
  readonly expiresAt: string | null;
}

const RANK: Readonly<Record<ProjectRole, number>> = { reader: 1, member: 2, admin: 3 };

/** The highest project role among roles, if any (cloud-admin is not a project role). */
export function highestProjectRole(roles: readonly Role[]): ProjectRole | undefined {
  let best: ProjectRole | undefined;
  for (const r of roles) if (r !== 'cloud-admin' && (best === undefined || RANK[r] > RANK[best])) best = r;
  return best;
}

/** Whether project role a is at least b. */
export function roleAtLeast(a: ProjectRole, b: ProjectRole): boolean {
  return RANK[a] >= RANK[b];
}

export interface TokenGrant {
  /** The token's scope: a project id, '*' for the cloud, '' for a personal token. */
  readonly scope: string;
  /** The roles written into the token when it was made. */
  readonly tokenRoles: readonly Role[];
  /** The user's role binding for the token's scope today, if any. */
  readonly scopeRole: Role | undefined;
  /** The user's cloud-wide binding today (cloud-admin), if any. */
  readonly cloudRole: Role | undefined;
}

/**
 * What a token may do today: its own roles, capped by the user's bindings now,
 * so revoking a membership takes effect on tokens already handed out. A
 * cloud-admin is implicitly admin of every project. undefined means the token
 * no longer grants anything and must be refused. Pure.
 */
export function effectiveRoles(grant: TokenGrant): Role[] | undefined {
  if (grant.scope === '') return [];
  if (grant.scope === '*') return grant.cloudRole === 'cloud-admin' && grant.tokenRoles.includes('cloud-admin') ? ['cloud-admin'] : undefined;
  const asked = highestProjectRole(grant.tokenRoles);
  const bound = highestProjectRole([...(grant.scopeRole === undefined ? [] : [grant.scopeRole]), ...(grant.cloudRole === 'cloud-admin' ? (['admin'] as const) : [])]);
  if (asked === undefined || bound === undefined) return undefined;
  return [roleAtLeast(bound, asked) ? asked : bound];
}

/**
 * Whether a principal may use a route: pure, so the RBAC matrix is a table
 * test. `project` is the route's :project parameter, if it has one.
 */
export function allows(access: Access, principal: Principal | undefined, project: string | undefined): 'ok' | 'unauthenticated' | 'forbidden' {
  if (access.kind === 'own') return 'ok';
  if (principal === undefined) return 'unauthenticated';
  if (principal.roles.includes('cloud-admin')) return 'ok';
  switch (access.kind) {
    case 'token':
      return 'ok';
    case 'cloud-admin':
      return 'forbidden';
    case 'project': {
      if (project === undefined || principal.scope !== project) return 'forbidden';
      const best = Math.max(0, ...principal.roles.map((r) => (r === 'cloud-admin' ? 0 : RANK[r])));
      return best >= RANK[access.role] ? 'ok' : 'forbidden';
    }
  }
}

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: Access;
  }
  interface FastifyRequest {
    principal: Principal | undefined;
  }
}
