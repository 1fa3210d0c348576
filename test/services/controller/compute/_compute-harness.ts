// The compute feature's routes on a real store in a temporary data directory,
// with a stand-in for the access plugin (x-test-who: admin | member; anything
// else has no principal), hosts put straight into the store, and a
// hand-moved clock. No socket, no sleeps.
import { createHash, generateKeyPairSync } from 'node:crypto';
import { rmSync } from 'node:fs';
import type { FastifyInstance, RouteOptions } from 'fastify';
import { createApiServer } from '../../../../appliance/api/index.ts';
import type { Inventory } from '../../../../appliance/contracts/index.ts';
import { createLogger } from '../../../../appliance/log/index.ts';
import type { Principal } from '../../../../services/controller/access/access.ts';
import { computeFeature, type ComputeFeature, type ComputeFeatureOptions } from '../../../../services/controller/compute/index.ts';
import { ProjectRepository } from '../../../../services/controller/identity/project-repository.ts';
import { Clock, insertHost, sampleInventory, testContext, type TestContext } from '../hosts/_support/hosts-fixtures.ts';

const ADMIN: Principal = { kind: 'user', userId: 'u1', userName: 'root', tokenId: 't1', scope: '*', roles: ['cloud-admin'], expiresAt: null };
const MEMBER: Principal = { kind: 'user', userId: 'u2', userName: 'alice', tokenId: 't2', scope: 'p', roles: ['member'], expiresAt: null };

export interface Answer<T = Record<string, unknown>> {
  readonly status: number;
  readonly body: T & { error?: { code: string; message: string } };
}

export interface Harness {
  readonly app: FastifyInstance;
  readonly t: TestContext;
  readonly clock: Clock;
  readonly feature: ComputeFeature;
  readonly routes: RouteOptions[];
  /** The project "demo" every test has. */
  readonly projectId: string;
  call<T = Record<string, unknown>>(method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, options?: { payload?: unknown; who?: 'admin' | 'member' | 'nobody' }): Promise<Answer<T>>;
  upload<T = Record<string, unknown>>(url: string, bytes: Buffer, headers?: Record<string, string>): Promise<Answer<T>>;
  host(name: string, options?: { inventory?: Partial<Inventory>; labels?: Record<string, string>; traits?: string[]; state?: 'active' | 'offline' }): string;
  count(table: string): number;
  close(): Promise<void>;
}

export async function computeHarness(options: ComputeFeatureOptions = {}): Promise<Harness> {
  const clock = new Clock();
  const t = testContext({ now: clock.now });
  const feature = computeFeature(t.ctx, { policy: { cpuAllocationRatio: 1, ramAllocationRatio: 1, evacuationReserve: 0, rareTraits: [] }, ...options });
  const app = createApiServer({ log: createLogger('fatal'), bodyLimit: 64 * 1024 });
  const routes: RouteOptions[] = [];
  app.addHook('onRoute', (route) => void routes.push(route));
  app.decorateRequest('principal', undefined);
  await app.register(
    async (scope) => {
      scope.addHook('onRequest', async (request) => {
        const who = request.headers['x-test-who'];
        request.principal = who === 'admin' ? ADMIN : who === 'member' ? MEMBER : undefined;
      });
      await scope.register(feature.routes);
    },
    { prefix: '/api/v1' },
  );
  await app.ready();
  const projectId = new ProjectRepository(t.store.database).create({ name: 'demo', description: '' }, clock.now()).id;

  return {
    app,
    t,
    clock,
    feature,
    routes,
    projectId,
    async call(method, url, callOptions = {}) {
      const res = await app.inject({
        method,
        url: `/api/v1${url}`,
        headers: { 'x-test-who': callOptions.who ?? 'admin' },
        ...(callOptions.payload === undefined ? {} : { payload: callOptions.payload as Record<string, unknown> }),
      });
      return { status: res.statusCode, body: res.json() };
    },
    async upload(url, bytes, headers = {}) {
      const res = await app.inject({ method: 'POST', url: `/api/v1${url}`, headers: { 'x-test-who': 'admin', 'content-type': 'application/octet-stream', ...headers }, payload: bytes });
      return { status: res.statusCode, body: res.json() };
    },
    host: (name, hostOptions = {}) => insertHost(t, clock.now().toISOString(), name, hostOptions),
    count: (table) => t.store.database.prepare(`SELECT count(*) FROM ${table}`).pluck().get() as number,
    async close() {
      await app.close();
      t.store.close();
      rmSync(t.dir, { recursive: true, force: true });
    },
  };
}

/** A small inventory: 4 threads, 8 GiB, one 100 GiB disk. */
export function smallInventory(): Partial<Inventory> {
  const base = sampleInventory();
  return { cpu: { ...base.cpu, threads: 4 }, memory: { totalBytes: 8 * 2 ** 30 }, disks: [{ ...base.disks[0]!, sizeBytes: 100 * 2 ** 30 }] };
}

/** A qcow2-looking image body: the magic, then some bytes. */
export function qcow2Bytes(size = 3 * 1024 * 1024 + 17): Buffer {
  const bytes = Buffer.alloc(size, 7);
  Buffer.from([0x51, 0x46, 0x49, 0xfb]).copy(bytes);
  return bytes;
}

export function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** An ed25519 public key line as ssh-keygen writes it. */
export function sshKeyLine(comment = 'alice@laptop'): string {
  const { publicKey } = generateKeyPairSync('ed25519');
  const raw = publicKey.export({ format: 'der', type: 'spki' }).subarray(-32);
  const type = Buffer.from('ssh-ed25519');
  const blob = Buffer.concat([u32(type.length), type, u32(raw.length), raw]);
  return `ssh-ed25519 ${blob.toString('base64')} ${comment}`;
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}
