import type { FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import { Type } from '@sinclair/typebox';
import { requireBearer } from '../api/index.ts';
import type { Health } from '../supervisor/index.ts';

const HealthBody = Type.Object({ status: Type.String() });

export interface PublicRouteDeps {
  readonly health: () => Health;
  readonly metrics: Registry;
  readonly metricsToken: () => string;
}

/** The HTTPS port's own routes: health for anyone, metrics for holders of the scrape token. */
export function publicRoutes(deps: PublicRouteDeps) {
  return async (app: FastifyInstance): Promise<void> => {
    app.get('/healthz', { schema: { response: { 200: HealthBody, 503: HealthBody } } }, async (_request, reply) => {
      const status = deps.health();
      return reply.code(status === 'ok' ? 200 : 503).send({ status });
    });

    app.get('/metrics', { preHandler: requireBearer(deps.metricsToken) }, async (_request, reply) =>
      reply.type(deps.metrics.contentType).send(await deps.metrics.metrics()),
    );
  };
}
