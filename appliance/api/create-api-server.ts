import { timingSafeEqual } from 'node:crypto';
import Fastify, { LogController, type FastifyInstance, type FastifyReply, type FastifyRequest, type FastifyServerOptions } from 'fastify';
import { Type } from '@sinclair/typebox';
import { Ajv } from 'ajv';
import addFormatsPlugin from 'ajv-formats';
import { type AllianceError, isAllianceError } from '../errors/index.ts';
import type { Logger } from '../log/index.ts';
import { apiErrors } from './errors.ts';

// ajv-formats is CommonJS with a default export; under ESM interop the plugin function may sit one level down.
const addFormats = ((addFormatsPlugin as unknown as { default?: typeof addFormatsPlugin }).default ?? addFormatsPlugin) as unknown as (ajv: Ajv) => Ajv;

/** The body of every error answer. */
export const ErrorBody = Type.Object(
  {
    error: Type.Object({
      code: Type.String({ description: 'a stable APL_* code, see docs/errors.md' }),
      message: Type.String(),
    }),
  },
  { $id: 'ErrorBody' },
);

export interface ApiServerOptions {
  readonly log: Logger;
  /** Bytes; larger bodies get 413 before any handler runs. */
  readonly bodyLimit: number;
  readonly https?: { readonly key: Buffer; readonly cert: Buffer } | undefined;
}

/**
 * A Fastify instance with the appliance's conventions: JSON errors with APL_*
 * codes, validation failures as 400 naming the field, no stack trace ever sent,
 * request logs without secrets. Routes come as plugins.
 */
export function createApiServer(options: ApiServerOptions): FastifyInstance {
  const fastifyOptions: FastifyServerOptions & { https?: { key: Buffer; cert: Buffer } } = {
    loggerInstance: options.log,
    bodyLimit: options.bodyLimit,
    // Our onResponse hook logs requests at debug; Fastify's own per-request lines would be noise.
    logController: new LogController({ disableRequestLogging: true }),
    return503OnClosing: true,
    ...(options.https ? { https: { key: options.https.key, cert: options.https.cert } } : {}),
  };
  const app = Fastify(fastifyOptions) as unknown as FastifyInstance;
  app.addSchema(ErrorBody);
  const validators = validatorsByPart();
  app.setValidatorCompiler(({ schema, httpPart }) => (httpPart === 'body' ? validators.body : validators.text).compile(schema));

  app.setNotFoundHandler((request, reply) => {
    void sendError(reply, apiErrors.NOT_FOUND({ method: request.method, url: request.url.split('?')[0] }));
  });

  app.setErrorHandler((err: Error & { validation?: unknown; validationContext?: string; code?: string; statusCode?: number }, request, reply) => {
    if (isAllianceError(err)) {
      if (err.status >= 500) request.log.error({ err, code: err.code }, 'request failed');
      return sendError(reply, err);
    }
    if (err.validation) {
      // Ajv's "must NOT have additional properties" leaves out which one; name it.
      const extra = (err.validation as { keyword?: string; params?: { additionalProperty?: unknown } }[]).find((v) => v.keyword === 'additionalProperties')?.params?.additionalProperty;
      const problem = `${err.validationContext ?? 'request'}${err.message.replace(/^\w+/, '')}`;
      return sendError(reply, apiErrors.INVALID_REQUEST({ problem: typeof extra === 'string' ? `${problem} ("${extra}")` : problem }));
    }
    switch (err.code) {
      case 'FST_ERR_CTP_BODY_TOO_LARGE':
        return sendError(reply, apiErrors.TOO_LARGE({ limit: options.bodyLimit }));
      case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
        return sendError(reply, apiErrors.UNSUPPORTED_MEDIA());
      case 'FST_ERR_CTP_INVALID_JSON_BODY':
      case 'FST_ERR_CTP_EMPTY_JSON_BODY':
        return sendError(reply, apiErrors.INVALID_REQUEST({ problem: 'body is not valid JSON' }));
    }
    if (typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500) {
      return sendError(reply, apiErrors.INVALID_REQUEST({ problem: err.message }));
    }
    request.log.error({ err }, 'unhandled error in request');
    return sendError(reply, apiErrors.INTERNAL({ requestId: String(request.id) }));
  });

  app.addHook('onResponse', (request, reply, done) => {
    request.log.debug({ method: request.method, url: request.routeOptions.url ?? request.url, status: reply.statusCode, ms: Math.round(reply.elapsedTime) }, 'request');
    done();
  });
  return app;
}

let sharedValidators: { body: Ajv; text: Ajv } | undefined;

/**
 * Query strings, path parameters and headers arrive as text, so their values
 * are coerced to the schema's types. A JSON body already has its types: it is
 * never coerced, because coercion would rewrite what the client sent (null
 * into 0 inside a Union of integer and null, say), and a body that is signed,
 * like an enrolment, would no longer match its signature.
 */
function validatorsByPart(): { body: Ajv; text: Ajv } {
  // One pair per process: compiling Ajv's meta-schema costs ~40 ms an instance at start-up, and
  // compiled schemas are cached by object, so servers sharing schemas compile them once.
  if (sharedValidators) return sharedValidators;
  const make = (coerceTypes: false | 'array'): Ajv => {
    // addUsedSchema false: routes may share schema objects with an $id without clashing.
    const ajv = new Ajv({ coerceTypes, useDefaults: true, removeAdditional: false, allErrors: false, addUsedSchema: false });
    addFormats(ajv);
    return ajv;
  };
  sharedValidators = { body: make(false), text: make('array') };
  return sharedValidators;
}

function sendError(reply: FastifyReply, err: AllianceError): FastifyReply {
  return reply.code(err.status).type('application/json').send({ error: { code: err.code, message: err.message } });
}

/**
 * A preHandler that admits only callers presenting the given bearer token.
 * Compared in constant time; the token never reaches a log (see log redaction).
 */
export function requireBearer(token: () => string) {
  return async (request: FastifyRequest): Promise<void> => {
    const header = request.headers.authorization ?? '';
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    const expected = Buffer.from(token());
    const given = Buffer.from(match?.[1] ?? '');
    if (expected.length === 0 || given.length !== expected.length || !timingSafeEqual(given, expected)) {
      throw apiErrors.UNAUTHENTICATED();
    }
  };
}
