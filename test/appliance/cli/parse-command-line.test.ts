import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseCommandLine, type CommandLine } from '../../../appliance/cli/index.ts';
import { refusal } from '../../_support/refusal.ts';

type Env = Record<string, string | undefined>;

const noOptions = {
  limit: undefined,
  kind: undefined,
  severity: undefined,
  key: undefined,
  url: undefined,
  timeout: undefined,
  idempotencyKey: undefined,
  tlsCert: undefined,
  tlsKey: undefined,
  tlsCa: undefined,
  serverName: undefined,
  diagnose: undefined,
  ascii: undefined,
  answers: undefined,
  dryRun: undefined,
  admin: undefined,
  passwordFile: undefined,
  user: undefined,
  project: undefined,
  token: undefined,
  fingerprint: undefined,
  role: undefined,
  state: undefined,
  uses: undefined,
  ttl: undefined,
  description: undefined,
  flavor: undefined,
  image: undefined,
  keyName: undefined,
  userDataFile: undefined,
};

const base: CommandLine = {
  command: 'help',
  args: [],
  dataDir: './var',
  configPath: undefined,
  overrides: [],
  json: false,
  options: noOptions,
};

const accepted: Record<string, { argv: string[]; env?: Env; expected: Partial<CommandLine> }> = {
  'reads a bare command with the defaults': {
    argv: ['serve'],
    expected: { command: 'serve' },
  },
  "reads the boot lease hook's dnsmasq arguments after --, even one that looks like an option": {
    argv: ['boot', 'lease-hook', '--data-dir=/var/lib/alliance', '--', 'add', '52:54:00:00:00:01', '10.20.0.101', '-x'],
    expected: { command: 'boot', args: ['lease-hook', 'add', '52:54:00:00:00:01', '10.20.0.101', '-x'], dataDir: '/var/lib/alliance' },
  },
  'shows help for no command at all': {
    argv: [],
    expected: { command: 'help' },
  },
  'shows help for --help alone': {
    argv: ['--help'],
    expected: { command: 'help' },
  },
  'shows help for -h': {
    argv: ['-h'],
    expected: { command: 'help' },
  },
  'reads `help status` as help about status': {
    argv: ['help', 'status'],
    expected: { command: 'help', args: ['status'] },
  },
  'reads `status --help` as help about status': {
    argv: ['status', '--help'],
    expected: { command: 'help', args: ['status'] },
  },
  'takes the data directory from ALLIANCE_DATA_DIR without a flag': {
    argv: ['status'],
    env: { ALLIANCE_DATA_DIR: '/srv/alliance' },
    expected: { command: 'status', dataDir: '/srv/alliance' },
  },
  'takes the config path from ALLIANCE_CONFIG without a flag': {
    argv: ['serve'],
    env: { ALLIANCE_CONFIG: '/etc/alliance.toml' },
    expected: { command: 'serve', configPath: '/etc/alliance.toml' },
  },
  'ignores an empty ALLIANCE_CONFIG': {
    argv: ['serve'],
    env: { ALLIANCE_CONFIG: '' },
    expected: { command: 'serve', configPath: undefined },
  },
  'lets --data-dir win over ALLIANCE_DATA_DIR': {
    argv: ['status', '--data-dir', '/flag/dir'],
    env: { ALLIANCE_DATA_DIR: '/env/dir' },
    expected: { command: 'status', dataDir: '/flag/dir' },
  },
  'lets --config win over ALLIANCE_CONFIG': {
    argv: ['serve', '--config=/flag.toml'],
    env: { ALLIANCE_CONFIG: '/env.toml' },
    expected: { command: 'serve', configPath: '/flag.toml' },
  },
  'collects repeated --set flags in order': {
    argv: ['serve', '--set', 'http.port=9443', '--set=log.level=debug'],
    expected: { command: 'serve', overrides: ['http.port=9443', 'log.level=debug'] },
  },
  'accepts options before the command': {
    argv: ['--data-dir', '/d', 'status', '--json'],
    expected: { command: 'status', dataDir: '/d', json: true },
  },
  'reads the events options': {
    argv: ['events', '--limit', '5', '--kind', 'service.failed', '--json'],
    expected: { command: 'events', json: true, options: { ...noOptions, limit: '5', kind: 'service.failed' } },
  },
  'reads `events add` with its arguments and options': {
    argv: ['events', 'add', 'operator.note', 'disk swapped', '--severity', 'warning', '--key', 'ticket-42'],
    expected: { command: 'events', args: ['add', 'operator.note', 'disk swapped'], options: { ...noOptions, severity: 'warning', key: 'ticket-42' } },
  },
  'reads `bus call` with its method, parameters and options': {
    argv: ['bus', 'call', 'events.list', '{"limit":2}', '--timeout', '900', '--idempotency-key', 'k1'],
    expected: { command: 'bus', args: ['call', 'events.list', '{"limit":2}'], options: { ...noOptions, timeout: '900', idempotencyKey: 'k1' } },
  },
  'reads `bus watch` with prefixes and a remote bus over TLS': {
    argv: ['bus', 'watch', 'service.', 'journal.', '--url', 'tls+tcp://10.0.0.2:8444', '--tls-cert', 'c.pem', '--tls-key', 'k.pem', '--tls-ca', 'ca.pem', '--server-name', 'peer'],
    expected: {
      command: 'bus',
      args: ['watch', 'service.', 'journal.'],
      options: { ...noOptions, url: 'tls+tcp://10.0.0.2:8444', tlsCert: 'c.pem', tlsKey: 'k.pem', tlsCa: 'ca.pem', serverName: 'peer' },
    },
  },
  'reads `version --json`': {
    argv: ['version', '--json'],
    expected: { command: 'version', json: true },
  },
};

