// A controller API on a real in-memory store, with a hand-moved clock, for
// route tests with inject(): no socket, no sleeps.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { Registry } from 'prom-client';
import { createApiServer } from '../../../../appliance/api/index.ts';
import { defaultConfig } from '../../../../appliance/config/index.ts';
import { dataDirLayout } from '../../../../appliance/data-dir/index.ts';
import { createNodeIdentity } from '../../../../appliance/identity/index.ts';
import { createLogger } from '../../../../appliance/log/index.ts';
import { openStore, type Store } from '../../../../appliance/store/index.ts';
import type { ProjectRole } from '../../../../services/controller/access/access.ts';
import { controllerApi, type ApiFeature } from '../../../../services/controller/api/controller-api.ts';
import { createControllerCore, type ControllerCore } from '../../../../services/controller/api/controller-core.ts';
import { hashPassword } from '../../../../services/controller/identity/password-hash.ts';
import { controllerModule } from '../../../../services/controller/main.ts';

export const PASSWORD = 'correct horse battery staple';
export const START = new Date('2026-03-01T12:00:00.000Z');

export interface Fixture {
  readonly app: FastifyInstance;
  readonly store: Store;
  readonly core: ControllerCore;
  /** Log lines the server wrote. */
  readonly logged: string[];
  /** Every route registered, as "METHOD /url" (HEAD routes left out). */
  readonly routes: string[];
  /** Moves the clock forward. */
  advance(seconds: number): void;
  now(): Date;
  user(name: string, options?: { cloudAdmin?: boolean; roles?: Record<string, ProjectRole> }): Promise<string>;
  project(name: string): string;
  login(user: string, project?: string): Promise<{ accessToken: string; refreshToken: string; scope: string }>;
  call(method: string, url: string, options?: { token?: string | undefined; body?: unknown; ip?: string }): Promise<LightMyRequestResponse>;
  close(): Promise<void>;
}

export interface FixtureOptions {
  readonly features?: readonly ApiFeature[];
  /**
   * Build the API exactly as `alliance serve` does, through
   * controllerModule.plugin(), so whatever main.ts wires is included
   * (features are then ignored).
   */
  readonly viaModule?: boolean;
  readonly config?: Partial<ReturnType<typeof defaultConfig>['controller']>;
}

export async function controllerFixture(options: FixtureOptions = {}): Promise<Fixture> {
  let clock = START.getTime();
  const now = (): Date => new Date(clock);
  const store = openStore(':memory:', { create: true });
  const logged: string[] = [];
  const log = createLogger('error', { write: (line: string) => void logged.push(line) });
  const config = { ...defaultConfig('test').controller, password_cost: 10, ...options.config };
  const core = createControllerCore({ store, config, log, now });
  const app = createApiServer({ log, bodyLimit: 1024 * 1024 });
  const routes: string[] = [];
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) if (method !== 'HEAD') routes.push(`${method} ${route.url}`);
  });
  let dataDir: string | undefined;
  if (options.viaModule) {
    dataDir = mkdtempSync(join(tmpdir(), 'alliance-ctrl-'));
    const layout = dataDirLayout(dataDir);
    const identity = createNodeIdentity(layout.identityKey, layout.identityPub);
    const appConfig = { ...defaultConfig('test'), controller: config };
    const plugin = controllerModule.plugin!({
      config: appConfig,
      layout,
      store,
      identity,
      log,
      metrics: new Registry(),
      note: (kind, severity, message, data) => void store.events.record({ source: 'controller', kind, severity, message, data }, now()),
      call: () => Promise.reject(new Error('the controller fixture has no bus')),
      announce: () => undefined,
      visible: () => ({ instance: null, nodes: [] }),
      now,
    });
    if (plugin.publicRoutes) await app.register(plugin.publicRoutes);
  } else {
    await app.register(controllerApi(core, { features: options.features ?? [] }));
  }
  await app.ready();
  const hash = await hashPassword(PASSWORD, { cost: config.password_cost });

  const fixture: Fixture = {
    app,
    store,
    core,
    logged,
    routes,
    advance: (seconds) => void (clock += seconds * 1000),
    now,
    async user(name, userOptions = {}) {
      const user = core.users.create({ name, passwordHash: hash }, now());
      if (userOptions.cloudAdmin) core.users.bind(user.id, { scope: '*', role: 'cloud-admin' }, now());
      for (const [project, role] of Object.entries(userOptions.roles ?? {})) {
        core.users.bind(user.id, { scope: core.projects.find(project)!.id, role }, now());
      }
      return user.id;
    },
    project: (name) => core.projects.create({ name, description: `the ${name} project` }, now()).id,
    async login(user, project) {
      const res = await fixture.call('POST', '/api/v1/auth/login', { body: { user, password: PASSWORD, ...(project ? { project } : {}) } });
      if (res.statusCode !== 200) throw new Error(`login of ${user} failed: ${res.statusCode} ${res.body}`);
      return res.json();
    },
    call: (method, url, callOptions = {}) =>
      app.inject({
        method: method as 'GET',
        url,
        remoteAddress: callOptions.ip ?? '192.0.2.10',
        headers: callOptions.token === undefined ? {} : { authorization: `Bearer ${callOptions.token}` },
        ...(callOptions.body === undefined ? {} : { payload: callOptions.body as Record<string, unknown> }),
      }),
    async close() {
      await app.close();
      store.close();
      if (dataDir !== undefined) rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return fixture;
}

export interface ErrorAnswer {
  readonly error: { readonly code: string; readonly message: string };
}

/** The APL code of an error answer. */
export function codeOf(res: LightMyRequestResponse): string {
  return res.json<ErrorAnswer>().error?.code ?? `(status ${res.statusCode}, no error body)`;
}
