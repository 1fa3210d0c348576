import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { highestProjectRole, roleAtLeast, type Principal } from '../access/access.ts';
import { principalOf } from '../access/access-plugin.ts';
import { auditRequest } from '../audit/request-audit.ts';
import { controllerErrors } from '../errors.ts';
import type { TokenRecord } from '../identity/token-repository.ts';
import type { ControllerCore } from './controller-core.ts';
import { callerRole, projectOf } from './project-routes.ts';
import { GUARDED, NoQuery, NullableTimestamp, ProjectParams, ProjectRef, ProjectRoleSchema, replies, Timestamp } from './schemas.ts';

export const ApiKeySchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  user: Type.String({ description: 'whose authority the key carries; it stops working when their role in the project goes' }),
  role: Type.Union([ProjectRoleSchema, Type.Null()]),
  createdAt: Timestamp,
  expiresAt: NullableTimestamp,
  revokedAt: NullableTimestamp,
});

const NewApiKeyBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 64 }),
    role: Type.Optional(ProjectRoleSchema),
    expiresAt: Type.Optional(Type.String({ format: 'date-time', maxLength: 40 })),
  },
  { additionalProperties: false },
);

const KeyParams = Type.Object({ project: ProjectRef, key: Type.String({ minLength: 1, maxLength: 32, pattern: '^[a-z2-7]+$' }) }, { additionalProperties: false });

/** API keys for automation: long-lived tokens scoped to one project, /api/v1/projects/:project/api-keys/... */
export function apiKeyRoutes(core: ControllerCore) {
  return async (app: FastifyInstance): Promise<void> => {
    app.get<{ Params: Static<typeof ProjectParams> }>(
      '/projects/:project/api-keys',
      {
        config: { access: { kind: 'project', role: 'reader' } },
        schema: {
          summary: "The project's API keys: all of them for its admins, one's own for everyone else (never the secrets)",
          tags: ['api-keys'],
          params: ProjectParams,
          querystring: NoQuery,
          response: replies({ 200: Type.Object({ apiKeys: Type.Array(ApiKeySchema) }) }, [...GUARDED, 404]),
        },
      },
      async (request) => {
        const principal = principalOf(request);
        const project = projectOf(core, request.params.project);
        const mine = callerRole(principal) === 'admin' ? undefined : principal.userId;
        return { apiKeys: core.tokens.apiKeys(project.id, { userId: mine }).map(toApiKey) };
      },
    );

    app.post<{ Params: Static<typeof ProjectParams>; Body: Static<typeof NewApiKeyBody> }>(
      '/projects/:project/api-keys',
      {
        config: { access: { kind: 'project', role: 'reader' } },
        schema: {
          summary: "Create an API key with at most the caller's role; the token is in this answer only",
          tags: ['api-keys'],
          params: ProjectParams,
          body: NewApiKeyBody,
          response: replies({ 201: Type.Object({ apiKey: ApiKeySchema, token: Type.String({ description: 'shown once; only its hash is kept' }) }) }, [...GUARDED, 404]),
        },
      },
      async (request, reply) => {
        const principal = principalOf(request);
        const project = projectOf(core, request.params.project);
        const own = callerRole(principal)!;
        const role = request.body.role ?? own;
        if (!roleAtLeast(own, role)) throw controllerErrors.ROLE_TOO_HIGH({ role, own });
        const now = core.now();
        const expiresAt = keyExpiry(request.body.expiresAt, principal, now);
        const made = core.write(() => {
          const issued = core.tokens.issue({ kind: 'api-key', userId: principal.userId, scope: project.id, roles: [role], name: request.body.name, expiresAt }, now);
          auditRequest(core.audit, request, { action: 'api-keys.create', target: issued.record.id, projectId: project.id, outcome: 'ok', detail: { name: request.body.name, role, expiresAt: issued.record.expiresAt } });
          core.usage.record({ projectId: project.id, kind: 'api-key.created', quantity: 1, unit: 'key', subject: issued.record.id, data: { role } });
          return issued;
        });
        return reply.code(201).send({ apiKey: toApiKey({ ...made.record, userName: principal.userName }), token: made.secret.token });
      },
    );

    app.delete<{ Params: Static<typeof KeyParams> }>(
      '/projects/:project/api-keys/:key',
      {
        config: { access: { kind: 'project', role: 'reader' } },
        schema: {
          summary: 'Revoke an API key: one\'s own, or any in the project for its admins',
          tags: ['api-keys'],
          params: KeyParams,
          response: replies({ 200: Type.Object({ revoked: Type.String() }) }, [...GUARDED, 404]),
        },
      },
      async (request) => {
        const principal = principalOf(request);
        const project = projectOf(core, request.params.project);
        return core.write(() => {
          const key = core.tokens.get(request.params.key);
          const mayManage = key !== undefined && key.kind === 'api-key' && key.scope === project.id && (callerRole(principal) === 'admin' || key.userId === principal.userId);
          if (!mayManage) throw controllerErrors.API_KEY_NOT_FOUND({ key: request.params.key, project: project.name });
          core.tokens.revoke(key.id, core.now());
          auditRequest(core.audit, request, { action: 'api-keys.revoke', target: key.id, projectId: project.id, outcome: 'ok', detail: { name: key.name, owner: key.userName } });
          return { revoked: key.id };
        });
      },
    );
  };
}

/**
 * When a new key expires: as asked, but never after the key that creates it,
 * so a key cannot outlive itself by minting another.
 */
function keyExpiry(asked: string | undefined, principal: Principal, now: Date): Date | null {
  const wanted = asked === undefined ? null : new Date(asked);
  if (wanted !== null && wanted.getTime() <= now.getTime()) throw controllerErrors.EXPIRY_INVALID({ expiresAt: asked, problem: 'it is not in the future' });
  if (principal.kind !== 'api-key' || principal.expiresAt === null) return wanted;
  const cap = new Date(principal.expiresAt);
  return wanted === null || wanted > cap ? cap : wanted;
}

function toApiKey(record: TokenRecord): Static<typeof ApiKeySchema> {
  return {
    id: record.id,
    name: record.name,
    user: record.userName,
    role: highestProjectRole(record.roles) ?? null,
    createdAt: record.createdAt,
    expiresAt: record.expiresAt,
    revokedAt: record.revokedAt,
  };
}
