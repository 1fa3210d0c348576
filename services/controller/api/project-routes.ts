import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { highestProjectRole, type Principal, type ProjectRole } from '../access/access.ts';
import { principalOf } from '../access/access-plugin.ts';
import { auditRequest } from '../audit/request-audit.ts';
import { controllerErrors } from '../errors.ts';
import type { Project } from '../identity/project-repository.ts';
import type { ControllerCore } from './controller-core.ts';
import { GUARDED, NoQuery, ProjectName, ProjectParams, ProjectRef, ProjectRoleSchema, ProjectSchema, replies, Timestamp, UserName } from './schemas.ts';

const ProjectWithRole = Type.Object({
  ...ProjectSchema.properties,
  role: Type.Union([ProjectRoleSchema, Type.Literal('cloud-admin'), Type.Null()], { description: "the caller's role in it (cloud-admin: over all projects)" }),
});

const NewProjectBody = Type.Object(
  { name: ProjectName, description: Type.Optional(Type.String({ maxLength: 1024 })) },
  { additionalProperties: false },
);

const MemberSchema = Type.Object({ user: Type.String(), userId: Type.String(), role: ProjectRoleSchema, since: Timestamp });
const MemberParams = Type.Object({ project: ProjectRef, user: UserName }, { additionalProperties: false });
const MemberBody = Type.Object({ role: ProjectRoleSchema }, { additionalProperties: false });

/** Projects and their members: /api/v1/projects/... */
export function projectRoutes(core: ControllerCore) {
  return async (app: FastifyInstance): Promise<void> => {
    app.get(
      '/projects',
      {
        config: { access: { kind: 'token' } },
        schema: {
          summary: 'Projects the caller can see: all for a cloud-admin, otherwise those the user has a role in',
          tags: ['projects'],
          querystring: NoQuery,
          response: replies({ 200: Type.Object({ projects: Type.Array(ProjectWithRole) }) }, GUARDED),
        },
      },
      async (request) => ({ projects: visibleProjects(core, principalOf(request)) }),
    );

    app.post<{ Body: Static<typeof NewProjectBody> }>(
      '/projects',
      {
        config: { access: { kind: 'cloud-admin' } },
        schema: { summary: 'Create a project', tags: ['projects'], body: NewProjectBody, response: replies({ 201: ProjectSchema }, [...GUARDED, 409]) },
      },
      async (request, reply) => {
        const { name, description = '' } = request.body;
        const project = core.write(() => {
          if (core.projects.find(name)) throw controllerErrors.PROJECT_EXISTS({ project: name });
          const made = core.projects.create({ name, description }, core.now());
          auditRequest(core.audit, request, { action: 'projects.create', target: made.name, projectId: made.id, outcome: 'ok', detail: { id: made.id } });
          return made;
        });
        return reply.code(201).send(project);
      },
    );

    app.get<{ Params: Static<typeof ProjectParams> }>(
      '/projects/:project',
      {
        config: { access: { kind: 'project', role: 'reader' } },
        schema: { summary: 'One project', tags: ['projects'], params: ProjectParams, querystring: NoQuery, response: replies({ 200: ProjectSchema }, [...GUARDED, 404]) },
      },
      async (request) => projectOf(core, request.params.project),
    );

    app.delete<{ Params: Static<typeof ProjectParams> }>(
      '/projects/:project',
      {
        config: { access: { kind: 'cloud-admin' } },
        schema: {
          summary: 'Delete a project with its memberships and every token scoped to it',
          tags: ['projects'],
          params: ProjectParams,
          response: replies({ 200: Type.Object({ deleted: Type.String() }) }, [...GUARDED, 404]),
        },
      },
      async (request) => {
        const project = projectOf(core, request.params.project);
        core.write(() => {
          const members = core.projects.members(project.id).length;
          core.projects.delete(project.id);
          auditRequest(core.audit, request, { action: 'projects.delete', target: project.name, projectId: project.id, outcome: 'ok', detail: { members } });
        });
        return { deleted: project.id };
      },
    );

    app.get<{ Params: Static<typeof ProjectParams> }>(
      '/projects/:project/members',
      {
        config: { access: { kind: 'project', role: 'reader' } },
        schema: {
          summary: 'Who has which role in the project',
          tags: ['projects'],
          params: ProjectParams,
          querystring: NoQuery,
          response: replies({ 200: Type.Object({ members: Type.Array(MemberSchema) }) }, [...GUARDED, 404]),
        },
      },
      async (request) => ({ members: core.projects.members(projectOf(core, request.params.project).id) }),
    );

    app.put<{ Params: Static<typeof MemberParams>; Body: Static<typeof MemberBody> }>(
      '/projects/:project/members/:user',
      {
        config: { access: { kind: 'project', role: 'admin' } },
        schema: {
          summary: "Give a user a role in the project (replacing the one they had)",
          tags: ['projects'],
          params: MemberParams,
          body: MemberBody,
          response: replies({ 200: MemberSchema }, [...GUARDED, 404, 409]),
        },
      },
      async (request) => {
        const principal = principalOf(request);
        const project = projectOf(core, request.params.project);
        return core.write(() => {
          const user = core.users.find(request.params.user);
          if (user === undefined) throw controllerErrors.USER_NOT_FOUND({ user: request.params.user });
          const before = core.users.role(user.id, project.id);
          if (before === 'admin' && request.body.role !== 'admin') refuseLastAdmin(core, principal, project);
          core.users.bind(user.id, { scope: project.id, role: request.body.role }, core.now());
          auditRequest(core.audit, request, { action: 'projects.grant', target: user.name, projectId: project.id, outcome: 'ok', detail: { role: request.body.role, before: before ?? null } });
          return core.projects.members(project.id).find((m) => m.userId === user.id)!;
        });
      },
    );

    app.delete<{ Params: Static<typeof MemberParams> }>(
      '/projects/:project/members/:user',
      {
        config: { access: { kind: 'project', role: 'admin' } },
        schema: {
          summary: "Take away a user's role in the project; their tokens for it are revoked",
          tags: ['projects'],
          params: MemberParams,
          response: replies({ 200: Type.Object({ removed: Type.String(), revokedTokens: Type.Integer() }) }, [...GUARDED, 404, 409]),
        },
      },
      async (request) => {
        const principal = principalOf(request);
        const project = projectOf(core, request.params.project);
        return core.write(() => {
          const user = core.users.find(request.params.user);
          const before = user ? core.users.role(user.id, project.id) : undefined;
          if (user === undefined || before === undefined) throw controllerErrors.MEMBER_NOT_FOUND({ user: request.params.user, project: project.name });
          if (before === 'admin') refuseLastAdmin(core, principal, project);
          core.users.unbind(user.id, project.id);
          const revokedTokens = core.tokens.revokeScope({ userId: user.id, scope: project.id }, core.now());
          auditRequest(core.audit, request, { action: 'projects.revoke', target: user.name, projectId: project.id, outcome: 'ok', detail: { role: before, revokedTokens } });
          return { removed: user.name, revokedTokens };
        });
      },
    );
  };
}

