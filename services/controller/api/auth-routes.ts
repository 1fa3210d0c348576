import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isAllianceError } from '../../../appliance/errors/index.ts';
import { principalOf } from '../access/access-plugin.ts';
import { markAudited } from '../audit/request-audit.ts';
import type { ControllerCore } from './controller-core.ts';
import { GUARDED, NullableTimestamp, Password, ProjectRef, replies, RoleSchema, Timestamp, UserName } from './schemas.ts';

const LoginBody = Type.Object(
  {
    user: UserName,
    password: Password,
    project: Type.Optional(ProjectRef),
  },
  { additionalProperties: false },
);

const RefreshBody = Type.Object({ refreshToken: Type.String({ minLength: 1, maxLength: 256 }) }, { additionalProperties: false });

const PasswordBody = Type.Object({ current: Password, new: Password }, { additionalProperties: false });

const ProjectBrief = Type.Object({ id: Type.String(), name: Type.String() });

export const SessionTokensSchema = Type.Object({
  accessToken: Type.String(),
  refreshToken: Type.String(),
  tokenType: Type.Literal('Bearer'),
  expiresAt: Timestamp,
  refreshExpiresAt: Timestamp,
  user: Type.String(),
  scope: Type.String({ description: "a project id, '*' for the whole cloud, '' when no project was chosen" }),
  project: Type.Union([ProjectBrief, Type.Null()]),
  roles: Type.Array(RoleSchema),
  projects: Type.Array(Type.Object({ id: Type.String(), name: Type.String(), role: RoleSchema }), { description: 'when no project was chosen: those the user can log in to' }),
});

export const WhoamiSchema = Type.Object({
  user: Type.String(),
  kind: Type.Union([Type.Literal('user'), Type.Literal('api-key')]),
  tokenId: Type.String(),
  scope: Type.String(),
  project: Type.Union([ProjectBrief, Type.Null()]),
  roles: Type.Array(RoleSchema),
  expiresAt: NullableTimestamp,
});

/** Login, refresh, logout, whoami and the caller's own password: /api/v1/auth/... */
export function authRoutes(core: ControllerCore) {
  return async (app: FastifyInstance): Promise<void> => {
    app.post<{ Body: Static<typeof LoginBody> }>(
      '/auth/login',
      {
        config: { access: { kind: 'own', how: 'user name and password in the body' } },
        schema: {
          summary: 'Log in with a password: an access token and a refresh token',
          tags: ['auth'],
          body: LoginBody,
          response: replies({ 200: SessionTokensSchema }, [400, 401, 403, 429]),
        },
      },
      async (request, reply) =>
        sessionCall(request, reply, () => core.sessions.login({ user: request.body.user, password: request.body.password, project: request.body.project }, { source: request.ip })),
    );

    app.post<{ Body: Static<typeof RefreshBody> }>(
      '/auth/refresh',
      {
        config: { access: { kind: 'own', how: 'a refresh token in the body' } },
        schema: {
          summary: 'Swap a refresh token for a new access and refresh token (the old one is spent)',
          tags: ['auth'],
          body: RefreshBody,
          response: replies({ 200: SessionTokensSchema }, [400, 401]),
        },
      },
      async (request, reply) => sessionCall(request, reply, async () => core.sessions.refresh(request.body.refreshToken, { source: request.ip })),
    );

    app.post(
      '/auth/logout',
      {
        config: { access: { kind: 'token' } },
        schema: {
          summary: "Revoke the caller's token, and every token of its login session",
          tags: ['auth'],
          response: replies({ 200: Type.Object({ revoked: Type.Integer() }) }, GUARDED),
        },
      },
      async (request, reply) => sessionCall(request, reply, async () => core.sessions.logout(principalOf(request), { source: request.ip })),
    );

    app.get(
      '/auth/whoami',
      {
        config: { access: { kind: 'token' } },
        schema: { summary: 'Who the token belongs to, its scope and roles', tags: ['auth'], response: replies({ 200: WhoamiSchema }, GUARDED) },
      },
      async (request) => {
        const p = principalOf(request);
        const project = p.scope === '*' || p.scope === '' ? undefined : core.projects.find(p.scope);
        return { user: p.userName, kind: p.kind, tokenId: p.tokenId, scope: p.scope, project: project ? { id: project.id, name: project.name } : null, roles: p.roles, expiresAt: p.expiresAt };
      },
    );

    app.post<{ Body: Static<typeof PasswordBody> }>(
      '/auth/password',
      {
        config: { access: { kind: 'token' } },
        schema: {
          summary: "Change the caller's own password (other sessions are revoked)",
          tags: ['auth'],
          body: PasswordBody,
          response: replies({ 200: Type.Object({ revokedSessions: Type.Integer() }) }, [...GUARDED, 429]),
        },
      },
      async (request, reply) =>
        sessionCall(request, reply, () => core.sessions.changePassword(principalOf(request), { current: request.body.current, next: request.body.new }, { source: request.ip })),
    );
  };
}

/** Sessions audit every outcome themselves; a rate limit also says when to retry. */
async function sessionCall<T>(request: FastifyRequest, reply: FastifyReply, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (isAllianceError(err, 'APL_CTRL_LOGIN_RATE_LIMITED')) void reply.header('retry-after', String(err.params.retryAfter));
    throw err;
  } finally {
    markAudited(request);
  }
}
