import type { FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import { Type, type Static } from '@sinclair/typebox';
import type { Store } from '../store/index.ts';
import { ApplianceStatusSchema, type ApplianceStatus } from './status-schema.ts';

const Kind = Type.String({ pattern: '^[a-z][a-z0-9_.-]{0,63}$', description: 'dotted lower-case name, e.g. operator.note' });

export const NewEventBody = Type.Object(
  {
    kind: Kind,
    message: Type.String({ minLength: 1, maxLength: 1024 }),
    severity: Type.Optional(Type.Union([Type.Literal('info'), Type.Literal('warning'), Type.Literal('error')])),
    source: Type.Optional(Type.String({ pattern: '^[a-z][a-z0-9_.-]{0,63}$' })),
    data: Type.Optional(Type.Record(Type.String({ maxLength: 64 }), Type.Unknown(), { maxProperties: 32 })),
    idempotencyKey: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
  },
  { additionalProperties: false },
);

export const EventSchema = Type.Object({
  id: Type.Integer(),
  at: Type.String(),
  source: Type.String(),
  kind: Type.String(),
  severity: Type.String(),
  message: Type.String(),
  data: Type.Record(Type.String(), Type.Unknown()),
  idempotencyKey: Type.Union([Type.String(), Type.Null()]),
});

const EventsQuery = Type.Object(
  {
    after: Type.Optional(Type.Integer({ minimum: 0 })),
    kind: Type.Optional(Kind),
    limit: Type.Integer({ minimum: 1, maximum: 1000, default: 50 }),
  },
  { additionalProperties: false },
);

export interface ControlRouteDeps {
  readonly status: () => ApplianceStatus;
  readonly store: Store;
  readonly metrics: Registry;
  readonly now: () => Date;
}

/**
 * Routes of the local control socket. The socket is mode 0600 inside a 0700
 * directory: reaching it at all is the authentication.
 */
export function controlRoutes(deps: ControlRouteDeps) {
  return async (app: FastifyInstance): Promise<void> => {
    app.get('/v1/status', { schema: { response: { 200: ApplianceStatusSchema } } }, () => deps.status());

    app.get<{ Querystring: Static<typeof EventsQuery> }>(
      '/v1/events',
      { schema: { querystring: EventsQuery, response: { 200: Type.Object({ events: Type.Array(EventSchema) }) } } },
      (request) => ({ events: deps.store.events.list(request.query) }),
    );

    app.post<{ Body: Static<typeof NewEventBody> }>(
      '/v1/events',
      { schema: { body: NewEventBody, response: { 200: Type.Object({ event: EventSchema }), 201: Type.Object({ event: EventSchema }) } } },
      async (request, reply) => {
        const body = request.body;
        const { event, created } = deps.store.events.record(
          { source: body.source ?? 'operator', kind: body.kind, severity: body.severity ?? 'info', message: body.message, data: body.data, idempotencyKey: body.idempotencyKey },
          deps.now(),
        );
        return reply.code(created ? 201 : 200).send({ event });
      },
    );

    app.get('/metrics', async (_request, reply) => reply.type(deps.metrics.contentType).send(await deps.metrics.metrics()));
  };
}
