import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AllianceError } from '../../../appliance/errors/index.ts';
import { isAllianceError } from '../../../appliance/errors/index.ts';
import type { Logger } from '../../../appliance/log/index.ts';
import type { AuditLog } from '../audit/audit-log.ts';
import { actorOf, auditRequest, markAudited, wasAudited } from '../audit/request-audit.ts';
import { controllerErrors } from '../errors.ts';
import type { ProjectRepository } from '../identity/project-repository.ts';
import type { SlidingWindowLimiter } from '../identity/sliding-window-limiter.ts';
import type { TokenRepository } from '../identity/token-repository.ts';
import { allows, type Access, type Principal } from './access.ts';

export interface AccessDeps {
  readonly tokens: TokenRepository;
  readonly projects: ProjectRepository;
  readonly audit: AuditLog;
  readonly now: () => Date;
  readonly log: Logger;
  /** Bounds the audit rows refusals may write per client address, so a flood of bad requests cannot fill the disk. */
  readonly refusalThrottle: SlidingWindowLimiter;
}

const SKIP_OVERRIDE = Symbol.for('skip-override');
const READ_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Access control for the scope it is registered in (the /api/v1 plugin): its
 * hooks apply there and to the route plugins registered after it, and
 * nowhere else.
 *
 * - At startup, a route without `config.access` is an error: no route is
 *   open by omission.
 * - Each request's bearer token becomes `request.principal` (one indexed
 *   lookup), and `allows()` decides with the route's :project parameter:
 *   401 for a missing, unknown, expired or revoked token, 403 for the wrong
 *   project or too low a role. Refusals are audited. This runs in onRequest,
 *   before body validation, so a caller without access learns nothing about
 *   the route's schema.
 * - A mutation that answers without an audit entry gets one afterwards
 *   ("failed" with the error code), and a success without one is logged as a bug.
 */
export function accessPlugin(deps: AccessDeps): (app: FastifyInstance) => Promise<void> {
  const plugin = async (app: FastifyInstance): Promise<void> => {
    const errors = new WeakMap<FastifyRequest, string>();
    const admitted = new WeakSet<FastifyRequest>();
    app.decorateRequest('principal', undefined);

    app.addHook('onRoute', (route) => {
      const access = route.config?.access;
      const where = `${String(route.method)} ${route.url}`;
      if (access === undefined) throw new TypeError(`Cannot register route ${where}: it declares no config.access; every /api/v1 route must say who may call it`);
      if (access.kind === 'project' && !/(^|\/):project(\/|$)/.test(route.url)) throw new TypeError(`Cannot register route ${where}: access "project" needs a :project parameter in the path`);
    });

    app.addHook('onRequest', async (request) => {
      const access = request.routeOptions.config.access;
      if (access === undefined) return;
      if (access.kind === 'own') {
        admitted.add(request);
        return;
      }
      const params = request.params as Record<string, string | undefined>;
      const projectParam = params.project;
      // One lookup per request: the id decides access, and only an existing project goes into a refusal's audit row.
      const project = projectParam === undefined ? undefined : deps.projects.find(projectParam);
      const projectId = project?.id ?? projectParam;

      const match = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? '');
      if (!match) throw refuse(request, controllerErrors.TOKEN_REQUIRED(), { projectId: project?.id, who: undefined });
      const resolution = deps.tokens.resolve(match[1]!, deps.now());
      if (!resolution.ok) {
        const error =
          resolution.problem === 'expired'
            ? controllerErrors.TOKEN_EXPIRED({ expiresAt: resolution.record?.expiresAt ?? '' })
            : resolution.problem === 'revoked'
              ? controllerErrors.TOKEN_REVOKED()
              : controllerErrors.TOKEN_INVALID();
        throw refuse(request, error, { projectId: project?.id, who: resolution.record?.userName });
      }
      request.principal = resolution.principal;
      const verdict = allows(access, resolution.principal, projectId);
      if (verdict !== 'ok') {
        const route = `${request.method} ${request.routeOptions.url ?? ''}`;
        throw refuse(request, controllerErrors.FORBIDDEN({ route, need: describeNeed(access, projectParam), have: describeGrant(resolution.principal) }), { projectId: project?.id, who: undefined });
      }
      admitted.add(request);
    });

    app.addHook('onError', async (request, _reply, error) => {
      errors.set(request, isAllianceError(error) ? error.code : ((error as { code?: string }).code ?? 'error'));
    });

    app.addHook('onResponse', async (request: FastifyRequest, reply: FastifyReply) => {
      if (READ_METHODS.has(request.method) || !admitted.has(request) || wasAudited(request)) return;
      const action = `${request.method} ${request.routeOptions.url ?? ''}`;
      if (reply.statusCode < 400) {
        deps.log.error({ route: action }, 'a mutation answered without an audit entry; recording one after the fact');
      } else if (request.principal === undefined && !deps.refusalThrottle.take(request.ip, deps.now().getTime())) {
        return;
      }
      try {
        auditRequest(deps.audit, request, {
          action,
          target: request.url.split('?')[0] ?? '',
          outcome: reply.statusCode < 400 ? 'ok' : 'failed',
          detail: { status: reply.statusCode, ...(errors.has(request) ? { code: errors.get(request) } : {}) },
        });
      } catch (err) {
        deps.log.error({ err: (err as Error).message, route: action }, 'could not audit a request');
      }
    });

    /** Audits a refusal (at most so many per client address a minute) and hands back the error to throw. */
    function refuse(request: FastifyRequest, error: AllianceError, context: { /** The id of an existing project, if the route names one. */ projectId: string | undefined; who: string | undefined }): AllianceError {
      markAudited(request);
      if (!deps.refusalThrottle.take(request.ip, deps.now().getTime())) return error;
      const who = actorOf(request.principal);
      try {
        deps.audit.record({
          actor: request.principal ? who.actor : (context.who ?? 'anonymous'),
          actorKind: who.actorKind,
          action: `${request.method} ${request.routeOptions.url ?? ''}`,
          target: request.url.split('?')[0] ?? '',
          projectId: context.projectId ?? null,
          source: request.ip,
          outcome: 'denied',
          detail: { ...who.detail, code: error.code },
        });
      } catch (err) {
        deps.log.error({ err: (err as Error).message }, 'could not audit a refused request');
      }
      return error;
    }
  };
  return Object.assign(plugin, { [SKIP_OVERRIDE]: true });
}

/** The principal, for a route whose access is not "own" (the access hook has set it). */
export function principalOf(request: FastifyRequest): Principal {
  if (request.principal === undefined) throw controllerErrors.TOKEN_REQUIRED();
  return request.principal;
}

function describeNeed(access: Access, project: string | undefined): string {
  switch (access.kind) {
    case 'own':
    case 'token':
      return 'a valid token';
    case 'cloud-admin':
      return 'a cloud-admin token';
    case 'project':
      return `role ${access.role} or higher in project ${project ?? '?'}`;
  }
}

function describeGrant(principal: Principal): string {
  if (principal.roles.includes('cloud-admin')) return 'cloud-admin';
  if (principal.scope === '') return 'no project (log in with --project)';
  return `role ${principal.roles.join(', ') || 'none'} in project ${principal.scope}`;
}
