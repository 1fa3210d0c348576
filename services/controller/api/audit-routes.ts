import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { ControllerCore } from './controller-core.ts';
import { projectOf } from './project-routes.ts';
import { GUARDED, ProjectParams, ProjectRef, replies, Timestamp } from './schemas.ts';

export const AuditRecordSchema = Type.Object({
  id: Type.Integer(),
  at: Timestamp,
  actor: Type.String(),
  actorKind: Type.Union([Type.Literal('user'), Type.Literal('api-key'), Type.Literal('host'), Type.Literal('system'), Type.Literal('anonymous')]),
  action: Type.String(),
  target: Type.String(),
  projectId: Type.Union([Type.String(), Type.Null()]),
  source: Type.String(),
  outcome: Type.Union([Type.Literal('ok'), Type.Literal('denied'), Type.Literal('failed')]),
  detail: Type.Record(Type.String(), Type.Unknown()),
});

export const UsageRecordSchema = Type.Object({
  id: Type.Integer(),
  at: Timestamp,
  projectId: Type.String(),
  kind: Type.String(),
  quantity: Type.Number(),
  unit: Type.String(),
  subject: Type.String(),
  data: Type.Record(Type.String(), Type.Unknown()),
});

const Action = Type.String({ minLength: 1, maxLength: 128 });
const Page = {
  after: Type.Optional(Type.Integer({ minimum: 0, description: 'only records with a greater id (to follow)' })),
  limit: Type.Integer({ minimum: 1, maximum: 1000, default: 50 }),
};

const AuditQuery = Type.Object({ project: Type.Optional(ProjectRef), action: Type.Optional(Action), ...Page }, { additionalProperties: false });
const ProjectAuditQuery = Type.Object({ action: Type.Optional(Action), ...Page }, { additionalProperties: false });
const UsageQuery = Type.Object({ kind: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })), ...Page }, { additionalProperties: false });

/** The audit log (cloud-wide and per project) and per-project usage: /api/v1/audit, /api/v1/projects/:project/{audit,usage} */
export function auditRoutes(core: ControllerCore) {
  return async (app: FastifyInstance): Promise<void> => {
    app.get<{ Querystring: Static<typeof AuditQuery> }>(
      '/audit',
      {
        config: { access: { kind: 'cloud-admin' } },
        schema: {
          summary: 'The audit log, newest first',
          tags: ['audit'],
          querystring: AuditQuery,
          response: replies({ 200: Type.Object({ entries: Type.Array(AuditRecordSchema) }) }, [...GUARDED, 404]),
        },
      },
      async (request) => {
        const { project, action, after, limit } = request.query;
        const projectId = project === undefined ? undefined : projectOf(core, project).id;
        return { entries: core.audit.list({ projectId, action, after, limit }) };
      },
    );

    app.get<{ Params: Static<typeof ProjectParams>; Querystring: Static<typeof ProjectAuditQuery> }>(
      '/projects/:project/audit',
      {
        config: { access: { kind: 'project', role: 'admin' } },
        schema: {
          summary: "The project's audit log, newest first",
          tags: ['audit'],
          params: ProjectParams,
          querystring: ProjectAuditQuery,
          response: replies({ 200: Type.Object({ entries: Type.Array(AuditRecordSchema) }) }, [...GUARDED, 404]),
        },
      },
      async (request) => {
        const { action, after, limit } = request.query;
        return { entries: core.audit.list({ projectId: projectOf(core, request.params.project).id, action, after, limit }) };
      },
    );

    app.get<{ Params: Static<typeof ProjectParams>; Querystring: Static<typeof UsageQuery> }>(
      '/projects/:project/usage',
      {
        config: { access: { kind: 'project', role: 'reader' } },
        schema: {
          summary: "What the project used, newest first (the base for metering)",
          tags: ['usage'],
          params: ProjectParams,
          querystring: UsageQuery,
          response: replies({ 200: Type.Object({ usage: Type.Array(UsageRecordSchema) }) }, [...GUARDED, 404]),
        },
      },
      async (request) => {
        const { kind, after, limit } = request.query;
        return { usage: core.usage.list(projectOf(core, request.params.project).id, { kind, after, limit }) };
      },
    );
  };
}
