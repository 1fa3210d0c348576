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
