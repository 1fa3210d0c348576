import swagger from '@fastify/swagger';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { Access } from '../access/access.ts';
import { accessPlugin } from '../access/access-plugin.ts';
import { apiKeyRoutes } from './api-key-routes.ts';
import { auditRoutes } from './audit-routes.ts';
import { authRoutes } from './auth-routes.ts';
import type { ControllerCore } from './controller-core.ts';
import { eventRoutes } from './event-routes.ts';
import { projectRoutes } from './project-routes.ts';
import { GUARDED, NoQuery, replies } from './schemas.ts';
import { userRoutes } from './user-routes.ts';

export const API_PREFIX = '/api/v1';
/** The OpenAPI extension each operation carries its access declaration in. */
export const ACCESS_EXTENSION = 'x-alliance-access';

/** A group of routes another part of the controller (hosts, enrolment) adds to /api/v1. */
export interface ApiFeature {
  /**
   * A Fastify plugin registered inside /api/v1 after the access plugin, so
   * its routes are access-checked, audited on refusal, and in the OpenAPI
   * document. Paths are relative ('/hosts'); each route must declare
   * `config: { access }` or startup fails.
   */
  readonly routes: (app: FastifyInstance) => Promise<void>;
}

export interface ControllerApiOptions {
  readonly features?: readonly ApiFeature[];
}

const OpenApiDocument = Type.Object(
  { openapi: Type.String(), info: Type.Unknown(), paths: Type.Unknown(), components: Type.Optional(Type.Unknown()) },
  { additionalProperties: true },
);

/**
 * The controller's REST API as one encapsulated plugin under /api/v1: the
 * OpenAPI generator and the access plugin first, then each area's routes,
 * then the features'.
 */
export function controllerApi(core: ControllerCore, options: ControllerApiOptions = {}): (app: FastifyInstance) => Promise<void> {
  return async (app: FastifyInstance): Promise<void> => {
    await app.register(
      async (v1) => {
        await v1.register(swagger, {
          openapi: {
            openapi: '3.1.0',
            info: { title: 'Alliance controller API', version: 'v1', description: 'Bearer tokens come from POST /api/v1/auth/login, or are project API keys.' },
            components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'alc_<id>_<secret>: an access token or an API key' } } },
            security: [{ bearer: [] }],
          },
          transform: ({ schema, url, route }) => {
            const access: Access | undefined = route.config?.access;
            return { schema: { ...schema, [ACCESS_EXTENSION]: access ?? null, ...(access?.kind === 'own' ? { security: [] } : {}) }, url };
          },
        });
        await v1.register(accessPlugin({ tokens: core.tokens, projects: core.projects, audit: core.audit, now: core.now, log: core.log, refusalThrottle: core.refusalThrottle }));

        v1.get(
          '/openapi.json',
          {
            config: { access: { kind: 'token' } },
            schema: { summary: 'This document', tags: ['meta'], querystring: NoQuery, response: replies({ 200: OpenApiDocument }, GUARDED) },
          },
          async () => v1.swagger(),
        );
        await v1.register(authRoutes(core));
        await v1.register(projectRoutes(core));
        await v1.register(apiKeyRoutes(core));
        await v1.register(userRoutes(core));
        await v1.register(auditRoutes(core));
        await v1.register(eventRoutes(core));
        for (const feature of options.features ?? []) await v1.register(feature.routes);
      },
      { prefix: API_PREFIX },
    );
  };
}
