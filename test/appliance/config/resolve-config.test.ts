import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { configKeys, defaultConfig, RESERVED_ENV, resolveConfig, type ConfigSources } from '../../../appliance/config/index.ts';
import { refusal } from '../../_support/refusal.ts';

const FILE = '/etc/alliance/alliance.toml';
const defaults = defaultConfig('gateway');

function sources(partial: Partial<ConfigSources>): ConfigSources {
  return { defaults, env: {}, overrides: [], ...partial };
}

test('resolveConfig() passes the defaults through unchanged, every key from "defaults"', () => {
  const { config, origins } = resolveConfig(sources({}));
  assert.equal(config, defaults);
  assert.equal(new Set(origins.values()), new Set(['defaults']));
  assert.equal([...origins.keys()].sort(), configKeys().map((k) => k.key).sort());
});

test('resolveConfig() does not change the defaults object it is given', () => {
  const given = defaultConfig('gateway');
  resolveConfig(sources({ defaults: given, overrides: ['http.port=9443'] }));
  assert.equal(given, defaultConfig('gateway'));
});

const layers: Record<string, { partial: Partial<ConfigSources>; port: number; origin: string }> = {
  'takes the file over the defaults': {
    partial: { file: { path: FILE, data: { http: { port: 1001 } } } },
    port: 1001,
    origin: FILE,
  },
  'takes a variable over the file': {
    partial: { file: { path: FILE, data: { http: { port: 1001 } } }, env: { ALLIANCE_HTTP_PORT: '2002' } },
    port: 2002,
    origin: 'ALLIANCE_HTTP_PORT',
  },
  'takes a --set flag over a variable and the file': {
    partial: { file: { path: FILE, data: { http: { port: 1001 } } }, env: { ALLIANCE_HTTP_PORT: '2002' }, overrides: ['http.port=3003'] },
    port: 3003,
    origin: '--set',
  },
  'takes the last of repeated --set flags': {
    partial: { overrides: ['http.port=3003', 'http.port=4004'] },
    port: 4004,
    origin: '--set',
  },
};

for (const [behaviour, { partial, port, origin }] of Object.entries(layers)) {
  test(`resolveConfig() ${behaviour}`, () => {
    const { config, origins } = resolveConfig(sources(partial));
    assert.is(config.http.port, port);
    assert.is(origins.get('http.port'), origin);
    assert.is(config.http.listen, defaults.http.listen);
    assert.is(origins.get('http.listen'), 'defaults');
  });
}

test('resolveConfig() layers different keys from different sources', () => {
  const { config, origins } = resolveConfig(
    sources({
      file: { path: FILE, data: { appliance: { name: 'edge-1' }, log: { level: 'debug' } } },
      env: { ALLIANCE_SUPERVISOR_RESTART_LIMIT: '9' },
      overrides: ['http.listen=::'],
    }),
  );
  assert.is(config.appliance.name, 'edge-1');
  assert.is(config.log.level, 'debug');
  assert.is(config.supervisor.restart_limit, 9);
  assert.is(config.http.listen, '::');
  assert.is(origins.get('appliance.name'), FILE);
  assert.is(origins.get('log.level'), FILE);
  assert.is(origins.get('supervisor.restart_limit'), 'ALLIANCE_SUPERVISOR_RESTART_LIMIT');
  assert.is(origins.get('http.listen'), '--set');
});

const coercions: Record<string, { env: Record<string, string>; key: string; expected: unknown }> = {
  'turns an integer variable into a number': { env: { ALLIANCE_HTTP_PORT: '9443' }, key: 'http.port', expected: 9443 },
  'trims spaces around an integer variable': { env: { ALLIANCE_SUPERVISOR_STOP_TIMEOUT_MS: ' 2500 ' }, key: 'supervisor.stop_timeout_ms', expected: 2500 },
  'keeps a string variable as given': { env: { ALLIANCE_HTTP_TLS_CERT: '/srv/tls/cert.pem' }, key: 'http.tls_cert', expected: '/srv/tls/cert.pem' },
};

for (const [behaviour, { env, key, expected }] of Object.entries(coercions)) {
  test(`resolveConfig() ${behaviour}`, () => {
    const { config } = resolveConfig(sources({ env }));
    const [section, name] = key.split('.') as [keyof typeof config, string];
    const value = (config[section] as Record<string, unknown>)[name];
    assert.is(value, expected);
    assert.type(value, typeof expected as 'number' | 'string');
  });
}

test('resolveConfig() turns an integer --set value into a number', () => {
  const { config } = resolveConfig(sources({ overrides: ['supervisor.restart_window_ms=120000'] }));
  assert.is(config.supervisor.restart_window_ms, 120_000);
});

test('resolveConfig() ignores the reserved variables and variables that are not ours', () => {
  assert.equal([...RESERVED_ENV].sort(), ['ALLIANCE_CONFIG', 'ALLIANCE_CREDENTIALS', 'ALLIANCE_DATA_DIR', 'ALLIANCE_TOKEN', 'ALLIANCE_URL']);
  const env: Record<string, string | undefined> = { PATH: '/usr/bin', HOME: '/root', ALLIANCE_UNSET: undefined };
  for (const name of RESERVED_ENV) env[name] = '/somewhere';
  const { config, origins } = resolveConfig(sources({ env }));
  assert.equal(config, defaults);
  assert.equal(new Set(origins.values()), new Set(['defaults']));
});