for (const [behaviour, { argv, env, expected }] of Object.entries(accepted)) {
  test(`parseCommandLine() ${behaviour}`, () => {
    assert.equal(parseCommandLine(argv, env ?? {}), { ...base, ...expected });
  });
}

const refused: Record<string, { argv: string[]; env?: Env; problem: RegExp }> = {
  'refuses an unknown command': { argv: ['start'], problem: /^Unknown command "start"$/ },
  'refuses a boot call with more arguments than dnsmasq passes': { argv: ['boot', 'lease-hook', '--', 'a', 'b', 'c', 'd', 'e', 'f'], problem: /^`alliance boot` takes 1 to 6 argument\(s\), got 7$/ },
  'refuses an unknown option': { argv: ['status', '--verbose'], problem: /--verbose/ },
  'refuses an option the command does not take': { argv: ['serve', '--json'], problem: /^`alliance serve` takes no --json$/ },
  'refuses events options on another command': { argv: ['status', '--limit', '3'], problem: /^`alliance status` takes no --limit$/ },
  'refuses too many arguments': { argv: ['status', 'now'], problem: /^`alliance status` takes 0 argument\(s\), got 1$/ },
  'refuses too many arguments to help': { argv: ['help', 'status', 'serve'], problem: /^`alliance help` takes 0 to 1 argument\(s\), got 2$/ },
  'refuses too many arguments to events': { argv: ['events', 'add', 'k', 'm', 'extra'], problem: /^`alliance events` takes 0 to 3 argument\(s\), got 4$/ },
  'refuses an empty --data-dir': { argv: ['status', '--data-dir='], problem: /^--data-dir is empty$/ },
  'refuses --data-dir without a value': { argv: ['status', '--data-dir'], problem: /data-dir/ },
  'refuses a value given to a boolean option': { argv: ['status', '--json=yes'], problem: /json/ },
};

for (const [behaviour, { argv, env, problem }] of Object.entries(refused)) {
  test(`parseCommandLine() ${behaviour} with APL_CLI_USAGE, exit 2`, () => {
    const err = refusal(() => parseCommandLine(argv, env ?? {}));
    assert.is(err.code, 'APL_CLI_USAGE');
    assert.is(err.exitCode, 2);
    assert.match(String(err.params.problem), problem);
    assert.match(err.message, /; see `alliance --help`$/);
  });
}

test.run();
