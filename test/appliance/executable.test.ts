// The real dist/alliance, as an operator meets it.
import { spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, chownSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { callControl } from '../../appliance/cli/index.ts';
import { binaryPath, cleanEnv, freePort, runCli, startServe, tempDir } from '../_support/appliance-process.ts';
import { httpsGet } from '../_support/https-get.ts';

const sha256 = (path: string): string => createHash('sha256').update(readFileSync(path)).digest('hex');

/** An initialised data directory whose config puts HTTPS on a free port of loopback. */
async function initialisedDir(prefix: string): Promise<{ dir: string; port: number }> {
  const dir = join(tempDir(prefix), 'data');
  const init = runCli(['init', '--data-dir', dir]);
  assert.is(init.code, 0, init.stderr);
  const port = await freePort();
  writeFileSync(join(dir, 'alliance.toml'), `[http]\nlisten = "127.0.0.1"\nport = ${port}\n`);
  return { dir, port };
}

test('alliance version runs under env -i from an empty directory', () => {
  const empty = tempDir('empty');
  const result = spawnSync(binaryPath(), ['version', '--json'], { cwd: empty, env: {}, encoding: 'utf8' });
  assert.is(result.status, 0, result.stderr);
  const info = JSON.parse(result.stdout) as { version: string; node: string; commit: string; builtAt: string };
  assert.is(info.node, 'v24.21.0');
  assert.match(info.version, /^\d+\.\d+\.\d+/);
  assert.ok(!Number.isNaN(Date.parse(info.builtAt)), `builtAt is a time: ${info.builtAt}`);
});

test('dist/alliance links no Node installation', () => {
  const ldd = spawnSync('ldd', [binaryPath()], { encoding: 'utf8' });
  assert.is(ldd.status, 0, ldd.stderr);
  assert.not.match(ldd.stdout, /node|not found/i);
  assert.match(ldd.stdout, /libc\.so/);
});

test('alliance with an unknown command exits 2 with one line naming it', () => {
  const result = runCli(['frobnicate']);
  assert.is(result.code, 2);
  assert.is(result.stderr.trim().split('\n').length, 1);
  assert.match(result.stderr, /Unknown command "frobnicate".*\[APL_CLI_USAGE\]/);
});

test('alliance init makes a private identity and changes nothing the second time', () => {
  const dir = join(tempDir('init'), 'data');
  const first = runCli(['init', '--data-dir', dir, '--json']);
  assert.is(first.code, 0, first.stderr);
  const report = JSON.parse(first.stdout) as { nodeId: string; created: string[] };
  assert.match(report.nodeId, /^[a-z2-7]{52}$/);
  assert.is(statSync(join(dir, 'identity/node.key')).mode & 0o777, 0o600);
  assert.is(statSync(join(dir, 'tls/https.key')).mode & 0o777, 0o600);
  assert.is(statSync(join(dir, 'secrets/metrics.token')).mode & 0o777, 0o600);
  assert.is(statSync(dir).mode & 0o777, 0o700);
  const before = ['identity/node.key', 'tls/https.crt', 'tls/https.key', 'secrets/metrics.token', 'alliance.toml'].map((f) => sha256(join(dir, f)));

  const second = runCli(['init', '--data-dir', dir, '--json']);
  assert.is(second.code, 0, second.stderr);
  const again = JSON.parse(second.stdout) as { nodeId: string; created: string[] };
  assert.is(again.nodeId, report.nodeId);
  assert.equal(again.created, []);
  const after = ['identity/node.key', 'tls/https.crt', 'tls/https.key', 'secrets/metrics.token', 'alliance.toml'].map((f) => sha256(join(dir, f)));
  assert.equal(after, before);
});

test('alliance serve on a missing data directory says to run init, exit 1', () => {
  const dir = join(tempDir('missing'), 'nothing-here');
  const result = runCli(['serve', '--data-dir', dir]);
  assert.is(result.code, 1);
  assert.match(result.stderr, /does not exist; run `alliance init --data-dir .*nothing-here` first \[APL_DATADIR_MISSING\]/);
});

const badConfigs: Record<string, { toml?: string; args?: string[]; env?: Record<string, string>; message: RegExp }> = {
  'a port out of range in the file': { toml: '[http]\nport = 70000\n', message: /Invalid config http\.port = 70000 \(from .*alliance\.toml\): .*allowed: an integer from 1 to 65535 \[APL_CONFIG_INVALID\]/ },
  'a misspelt key in the file': { toml: '[http]\nprot = 1\n', message: /Unknown config key http\.prot .*allowed keys here are http\.listen, http\.port/ },
  'a TOML syntax error': { toml: '[http\nport = 1\n', message: /Cannot read config .*alliance\.toml: .*line 1, column \d+.*\[APL_CONFIG_UNREADABLE\]/ },
  'a bad value in the environment': { env: { ALLIANCE_LOG_LEVEL: 'loud' }, message: /Invalid config log\.level = "loud" \(from ALLIANCE_LOG_LEVEL\): .*allowed: one of fatal, error/ },
  'a bad --set flag': { args: ['--set', 'http.port=eighty'], message: /Invalid config http\.port = "eighty" \(from --set\)/ },
};

for (const [name, bad] of Object.entries(badConfigs)) {
  test(`alliance serve refuses ${name} with exit 2 and leaves the store alone`, async () => {
    const { dir } = await initialisedDir('badcfg');
    if (bad.toml !== undefined) writeFileSync(join(dir, 'alliance.toml'), bad.toml);
    const store = sha256(join(dir, 'store/alliance.db'));
    const result = runCli(['serve', '--data-dir', dir, ...(bad.args ?? [])], { env: cleanEnv(bad.env) });
    assert.is(result.code, 2, result.stderr);
    assert.is(result.stderr.trim().split('\n').length, 1, result.stderr);
    assert.match(result.stderr, bad.message);
    assert.is(sha256(join(dir, 'store/alliance.db')), store);
  });
}

test('alliance serve refuses a corrupt store with exit 1 and leaves it as it was', async () => {
  const { dir } = await initialisedDir('corrupt');
  const db = join(dir, 'store/alliance.db');
  rmSync(`${db}-wal`, { force: true });
  rmSync(`${db}-shm`, { force: true });
  writeFileSync(db, randomBytes(8192));
  const before = sha256(db);
  const result = runCli(['serve', '--data-dir', dir]);
  assert.is(result.code, 1, result.stderr);
  assert.match(result.stderr, /Cannot open store .*: file is not a database; nothing was changed.*\[APL_STORE_CORRUPT\]/);
  assert.is(sha256(db), before);
});

test('alliance serve refuses a store written by a newer alliance', async () => {
  const { dir } = await initialisedDir('newer');
  const path = join(dir, 'store/alliance.db');
  const db = new Database(path);
  db.pragma('user_version = 999');
  db.close();
  const before = sha256(path);
  const result = runCli(['serve', '--data-dir', dir]);
  assert.is(result.code, 1, result.stderr);
  assert.match(result.stderr, /schema version 999, this alliance knows up to \d+.*\[APL_STORE_TOO_NEW\]/);
  assert.is(sha256(path), before);
});

test('alliance serve answers health, status and metrics, refuses a second instance, and stops cleanly on SIGTERM', async () => {
  const { dir, port } = await initialisedDir('serve');
  const ca = readFileSync(join(dir, 'tls/https.crt'));
  const appliance = await startServe(['--data-dir', dir]);
  try {
    const health = await httpsGet(`https://localhost:${port}/healthz`, { ca });
    assert.is(health.status, 200);
    assert.equal(JSON.parse(health.body), { status: 'ok' });

    const status = runCli(['status', '--data-dir', dir, '--json']);
    assert.is(status.code, 0, status.stderr);
    const s = JSON.parse(status.stdout) as { health: string; nodeId: string; https: { fingerprint: string }; services: { name: string; state: string }[]; pid: number };
    assert.is(s.health, 'ok');
    assert.is(s.pid, appliance.child.pid);
    assert.equal(s.services.map((x) => [x.name, x.state]), [['control', 'running'], ['bus', 'running'], ['https', 'running'], ['discovery', 'running'], ['controller-bus', 'running'], ['boot', 'off']]);
    assert.is(s.https.fingerprint, health.peerFingerprint, 'status shows the fingerprint of the certificate actually served');

    const human = runCli(['status', '--data-dir', dir]);
    assert.match(human.stdout, new RegExp(`SHA-256 ${s.https.fingerprint}`));

    const anonymous = await httpsGet(`https://localhost:${port}/metrics`, { ca });
    assert.is(anonymous.status, 401);
    assert.match(anonymous.body, /APL_API_UNAUTHENTICATED/);
    const token = readFileSync(join(dir, 'secrets/metrics.token'), 'utf8').trim();
    const metrics = await httpsGet(`https://localhost:${port}/metrics`, { ca, headers: { authorization: `Bearer ${token}` } });
    assert.is(metrics.status, 200);
    assert.match(metrics.body, new RegExp(`alliance_build_info\\{version="[^"]+",commit="[^"]+",node_id="${s.nodeId}"\\} 1`));
    assert.match(metrics.body, /alliance_service_up\{service="https",state="running"\} 1/);

    const second = runCli(['serve', '--data-dir', dir]);
    assert.is(second.code, 1);
    assert.match(second.stderr, new RegExp(`another alliance process \\(pid ${appliance.child.pid}\\) is using it.*\\[APL_DATADIR_LOCKED\\]`));

    const unknownRoute = await callControl(join(dir, 'run/control.sock'), 'GET', '/v1/nothing');
    assert.is(unknownRoute.status, 404);
  } finally {
    appliance.child.kill('SIGTERM');
  }
  assert.is(await appliance.exited, 0);
  assert.ok(appliance.logs.some((l) => l.msg === 'stopped'), 'logged a clean stop');

  const down = runCli(['status', '--data-dir', dir]);
  assert.is(down.code, 1);
  assert.match(down.stdout, /alliance is not running/);
  assert.match(down.stdout, /cert\s+SHA-256 [0-9A-F:]{95}/);

  const db = new Database(join(dir, 'store/alliance.db'), { readonly: true });
  const kinds = (db.prepare('SELECT kind FROM events ORDER BY id').all() as { kind: string }[]).map((r) => r.kind);
  db.close();
  assert.equal(kinds.slice(-1), ['appliance.stopped']);
  assert.ok(kinds.includes('appliance.starting'));
});

test('alliance bus call and bus watch reach a running appliance from another process under env -i', async () => {
  const { dir } = await initialisedDir('bus');
  const appliance = await startServe(['--data-dir', dir]);
  const empty = tempDir('bus-empty');
  const bus = (...args: string[]) => spawnSync(binaryPath(), ['bus', ...args, '--data-dir', dir], { cwd: empty, env: {}, encoding: 'utf8' });
  try {
    const status = bus('call', 'appliance.status');
    assert.is(status.status, 0, status.stderr);
    const s = JSON.parse(status.stdout) as { pid: number; services: { name: string; state: string }[] };
    assert.is(s.pid, appliance.child.pid);
    assert.ok(s.services.some((x) => x.name === 'bus' && x.state === 'running'));

    const methods = JSON.parse(bus('call', 'bus.methods').stdout) as { methods: { name: string }[] };
    assert.equal(methods.methods.map((m) => m.name).sort(), ['appliance.status', 'boot.bmc.delete', 'boot.bmc.get', 'boot.bmc.set', 'boot.lease', 'boot.leases', 'boot.power', 'bus.methods', 'controller.boot-join-code', 'controller.console-overview', 'controller.first-admin', 'controller.host-by-mac', 'controller.host-decide', 'controller.join-code-rotate', 'controller.known-macs', 'discovery.list', 'events.list', 'events.record']);

    const params = JSON.stringify({ kind: 'operator.note', message: 'over the bus', idempotencyKey: 'note-1' });
    const first = JSON.parse(bus('call', 'events.record', params).stdout) as { event: { id: number }; created: boolean };
    const again = JSON.parse(bus('call', 'events.record', params).stdout) as { event: { id: number }; created: boolean };
    assert.is(first.created, true);
    assert.is(again.created, false);
    assert.is(again.event.id, first.event.id);

    const bad = bus('call', 'events.record', JSON.stringify({ kind: 'Not A Kind', message: 'x' }));
    assert.is(bad.status, 1);
    assert.match(bad.stderr, /Invalid parameters for events\.record: kind: .*\[APL_BUS_INVALID_PARAMS\]/);
    const notJson = bus('call', 'events.list', '{limit:');
    assert.is(notJson.status, 2);

    const metrics = await callControl(join(dir, 'run/control.sock'), 'GET', '/metrics');
    assert.match(String(metrics.body), /alliance_bus_requests_total\{method="events\.record",outcome="ok"\} 2/);
    assert.match(String(metrics.body), /alliance_bus_requests_total\{method="events\.record",outcome="APL_BUS_INVALID_PARAMS"\} 1/);

    const watch = spawn(binaryPath(), ['bus', 'watch', 'journal.', '--data-dir', dir], { cwd: empty, env: {}, stdio: ['ignore', 'pipe', 'pipe'] });
    let seen = '';
    watch.stdout.on('data', (chunk: Buffer) => (seen += chunk.toString()));
    const watchExit = new Promise<number | null>((done) => watch.on('exit', done));
    try {
      // A subscriber misses what is published before it is connected: note until one is seen (bounded).
      for (let i = 0; i < 50 && !seen.includes('watched note'); i += 1) {
        assert.is(runCli(['events', 'add', 'operator.note', `watched note ${i}`, '--data-dir', dir]).code, 0);
        await new Promise((r) => setImmediate(r)); // spawnSync blocked the loop: let the watcher's output in
      }
      assert.match(seen, /journal\.operator\.note\s+\{.*"message":"watched note \d+"/);
    } finally {
      watch.kill('SIGTERM');
    }
    assert.is(await watchExit, 0);
  } finally {
    appliance.child.kill('SIGTERM');
  }
  assert.is(await appliance.exited, 0);
  const down = spawnSync(binaryPath(), ['bus', 'call', 'appliance.status', '--data-dir', dir], { cwd: empty, env: {}, encoding: 'utf8' });
  assert.is(down.status, 1);
  assert.match(down.stderr, /alliance is not running .*\[APL_CLI_NOT_RUNNING\]/);
});

test('appliances reach each other over tls+tcp with their own bus certificates and the appliance methods only, and an untrusted one is refused', async () => {
  const a = await initialisedDir('bus-a');
  const b = await initialisedDir('bus-b');
  const c = await initialisedDir('bus-c');
  const port = await freePort();
  writeFileSync(join(a.dir, 'alliance.toml'), `[http]\nlisten = "127.0.0.1"\nport = ${a.port}\n[bus]\nlisten = "tls+tcp://127.0.0.1:${port}"\ntrusted_peers = "${join(b.dir, 'tls/bus.crt')}"\n`);
  const appliance = await startServe(['--data-dir', a.dir]);
  const callAs = (peer: string, method = 'appliance.status') =>
    runCli(['bus', 'call', method, '--timeout', '1500', '--url', `tls+tcp://127.0.0.1:${port}`, '--tls-cert', join(peer, 'tls/bus.crt'), '--tls-key', join(peer, 'tls/bus.key'), '--tls-ca', join(a.dir, 'tls/bus.crt'), '--server-name', 'localhost']);
  try {
    const trusted = callAs(b.dir);
    assert.is(trusted.code, 0, trusted.stderr);
    const status = JSON.parse(trusted.stdout) as { nodeId: string; bus: { listen: string; fingerprint: string } };
    assert.is(status.bus.listen, `tls+tcp://127.0.0.1:${port}`);
    const own = JSON.parse(runCli(['init', '--data-dir', a.dir, '--json']).stdout) as { nodeId: string };
    assert.is(status.nodeId, own.nodeId, 'the answer came from appliance A');

    // The services' methods are for this appliance's own operators, on its local socket only.
    for (const method of ['controller.console-overview', 'controller.first-admin', 'boot.bmc.get']) {
      const refused = callAs(b.dir, method);
      assert.is(refused.code, 1, `${method} answered a peer: ${refused.stdout}`);
      assert.match(refused.stderr, /\[APL_BUS_UNKNOWN_METHOD\]/);
    }
    const methods = JSON.parse(callAs(b.dir, 'bus.methods').stdout) as { methods: { name: string }[] };
    assert.equal(methods.methods.map((m) => m.name).sort(), ['appliance.status', 'bus.methods', 'discovery.list', 'events.list', 'events.record']);

    const stranger = callAs(c.dir);
    assert.is(stranger.code, 1);
    assert.match(stranger.stderr, /\[APL_BUS_DEADLINE\]/);
  } finally {
    appliance.child.kill('SIGTERM');
  }
  assert.is(await appliance.exited, 0);
});

test('alliance serve runs as an ordinary user, and says how to fix an unwritable native-addon cache', async () => {
  const nobody = userInfo({ encoding: 'utf8' }).uid === 0 ? spawnSync('id', ['-u', 'nobody'], { encoding: 'utf8' }) : undefined;
  assert.ok(nobody && nobody.status === 0, 'this test runs as root (as make test does) and needs the user nobody');
  const uid = Number(nobody.stdout.trim());
  const base = tempDir('nobody');
  chmodSync(base, 0o755);
  const dir = join(base, 'data');
  const cache = join(base, 'cache');
  mkdirSync(cache);
  chownSync(cache, uid, uid);
  chownSync(base, uid, uid);

  const withoutCache = runCli(['init', '--data-dir', dir], { asUser: 'nobody', env: cleanEnv({ HOME: '/nonexistent' }) });
  assert.is(withoutCache.code, 1);
  assert.match(withoutCache.stderr, /Cannot unpack the native addons to \/nonexistent\/\.cache\/pkg: .*set PKG_NATIVE_CACHE_PATH.*\[APL_RUNTIME_NATIVE_CACHE\]/);
  assert.is(runCli(['version'], { asUser: 'nobody', env: cleanEnv({ HOME: '/nonexistent' }) }).code, 0, 'version needs no cache');

  const env = cleanEnv({ HOME: '/nonexistent', PKG_NATIVE_CACHE_PATH: cache });
  const init = runCli(['init', '--data-dir', dir], { asUser: 'nobody', env });
  assert.is(init.code, 0, init.stderr);
  assert.is(statSync(join(dir, 'identity/node.key')).uid, uid);
  const port = await freePort();
  const appliance = await startServe(['--data-dir', dir, '--set', 'http.listen=127.0.0.1', '--set', `http.port=${port}`], { asUser: 'nobody', env });
  try {
    const health = await httpsGet(`https://localhost:${port}/healthz`, { ca: readFileSync(join(dir, 'tls/https.crt')) });
    assert.is(health.status, 200);
  } finally {
    appliance.child.kill('SIGTERM');
  }
  assert.is(await appliance.exited, 0);
});

test.run();