const invalid: Record<string, { partial: Partial<ConfigSources>; key: string; value: string; origin: string; allowed: RegExp }> = {
  'names the origin of a bad value from the file': {
    partial: { file: { path: FILE, data: { http: { port: 70000 } } } },
    key: 'http.port',
    value: '70000',
    origin: FILE,
    allowed: /^an integer from 1 to 65535$/,
  },
  'names the variable of a bad value from the environment': {
    partial: { env: { ALLIANCE_HTTP_PORT: 'eighty' } },
    key: 'http.port',
    value: '"eighty"',
    origin: 'ALLIANCE_HTTP_PORT',
    allowed: /^an integer from 1 to 65535$/,
  },
  'names --set as the origin of a bad flag value': {
    partial: { overrides: ['log.level=loud'] },
    key: 'log.level',
    value: '"loud"',
    origin: '--set',
    allowed: /^one of fatal, error, warn, info, debug, trace$/,
  },
  'refuses a non-integer number for an integer key': {
    partial: { overrides: ['supervisor.stop_timeout_ms=1500.5'] },
    key: 'supervisor.stop_timeout_ms',
    value: '1500.5',
    origin: '--set',
    allowed: /^an integer from 100 to 600000$/,
  },
  'refuses a name that is not a DNS label and says what a label is': {
    partial: { file: { path: FILE, data: { appliance: { name: 'Not_A_Label' } } } },
    key: 'appliance.name',
    value: '"Not_A_Label"',
    origin: FILE,
    allowed: /DNS label/,
  },
  'refuses a section that is not a table': {
    partial: { file: { path: FILE, data: { http: 8443 } } },
    key: 'http',
    value: '8443',
    origin: FILE,
    allowed: /^a table with keys listen, port, tls_cert, tls_key$/,
  },
  'refuses a file that is not a table at all': {
    partial: { file: { path: FILE, data: 'text' } },
    key: '(top level)',
    value: '"text"',
    origin: FILE,
    allowed: /^a table with keys appliance, http, log, bus, discovery, controller, agent, boot, console, supervisor$/,
  },
};

for (const [behaviour, { partial, key, value, origin, allowed }] of Object.entries(invalid)) {
  test(`resolveConfig() ${behaviour}`, () => {
    const err = refusal(() => resolveConfig(sources(partial)));
    assert.is(err.code, 'APL_CONFIG_INVALID');
    assert.is(err.exitCode, 2);
    assert.is(err.params.key, key);
    assert.is(err.params.value, value);
    assert.is(err.params.origin, origin);
    assert.match(String(err.params.allowed), allowed);
    assert.ok(err.message.includes(`${key} = ${value} (from ${origin})`), err.message);
    assert.ok(err.message.includes(`allowed: ${String(err.params.allowed)}`), err.message);
  });
}

const unknown: Record<string, { partial: Partial<ConfigSources>; key: string; origin: string; allowed: RegExp }> = {
  'refuses an unknown key in the file and lists the keys of its section': {
    partial: { file: { path: FILE, data: { http: { prot: 8443 } } } },
    key: 'http.prot',
    origin: FILE,
    allowed: /^http\.listen, http\.port, http\.tls_cert, http\.tls_key$/,
  },
  'refuses an unknown section in the file': {
    partial: { file: { path: FILE, data: { htpp: { port: 8443 } } } },
    key: 'htpp',
    origin: FILE,
    allowed: /^appliance, http, log, bus, discovery, controller, agent, boot, console, supervisor$/,
  },
  'refuses an unknown ALLIANCE_ variable and lists the known ones': {
    partial: { env: { ALLIANCE_HTTP_PROT: '8443' } },
    key: 'ALLIANCE_HTTP_PROT',
    origin: 'environment',
    allowed: /ALLIANCE_HTTP_PORT.*ALLIANCE_DATA_DIR, ALLIANCE_CONFIG, ALLIANCE_URL, ALLIANCE_TOKEN, ALLIANCE_CREDENTIALS$/,
  },
  'refuses an unknown --set key': {
    partial: { overrides: ['http.prot=8443'] },
    key: 'http.prot',
    origin: '--set',
    allowed: /(^|, )http\.port(, |$)/,
  },
  'refuses --set of a whole section': {
    partial: { overrides: ['http=8443'] },
    key: 'http',
    origin: '--set',
    allowed: /(^|, )http\.port(, |$)/,
  },
};

for (const [behaviour, { partial, key, origin, allowed }] of Object.entries(unknown)) {
  test(`resolveConfig() ${behaviour}`, () => {
    const err = refusal(() => resolveConfig(sources(partial)));
    assert.is(err.code, 'APL_CONFIG_UNKNOWN_KEY');
    assert.is(err.exitCode, 2);
    assert.is(err.params.key, key);
    assert.is(err.params.origin, origin);
    assert.match(String(err.params.allowed), allowed);
    assert.ok(err.message.includes(`Unknown config key ${key} (from ${origin})`), err.message);
  });
}