/** The project a path names, or 404. */
export function projectOf(core: ControllerCore, ref: string): Project {
  const project = core.projects.find(ref);
  if (project === undefined) throw controllerErrors.PROJECT_NOT_FOUND({ project: ref });
  return project;
}

/** The caller's role in a project: cloud-admins act as its admin. */
export function callerRole(principal: Principal): ProjectRole | undefined {
  return principal.roles.includes('cloud-admin') ? 'admin' : highestProjectRole(principal.roles);
}

function visibleProjects(core: ControllerCore, principal: Principal): (Project & { role: ProjectRole | 'cloud-admin' | null })[] {
  if (principal.roles.includes('cloud-admin')) return core.projects.list().map((p) => ({ ...p, role: 'cloud-admin' as const }));
  if (principal.kind === 'api-key') {
    const project = core.projects.find(principal.scope);
    return project ? [{ ...project, role: highestProjectRole(principal.roles) ?? null }] : [];
  }
  return core.projects.listForUser(principal.userId);
}

/** A project admin may not remove the project's last admin; a cloud-admin may (and can always put one back). */
function refuseLastAdmin(core: ControllerCore, principal: Principal, project: Project): void {
  if (principal.roles.includes('cloud-admin')) return;
  if (core.users.countWithRole(project.id, 'admin') <= 1) throw controllerErrors.LAST_ADMIN({ what: `project ${project.name}` });
}
