import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { apiErrors } from '../../../appliance/api/index.ts';
import type { InstanceSpec } from '../../../appliance/contracts/index.ts';
import { metadataErrors } from './errors.ts';
import { answerMetadata } from './metadata-answer.ts';
import { MetadataTokens, parseTokenTtl } from './metadata-tokens.ts';

// The metadata endpoint instances reach at 169.254.169.254: the EC2 and
// OpenStack paths cloud-init reads, answered from the spec of the instance
// whose address the request comes from. A caller that is no instance of this
// host, or a path outside the closed set, gets the API's plain 404, the same
// bytes either way, so a stranger learns nothing.
//
// IMDSv2 tokens are issued and checked, but not required: cloud-init asks for
// one first and then sends it, while older cloud-init and other tools speak
// IMDSv1 without. The instance is already identified by its source address on
// a link only it and the host share, and no credentials are served here, so a
// token adds little; a token that is sent must be valid, though.

export interface MetadataDeps {
  /** The instance that owns `address` on this host, if any. */
  readonly lookup: (address: string) => InstanceSpec | undefined;
  /** Milliseconds since the epoch; Date.now by default. */
  readonly now?: () => number;
}

export const TOKEN_PATH = '/latest/api/token';
const TOKEN_HEADER = 'x-aws-ec2-metadata-token';
const TTL_HEADER = 'x-aws-ec2-metadata-token-ttl-seconds';

/** The metadata endpoint as a Fastify plugin, to register on createApiServer(). */
export function metadataRoutes(deps: MetadataDeps): (app: FastifyInstance) => Promise<void> {
  const now = deps.now ?? Date.now;
  const tokens = new MetadataTokens();
  return async (app) => {
    app.put(TOKEN_PATH, async (request, reply) => {
      const address = callerAddress(request);
      if (deps.lookup(address) === undefined) throw notFound(request);
      if (request.headers['x-forwarded-for'] !== undefined) throw metadataErrors.TOKEN_FORWARDED();
      const header = request.headers[TTL_HEADER];
      const ttl = parseTokenTtl(header);
      if (ttl === undefined) throw metadataErrors.TOKEN_TTL_INVALID({ ttl: typeof header === 'string' ? header.slice(0, 16) : '' });
      return plain(reply).header(TTL_HEADER, String(ttl)).send(tokens.issue(address, ttl, now()));
    });

    app.get('/*', async (request, reply) => {
      const address = callerAddress(request);
      const spec = deps.lookup(address);
      if (spec === undefined) throw notFound(request);
      const token = request.headers[TOKEN_HEADER];
      if (token !== undefined && (typeof token !== 'string' || !tokens.admits(token, address, now()))) throw metadataErrors.TOKEN_INVALID();
      const answer = answerMetadata(spec, request.url.split('?')[0]!);
      if (answer === undefined) throw notFound(request);
      return reply.type(answer.type).header('cache-control', 'no-store').send(answer.body);
    });
  };
}

/** The caller's address, with an IPv4-mapped IPv6 address written as IPv4. */
function callerAddress(request: FastifyRequest): string {
  const address = request.ip;
  return /^::ffff:\d+\.\d+\.\d+\.\d+$/i.test(address) ? address.slice('::ffff:'.length) : address;
}

function notFound(request: FastifyRequest) {
  return apiErrors.NOT_FOUND({ method: request.method, url: request.url.split('?')[0] });
}

function plain(reply: FastifyReply): FastifyReply {
  return reply.type('text/plain; charset=utf-8').header('cache-control', 'no-store');
}