const badOverrides: Record<string, string> = {
  'refuses a --set flag without "="': 'http.port',
  'refuses a --set flag without a key': '=8443',
  'refuses an empty --set flag': '',
};

for (const [behaviour, text] of Object.entries(badOverrides)) {
  test(`resolveConfig() ${behaviour}`, () => {
    const err = refusal(() => resolveConfig(sources({ overrides: [text] })));
    assert.is(err.code, 'APL_CONFIG_BAD_OVERRIDE');
    assert.is(err.exitCode, 2);
    assert.is(err.params.text, text);
  });
}

test('configKeys() gives every key a distinct variable name derived from the key', () => {
  const keys = configKeys();
  const defaultKeys = Object.entries(defaults).flatMap(([section, values]) => Object.keys(values as object).map((name) => `${section}.${name}`));
  assert.equal(keys.map((k) => k.key).sort(), defaultKeys.sort());
  const names = keys.map((k) => k.envName);
  assert.is(new Set(names).size, names.length, `duplicate variable names in ${names.join(', ')}`);
  for (const { key, envName } of keys) {
    assert.is(envName, `ALLIANCE_${key.replace(/\./g, '_').toUpperCase()}`);
    assert.not.ok((RESERVED_ENV as readonly string[]).includes(envName), `${envName} is reserved`);
  }
});

test('configKeys() variables are each accepted by resolveConfig()', () => {
  for (const { key, envName } of configKeys()) {
    const [section, name] = key.split('.') as [keyof typeof defaults, string];
    const value = String((defaults[section] as Record<string, unknown>)[name]);
    const { origins } = resolveConfig(sources({ env: { [envName]: value } }));
    assert.is(origins.get(key), envName);
  }
});

const hostnames: Record<string, { hostname: string; expected: string }> = {
  'lower-cases, keeps the first label and turns "_" into "-"': { hostname: 'My_Host.example', expected: 'my-host' },
  'falls back to "alliance" for an empty host name': { hostname: '', expected: 'alliance' },
  'falls back to "alliance" when only hyphens are left': { hostname: '---', expected: 'alliance' },
  'cuts a 70-character name to 63 without a trailing hyphen': { hostname: `${'a'.repeat(62)}-${'b'.repeat(7)}`, expected: 'a'.repeat(62) },
  'keeps a name that already is a label': { hostname: 'gw-01', expected: 'gw-01' },
};

for (const [behaviour, { hostname, expected }] of Object.entries(hostnames)) {
  test(`defaultConfig() ${behaviour}`, () => {
    const name = defaultConfig(hostname).appliance.name;
    assert.is(name, expected);
    assert.ok(name.length >= 1 && name.length <= 63, `${name.length} characters`);
    assert.not.ok(name.endsWith('-'));
    // The result must pass the schema it will be checked against.
    assert.is(resolveConfig(sources({ defaults: defaultConfig(hostname) })).config.appliance.name, expected);
  });
}

test('defaultConfig() turns any 70-character host name into a valid label of at most 63', () => {
  const hostname = 'x'.repeat(70);
  const name = defaultConfig(hostname).appliance.name;
  assert.is(name, 'x'.repeat(63));
});

test('resolveConfig() refuses a bus listener with nobody trusted to connect, naming bus.trusted_peers', () => {
  try {
    resolveConfig({ defaults: defaultConfig('host'), env: { ALLIANCE_BUS_LISTEN: 'tls+tcp://0.0.0.0:8444' }, overrides: [] });
    assert.unreachable('accepted');
  } catch (err) {
    assert.is((err as { code?: string }).code, 'APL_CONFIG_INVALID');
    assert.match((err as Error).message, /Invalid config bus\.trusted_peers = "" .*bus\.listen is tls\+tcp:\/\/0\.0\.0\.0:8444 but nobody is trusted to connect/);
  }
});

test('resolveConfig() refuses a plain tcp bus listener: every endpoint authenticates its callers', () => {
  assert.throws(
    () => resolveConfig({ defaults: defaultConfig('host'), env: {}, overrides: ['bus.listen=tcp://0.0.0.0:8444', 'bus.trusted_peers=/etc/peers.pem'] }),
    /Invalid config bus\.listen = "tcp:\/\/0\.0\.0\.0:8444" \(from --set\).*allowed: empty \(local sockets only\) or a tls\+tcp:\/\/ address/,
  );
});

test('resolveConfig() accepts a tls+tcp bus listener with trusted peers', () => {
  const { config } = resolveConfig({ defaults: defaultConfig('host'), env: {}, overrides: ['bus.listen=tls+tcp://0.0.0.0:8444', 'bus.trusted_peers=/etc/peers.pem'] });
  assert.equal(config.bus, { listen: 'tls+tcp://0.0.0.0:8444', trusted_peers: '/etc/peers.pem' });
});

test.run();
