import { chmodSync, rmSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { createApiServer } from '../api/index.ts';
import type { ServiceDefinition } from '../supervisor/index.ts';

export interface ApiServiceOptions {
  readonly name: string;
  readonly after?: readonly string[];
  /** A Unix socket path (made 0600, a stale one replaced: the data-dir lock says it is ours) or a TCP address. */
  readonly listen: { readonly path: string } | { readonly host: string; readonly port: number };
  readonly https?: () => { key: Buffer; cert: Buffer };
  readonly bodyLimit: number;
  readonly routes: (app: FastifyInstance) => Promise<void>;
}

/** An HTTP listener as a supervised service. */
export function apiService(options: ApiServiceOptions): ServiceDefinition {
  return {
    name: options.name,
    after: options.after,
    async start(ctx) {
      const app = createApiServer({ log: ctx.log, bodyLimit: options.bodyLimit, https: options.https?.() });
      await app.register(options.routes);
      if ('path' in options.listen) {
        rmSync(options.listen.path, { force: true });
        await app.listen({ path: options.listen.path });
        chmodSync(options.listen.path, 0o600);
      } else {
        await app.listen({ host: options.listen.host, port: options.listen.port });
      }
      app.server.on('error', (err) => ctx.fail(err));
      return { stop: () => app.close() };
    },
  };
}
