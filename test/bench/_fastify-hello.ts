// The REST reference of control-plane.bench.ts: Fastify's hello-world over
// HTTPS, GET /hello and a POST /hello that validates and echoes a small body.
// argv: PORT CERT KEY.
import { readFileSync } from 'node:fs';
import Fastify from 'fastify';

const [port, cert, key] = process.argv.slice(2) as [string, string, string];
const app = Fastify({ https: { cert: readFileSync(cert), key: readFileSync(key) } });
app.get('/hello', async () => ({ hello: 'world' }));
app.post('/hello', { schema: { body: { type: 'object', properties: { name: { type: 'string' } }, required: ['name'], additionalProperties: false } } }, async (request, reply) =>
  reply.code(201).send({ created: request.body }),
);
await app.listen({ host: '127.0.0.1', port: Number(port) });
