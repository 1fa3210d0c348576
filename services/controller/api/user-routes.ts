import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { Role } from '../access/access.ts';
import { auditRequest } from '../audit/request-audit.ts';
import { controllerErrors } from '../errors.ts';
import { checkPasswordPolicy, hashPassword } from '../identity/password-hash.ts';
import type { User } from '../identity/user-repository.ts';
import type { ControllerCore } from './controller-core.ts';
import { projectOf } from './project-routes.ts';
import { GUARDED, NoQuery, Password, ProjectRef, replies, RoleSchema, Timestamp, UserName } from './schemas.ts';

export const UserSchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  disabled: Type.Boolean(),
  cloudAdmin: Type.Boolean(),
  createdAt: Timestamp,
});

const BindingSchema = Type.Object({
  scope: Type.String({ description: "a project id, or '*' for the cloud" }),
  project: Type.Union([Type.String(), Type.Null()], { description: 'the project name' }),
  role: RoleSchema,
  since: Timestamp,
});

const UserDetail = Type.Object({ ...UserSchema.properties, bindings: Type.Array(BindingSchema) });

const NewUserBody = Type.Object(
  {
    name: UserName,
    password: Password,
    role: Type.Optional(RoleSchema),
    project: Type.Optional(ProjectRef),
  },
  { additionalProperties: false },
);

const UserParams = Type.Object({ user: UserName }, { additionalProperties: false });
const SetPasswordBody = Type.Object({ password: Password }, { additionalProperties: false });

/** User accounts, for cloud-admins: /api/v1/users/... */
export function userRoutes(core: ControllerCore) {
  return async (app: FastifyInstance): Promise<void> => {
    app.get(
      '/users',
      {
        config: { access: { kind: 'cloud-admin' } },
        schema: { summary: 'Every user', tags: ['users'], querystring: NoQuery, response: replies({ 200: Type.Object({ users: Type.Array(UserSchema) }) }, GUARDED) },
      },
      async () => ({ users: core.users.list().map((u) => toUser(core, u)) }),
    );

    app.post<{ Body: Static<typeof NewUserBody> }>(
      '/users',
      {
        config: { access: { kind: 'cloud-admin' } },
        schema: {
          summary: 'Create a user, optionally cloud-admin (role cloud-admin) or with a role in a project (project, role defaulting to member)',
          tags: ['users'],
          body: NewUserBody,
          response: replies({ 201: UserDetail }, [...GUARDED, 404, 409]),
        },
      },
      async (request, reply) => {
        const { name, password, role, project: projectRef } = request.body;
        const binding = bindingFor(core, role, projectRef);
        checkPasswordPolicy(password);
        if (core.users.find(name)) throw controllerErrors.USER_EXISTS({ user: name });
        const hash = await hashPassword(password, { cost: core.config.password_cost });
        const user = core.write(() => {
          if (core.users.find(name)) throw controllerErrors.USER_EXISTS({ user: name });
          const made = core.users.create({ name, passwordHash: hash }, core.now());
          if (binding) core.users.bind(made.id, binding, core.now());
          auditRequest(core.audit, request, {
            action: 'users.create',
            target: made.name,
            projectId: binding && binding.scope !== '*' ? binding.scope : null,
            outcome: 'ok',
            detail: { role: binding?.role ?? null, scope: binding?.scope ?? null },
          });
          return made;
        });
        return reply.code(201).send(detail(core, user));
      },
    );

    app.get<{ Params: Static<typeof UserParams> }>(
      '/users/:user',
      {
        config: { access: { kind: 'cloud-admin' } },
        schema: { summary: 'One user with their roles', tags: ['users'], params: UserParams, querystring: NoQuery, response: replies({ 200: UserDetail }, [...GUARDED, 404]) },
      },
      async (request) => detail(core, userOf(core, request.params.user)),
    );

    app.delete<{ Params: Static<typeof UserParams> }>(
      '/users/:user',
      {
        config: { access: { kind: 'cloud-admin' } },
        schema: {
          summary: 'Delete a user with their roles, sessions and API keys',
          tags: ['users'],
          params: UserParams,
          response: replies({ 200: Type.Object({ deleted: Type.String() }) }, [...GUARDED, 404, 409]),
        },
      },
      async (request) => {
        const user = userOf(core, request.params.user);
        core.write(() => {
          if (core.users.role(user.id, '*') === 'cloud-admin' && core.users.countWithRole('*', 'cloud-admin') <= 1) throw controllerErrors.LAST_ADMIN({ what: 'the cloud' });
          const bindings = core.users.bindings(user.id).length;
          core.users.delete(user.id);
          auditRequest(core.audit, request, { action: 'users.delete', target: user.name, outcome: 'ok', detail: { id: user.id, bindings } });
        });
        return { deleted: user.name };
      },
    );

    app.post<{ Params: Static<typeof UserParams>; Body: Static<typeof SetPasswordBody> }>(
      '/users/:user/password',
      {
        config: { access: { kind: 'cloud-admin' } },
        schema: {
          summary: "Set a user's password; their login sessions are revoked (API keys stay)",
          tags: ['users'],
          params: UserParams,
          body: SetPasswordBody,
          response: replies({ 200: Type.Object({ revokedSessions: Type.Integer() }) }, [...GUARDED, 404]),
        },
      },
      async (request) => {
        const user = userOf(core, request.params.user);
        checkPasswordPolicy(request.body.password);
        const hash = await hashPassword(request.body.password, { cost: core.config.password_cost });
        return core.write(() => {
          core.users.setPasswordHash(user.id, hash);
          const revokedSessions = core.tokens.revokeSessions(user.id, { now: core.now() });
          auditRequest(core.audit, request, { action: 'users.password', target: user.name, outcome: 'ok', detail: { revokedSessions } });
          return { revokedSessions };
        });
      },
    );
  };
}

function userOf(core: ControllerCore, name: string): User {
  const user = core.users.find(name);
  if (user === undefined) throw controllerErrors.USER_NOT_FOUND({ user: name });
  return user;
}

/** The binding a new user starts with: cloud-admin over '*', or a project role (member unless said). */
function bindingFor(core: ControllerCore, role: Role | undefined, projectRef: string | undefined): { scope: string; role: Role } | undefined {
  if (role === 'cloud-admin') {
    if (projectRef !== undefined) throw controllerErrors.ROLE_INVALID({ problem: 'cloud-admin is over the whole cloud; give no project with it' });
    return { scope: '*', role };
  }
  if (projectRef === undefined) {
    if (role !== undefined) throw controllerErrors.ROLE_INVALID({ problem: `role ${role} is a project role; name the project too` });
    return undefined;
  }
  return { scope: projectOf(core, projectRef).id, role: role ?? 'member' };
}

function toUser(core: ControllerCore, user: User): Static<typeof UserSchema> {
  return { id: user.id, name: user.name, disabled: user.disabled, cloudAdmin: core.users.role(user.id, '*') === 'cloud-admin', createdAt: user.createdAt };
}

function detail(core: ControllerCore, user: User): Static<typeof UserDetail> {
  const bindings = core.users.bindings(user.id).map((b) => ({ scope: b.scope, project: b.scope === '*' ? null : (core.projects.find(b.scope)?.name ?? null), role: b.role, since: b.since }));
  return { ...toUser(core, user), bindings };
}
