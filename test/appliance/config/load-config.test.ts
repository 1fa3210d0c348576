import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CONFIG_FILE_NAME, configKeys, defaultConfig, loadConfig, renderConfigTemplate, type LoadConfigOptions } from '../../../appliance/config/index.ts';
import { refusal } from '../../_support/refusal.ts';

let dir = '';

test.before.each(() => {
  dir = mkdtempSync(join(tmpdir(), 'alliance-load-config-'));
});

test.after.each(() => {
  rmSync(dir, { recursive: true, force: true });
});

function options(partial: Partial<LoadConfigOptions> = {}): LoadConfigOptions {
  return { dataDir: dir, env: {}, overrides: [], hostname: 'gateway', ...partial };
}

/** The template with its `# key = value` lines made live, comments kept. */
function uncomment(template: string): string {
  return template
    .split('\n')
    .map((line) => (/^# [a-z_]+ = .*$/.test(line) ? line.slice(2) : line))
    .join('\n');
}

test('loadConfig() reads <dataDir>/alliance.toml when it is there', () => {
  const path = join(dir, CONFIG_FILE_NAME);
  writeFileSync(path, '[http]\nport = 9443\n\n[log]\nlevel = "debug"\n');
  const { config, origins, path: used } = loadConfig(options());
  assert.is(CONFIG_FILE_NAME, 'alliance.toml');
  assert.is(used, path);
  assert.is(config.http.port, 9443);
  assert.is(config.log.level, 'debug');
  assert.is(origins.get('http.port'), path);
  assert.is(origins.get('http.listen'), 'defaults');
});

test('loadConfig() uses the defaults when the data directory has no config file', () => {
  const { config, origins, path } = loadConfig(options({ hostname: 'edge-7.lan' }));
  assert.is(path, undefined);
  assert.equal(config, defaultConfig('edge-7.lan'));
  assert.equal(new Set(origins.values()), new Set(['defaults']));
});

test('loadConfig() reads an explicit config path instead of the data directory file', () => {
  writeFileSync(join(dir, CONFIG_FILE_NAME), '[http]\nport = 1111\n');
  const explicit = join(dir, 'elsewhere.toml');
  writeFileSync(explicit, '[http]\nport = 2222\n');
  const { config, path } = loadConfig(options({ configPath: explicit }));
  assert.is(path, explicit);
  assert.is(config.http.port, 2222);
});

test('loadConfig() layers the environment and --set flags over the file', () => {
  writeFileSync(join(dir, CONFIG_FILE_NAME), '[http]\nport = 1111\nlisten = "127.0.0.1"\n');
  const { config, origins } = loadConfig(options({ env: { ALLIANCE_HTTP_PORT: '2222' }, overrides: ['http.listen=::1'] }));
  assert.is(config.http.port, 2222);
  assert.is(origins.get('http.port'), 'ALLIANCE_HTTP_PORT');
  assert.is(config.http.listen, '::1');
  assert.is(origins.get('http.listen'), '--set');
});

test('loadConfig() refuses an explicit config path that does not exist with APL_CONFIG_UNREADABLE', () => {
  const missing = join(dir, 'missing.toml');
  const err = refusal(() => loadConfig(options({ configPath: missing })));
  assert.is(err.code, 'APL_CONFIG_UNREADABLE');
  assert.is(err.exitCode, 2);
  assert.is(err.params.path, missing);
  assert.is(err.params.reason, 'no such file');
  assert.ok(err.message.includes(missing), err.message);
});

test('loadConfig() refuses a config path that is a directory with APL_CONFIG_UNREADABLE', () => {
  const err = refusal(() => loadConfig(options({ configPath: dir })));
  assert.is(err.code, 'APL_CONFIG_UNREADABLE');
  assert.is(err.params.path, dir);
});

test('loadConfig() refuses a TOML syntax error with APL_CONFIG_UNREADABLE naming the line and column', () => {
  const path = join(dir, CONFIG_FILE_NAME);
  writeFileSync(path, '[http]\nport = 8443\nlisten = "0.0.0.0\n');
  const err = refusal(() => loadConfig(options()));
  assert.is(err.code, 'APL_CONFIG_UNREADABLE');
  assert.is(err.params.path, path);
  assert.match(err.message, /\(line 3, column \d+\)/);
  assert.not.match(err.message, /\n/);
});

test('loadConfig() reports a bad value in the file as APL_CONFIG_INVALID from that file', () => {
  const path = join(dir, CONFIG_FILE_NAME);
  writeFileSync(path, '[http]\nport = "8443"\n');
  const err = refusal(() => loadConfig(options()));
  assert.is(err.code, 'APL_CONFIG_INVALID');
  assert.is(err.params.key, 'http.port');
  assert.is(err.params.origin, path);
});

test('renderConfigTemplate() loads as the defaults while every line is commented out', () => {
  const defaults = defaultConfig('gw-01');
  writeFileSync(join(dir, CONFIG_FILE_NAME), renderConfigTemplate(defaults));
  const { config, origins } = loadConfig(options({ hostname: 'gw-01' }));
  assert.equal(config, defaults);
  assert.equal(new Set(origins.values()), new Set(['defaults']));
});

test('renderConfigTemplate() output, uncommented, parses back to exactly the defaults', () => {
  const defaults = defaultConfig('gw-01');
  const text = uncomment(renderConfigTemplate(defaults));
  const path = join(dir, CONFIG_FILE_NAME);
  writeFileSync(path, text);
  // Another host name, so the name can only come from the file.
  const { config, origins } = loadConfig(options({ hostname: 'somewhere-else' }));
  assert.equal(config, defaults);
  for (const { key } of configKeys()) assert.is(origins.get(key), path, `${key} did not come from the file`);
});

test('renderConfigTemplate() documents every key with what it allows', () => {
  const text = renderConfigTemplate(defaultConfig('gw-01'));
  for (const { key } of configKeys()) {
    const name = key.split('.')[1]!;
    assert.match(text, new RegExp(`^# ${name}: .+$`, 'm'));
    assert.match(text, new RegExp(`^# ${name} = .+$`, 'm'));
  }
});

test.run();
