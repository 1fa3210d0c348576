// The API commands against an in-process controller over real HTTPS: a
// self-signed certificate in a temporary data directory, the CLI trusting it
// as it would on the appliance itself, or pinning its fingerprint.
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createApiServer } from '../../../appliance/api/index.ts';
import { ApiClient } from '../../../appliance/cli/api-client.ts';
import { runApiCommand, type ApiCommandIo } from '../../../appliance/cli/api-commands.ts';
import { readCredentials } from '../../../appliance/cli/credentials.ts';
import { parseCommandLine } from '../../../appliance/cli/index.ts';
import { defaultConfig } from '../../../appliance/config/index.ts';
import { dataDirLayout, type DataDirLayout } from '../../../appliance/data-dir/index.ts';
import { isAllianceError } from '../../../appliance/errors/index.ts';
import { makeSelfSignedCertificate, type CertificateFacts } from '../../../appliance/identity/index.ts';
import { createLogger } from '../../../appliance/log/index.ts';
import { openStore, type Store } from '../../../appliance/store/index.ts';
import { controllerApi } from '../../../services/controller/api/controller-api.ts';
import { createControllerCore, type ControllerCore } from '../../../services/controller/api/controller-core.ts';
import { hashPassword } from '../../../services/controller/identity/password-hash.ts';

const PASSWORD = 'correct horse battery staple';

interface World {
  readonly dir: string;
  readonly layout: DataDirLayout;
  readonly app: FastifyInstance;
  readonly store: Store;
  readonly core: ControllerCore;
  readonly url: string;
  readonly cert: CertificateFacts;
  readonly credentials: string;
  clock: number;
  output: string;
  secrets: string[];
}

let w: World;

async function world(): Promise<World> {
  const dir = mkdtempSync(join(tmpdir(), 'alliance-cli-api-'));
  const layout = dataDirLayout(join(dir, 'var'));
  const start = Date.parse('2026-03-01T12:00:00Z');
  const cert = await makeSelfSignedCertificate(layout.tlsCert, layout.tlsKey, { commonName: 'localhost', dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'], now: new Date(start - 3600_000), days: 3650 });
  const store = openStore(':memory:', { create: true });
  const partial: { clock: number } = { clock: start };
  const now = (): Date => new Date(partial.clock);
  const log = createLogger('error', { write: () => undefined });
  const core = createControllerCore({ store, config: { ...defaultConfig('test').controller, password_cost: 10 }, log, now });
  const app = createApiServer({ log, bodyLimit: 1024 * 1024, https: { key: readFileSync(layout.tlsKey), cert: readFileSync(layout.tlsCert) } });
  await app.register(controllerApi(core));
  await app.listen({ host: '127.0.0.1', port: 0 });
  const port = (app.server.address() as AddressInfo).port;
  const hash = await hashPassword(PASSWORD, { cost: 10 });
  const root = core.users.create({ name: 'root', passwordHash: hash }, now());
  core.users.bind(root.id, { scope: '*', role: 'cloud-admin' }, now());
  return Object.assign(partial, { dir, layout, app, store, core, url: `https://localhost:${port}`, cert, credentials: join(dir, 'home', 'credentials.json'), output: '', secrets: [] as string[] });
}

function io(overrides: Partial<ApiCommandIo> = {}): ApiCommandIo {
  return {
    layout: w.layout,
    env: { ALLIANCE_CREDENTIALS: w.credentials, HOME: join(w.dir, 'home') },
    out: (text) => void (w.output += text),
    readSecret: async () => {
      const next = w.secrets.shift();
      if (next === undefined) throw new Error('the test gave no more secrets to type');
      return next;
    },
    now: () => new Date(w.clock),
    ...overrides,
  };
}

/** Runs `alliance ARGS...` as the API commands would, and returns what it printed. */
async function alliance(argv: string[], options: Partial<ApiCommandIo> = {}): Promise<string> {
  w.output = '';
  const ioValue = io(options);
  const code = await runApiCommand(parseCommandLine(argv, ioValue.env), ioValue);
  assert.is(code, 0, w.output);
  return w.output;
}

async function failure(argv: string[], options: Partial<ApiCommandIo> = {}): Promise<string> {
  try {
    await alliance(argv, options);
  } catch (err) {
    if (isAllianceError(err)) return err.code;
    throw err;
  }
  return 'no error';
}

async function loginAsRoot(): Promise<void> {
  w.secrets.push(PASSWORD);
  await alliance(['login', w.url, '--user', 'root', '--data-dir', w.layout.root]);
}

test.before.each(async () => {
  w = await world();
});
test.after.each(async () => {
  await w.app.close();
  w.store.close();
  rmSync(w.dir, { recursive: true, force: true });
});

test('alliance login to this machine trusts the data directory certificate and keeps a 0600 credentials file', async () => {
  w.secrets.push(PASSWORD);
  const out = await alliance(['login', w.url, '--user', 'root', '--data-dir', w.layout.root]);
  assert.match(out, new RegExp(`^logged in to ${w.url} as root, for the whole cloud \\(cloud-admin\\)`));
  assert.is(statSync(w.credentials).mode & 0o777, 0o600);
  const kept = readCredentials(w.credentials)!;
  assert.equal([kept.url, kept.caFile, kept.fingerprint, kept.user, kept.scope], [w.url, w.layout.tlsCert, null, 'root', '*']);
  assert.not.ok(out.includes(kept.accessToken), 'tokens are not printed');
});

test('alliance login reads the password from a file or stdin', async () => {
  const file = join(w.dir, 'pw');
  writeFileSync(file, `${PASSWORD}\n`);
  await alliance(['login', w.url, '--user', 'root', '--password-file', file, '--data-dir', w.layout.root]);
  await alliance(['login', w.url, '--user', 'root', '--password-file', '-', '--data-dir', w.layout.root], { readStdin: async () => `${PASSWORD}\n` });
  assert.is(readCredentials(w.credentials)!.user, 'root');
});

test('alliance login elsewhere refuses to trust on first use, and pins a fingerprint when given one', async () => {
  const elsewhere = dataDirLayout(join(w.dir, 'no-cert-here'));
  w.secrets.push(PASSWORD);
  assert.is(await failure(['login', w.url, '--user', 'root'], { layout: elsewhere }), 'APL_CLIENT_FINGERPRINT_REQUIRED');
  const wrong = Array(32).fill('00').join(':');
  assert.is(await failure(['login', w.url, '--user', 'root', '--fingerprint', wrong], { layout: elsewhere }), 'APL_API_FINGERPRINT_MISMATCH');
  w.secrets = [PASSWORD];
  await alliance(['login', w.url, '--user', 'root', '--fingerprint', w.cert.fingerprint.toLowerCase()], { layout: elsewhere });
  const kept = readCredentials(w.credentials)!;
  assert.equal([kept.fingerprint, kept.caFile], [w.cert.fingerprint, null]);
  assert.match(await alliance(['projects', 'list'], { layout: elsewhere }), /no projects/);
});

test('alliance login with a wrong password says so with the controller code', async () => {
  w.secrets.push('not the password');
  assert.is(await failure(['login', w.url, '--user', 'root', '--data-dir', w.layout.root]), 'APL_CTRL_LOGIN_FAILED');
  assert.not.ok(existsSync(w.credentials));
});

test('alliance projects create, list, grant, members, show, revoke and delete', async () => {
  await loginAsRoot();
  w.core.users.create({ name: 'bob', passwordHash: 'x' }, new Date(w.clock));
  assert.match(await alliance(['projects', 'create', 'web', '--description', 'the shop']), /^created project web \(prj_[a-z2-7]+\)\n$/);
  await alliance(['projects', 'create', 'analytics']);
  const list = await alliance(['projects', 'list']);
  const lines = list.trimEnd().split('\n');
  assert.match(lines[0]!, /^NAME\s+ROLE\s+ID\s+DESCRIPTION$/);
  assert.match(lines[1]!, /^analytics {2}cloud-admin {2}prj_[a-z2-7]{16}$/);
  assert.match(lines[2]!, /^web {8}cloud-admin {2}prj_[a-z2-7]{16} {2}the shop$/);
  assert.is(await alliance(['projects', 'grant', 'web', 'bob', 'member']), 'bob is now member in project web\n');
  assert.is(await alliance(['projects', 'grant', 'web', 'bob', '--role', 'admin']), 'bob is now admin in project web\n');
  assert.match(await alliance(['projects', 'members', 'web']), /^USER {2}ROLE {3}SINCE\nbob {3}admin {2}2026-03-01 12:00\n$/);
  const show = await alliance(['projects', 'show', 'web']);
  assert.match(show, /^project {6}web\nid {11}prj_/);
  assert.match(show, /description {2}the shop/);
  const json = JSON.parse(await alliance(['projects', 'show', 'web', '--json'])) as { name: string; members: { user: string }[] };
  assert.equal([json.name, json.members.map((m) => m.user)], ['web', ['bob']]);
  assert.match(await alliance(['projects', 'revoke', 'web', 'bob']), /^bob has no role in project web any more/);
  assert.match(await alliance(['projects', 'delete', 'analytics']), /^deleted project analytics/);
  assert.is(await failure(['projects', 'show', 'analytics']), 'APL_CTRL_PROJECT_NOT_FOUND');
  assert.is(await failure(['projects', 'grant', 'web', 'bob']), 'APL_CLI_USAGE');
  assert.is(await failure(['projects', 'list', 'extra']), 'APL_CLI_USAGE');
});

test('alliance users create, list, show, password and delete', async () => {
  await loginAsRoot();
  await alliance(['projects', 'create', 'web']);
  const file = join(w.dir, 'pw');
  writeFileSync(file, 'a long user passphrase\n');
  assert.is(await alliance(['users', 'create', 'carol', '--password-file', file, '--project', 'web', '--role', 'reader']), 'created user carol, reader in web\n');
  w.secrets.push('another long passphrase', 'another long passphrase');
  assert.is(await alliance(['users', 'create', 'dave']), 'created user dave\n');
  w.secrets.push('one long passphrase', 'two long passphrase');
  assert.is(await failure(['users', 'create', 'erin']), 'APL_CLI_USAGE', 'the two typings differ');
  const list = await alliance(['users', 'list']);
  assert.match(list, /^NAME\s+CLOUD-ADMIN\s+CREATED\s+ID\ncarol\s+2026-03-01 12:00\s+usr_/);
  assert.match(list, /\nroot\s+yes\s+2026/);
  assert.match(await alliance(['users', 'show', 'carol']), /cloud-admin {2}no\n[\s\S]*PROJECT\s+ROLE\s+SINCE\nweb\s+reader/);
  w.secrets.push('a reset long passphrase', 'a reset long passphrase');
  assert.match(await alliance(['users', 'password', 'carol']), /^password of carol set/);
  assert.is(await alliance(['users', 'delete', 'dave']), 'deleted user dave\n');
  assert.is(await failure(['users', 'show', 'dave']), 'APL_CTRL_USER_NOT_FOUND');
});

test('alliance users password without a user changes one\'s own, asking for the current one', async () => {
  await loginAsRoot();
  w.secrets.push(PASSWORD, 'a new root passphrase', 'a new root passphrase');
  assert.match(await alliance(['users', 'password']), /^password changed/);
  w.secrets.push('a new root passphrase');
  await alliance(['login', w.url, '--user', 'root', '--data-dir', w.layout.root]);
});

test('the kept session is refreshed once the access token expires, and written back', async () => {
  await loginAsRoot();
  const before = readCredentials(w.credentials)!;
  w.clock += 20 * 60_000;
  assert.match(await alliance(['projects', 'list']), /no projects/);
  const after = readCredentials(w.credentials)!;
  assert.is.not(after.accessToken, before.accessToken);
  assert.is.not(after.refreshToken, before.refreshToken);
  assert.is(after.refreshExpiresAt, before.refreshExpiresAt);
});

test('a server-side expiry the CLI did not foresee is refreshed and the request retried', async () => {
  await loginAsRoot();
  // The CLI's clock lags: only the server knows the token expired.
  w.clock += 20 * 60_000;
  assert.match(await alliance(['projects', 'list'], { now: () => new Date(Date.parse('2026-03-01T12:00:00Z')) }), /no projects/);
});

test('an ended session asks for a new login', async () => {
  await loginAsRoot();
  w.clock += 13 * 3600_000;
  assert.is(await failure(['projects', 'list']), 'APL_CLIENT_SESSION_EXPIRED');
});

test('--token and $ALLIANCE_TOKEN use an API key instead of the kept session', async () => {
  await loginAsRoot();
  await alliance(['projects', 'create', 'web']);
  const session = readCredentials(w.credentials)!;
  const client = new ApiClient({ url: w.url, ca: readFileSync(w.layout.tlsCert) }, { token: async () => session.accessToken });
  const key = await client.request<{ token: string }>('POST', '/api/v1/projects/web/api-keys', { name: 'ci', role: 'reader' });
  assert.match(await alliance(['projects', 'list', '--token', key.token]), /\nweb +reader +prj_/);
  const env = { ALLIANCE_CREDENTIALS: join(w.dir, 'none.json'), ALLIANCE_TOKEN: key.token, ALLIANCE_URL: w.url };
  assert.match(await alliance(['projects', 'members', 'web'], { env }), /no members/);
  assert.is(await failure(['users', 'list'], { env }), 'APL_CTRL_FORBIDDEN');
});

test('API commands without a login or token say how to log in', async () => {
  assert.is(await failure(['projects', 'list']), 'APL_CLIENT_NOT_LOGGED_IN');
});

test('alliance logout revokes the session on the server and forgets it', async () => {
  await loginAsRoot();
  const kept = readCredentials(w.credentials)!;
  assert.match(await alliance(['logout']), /^logged out of https:\/\/localhost:\d+\n$/);
  assert.not.ok(existsSync(w.credentials));
  const client = new ApiClient({ url: w.url, ca: readFileSync(w.layout.tlsCert) }, { token: async () => kept.accessToken });
  try {
    await client.request('GET', '/api/v1/auth/whoami');
    assert.unreachable();
  } catch (err) {
    assert.ok(isAllianceError(err, 'APL_CTRL_TOKEN_REVOKED'), String(err));
  }
  assert.match(await alliance(['logout']), /not logged in/);
});

test('alliance logout with an expired access token ends the session through its refresh token', async () => {
  await loginAsRoot();
  const kept = readCredentials(w.credentials)!;
  w.clock += 20 * 60_000;
  await alliance(['logout'], { now: () => new Date(Date.parse('2026-03-01T12:00:00Z')) });
  const refresh = await new ApiClient({ url: w.url, ca: readFileSync(w.layout.tlsCert) }).request('POST', '/api/v1/auth/refresh', { refreshToken: kept.refreshToken }).catch((err: unknown) => err);
  assert.ok(isAllianceError(refresh, 'APL_CTRL_REFRESH_REUSED'), String(refresh));
});

test('ApiClient.request() turns an error answer into an AllianceError with the server\'s code and status', async () => {
  const client = new ApiClient({ url: w.url, ca: readFileSync(w.layout.tlsCert) });
  try {
    await client.request('GET', '/api/v1/projects');
    assert.unreachable();
  } catch (err) {
    assert.ok(isAllianceError(err, 'APL_CTRL_TOKEN_REQUIRED'));
    assert.is(err.status, 401);
    assert.is(err.exitCode, 1);
  }
});

test.run();
