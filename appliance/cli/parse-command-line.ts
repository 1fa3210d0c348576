import { parseArgs } from 'node:util';
import { cliErrors } from './errors.ts';

export const COMMANDS = ['help', 'version', 'init', 'serve', 'agent', 'boot', 'status', 'events', 'bus', 'discover', 'login', 'logout', 'projects', 'users', 'hosts', 'join-tokens', 'instances', 'console', 'install'] as const;
export type CommandName = (typeof COMMANDS)[number];

export interface CommandLine {
  readonly command: CommandName;
  readonly args: readonly string[];
  readonly dataDir: string;
  readonly configPath: string | undefined;
  readonly overrides: readonly string[];
  readonly json: boolean;
  readonly options: Readonly<Record<string, string | undefined>>;
}

const OPTIONS = {
  'data-dir': { type: 'string' },
  config: { type: 'string' },
  set: { type: 'string', multiple: true },
  json: { type: 'boolean' },
  diagnose: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  limit: { type: 'string' },
  kind: { type: 'string' },
  severity: { type: 'string' },
  key: { type: 'string' },
  url: { type: 'string' },
  timeout: { type: 'string' },
  'idempotency-key': { type: 'string' },
  'tls-cert': { type: 'string' },
  'tls-key': { type: 'string' },
  'tls-ca': { type: 'string' },
  'server-name': { type: 'string' },
  admin: { type: 'string' },
  'password-file': { type: 'string' },
  user: { type: 'string' },
  project: { type: 'string' },
  token: { type: 'string' },
  fingerprint: { type: 'string' },
  role: { type: 'string' },
  state: { type: 'string' },
  uses: { type: 'string' },
  ttl: { type: 'string' },
  description: { type: 'string' },
  flavor: { type: 'string' },
  image: { type: 'string' },
  'key-name': { type: 'string' },
  'user-data-file': { type: 'string' },
  ascii: { type: 'boolean' },
  answers: { type: 'string' },
  'dry-run': { type: 'boolean' },
} as const;

/** Options each command takes beyond --data-dir, --config, --set and --help. */
const ACCEPTS: Readonly<Record<CommandName, readonly string[]>> = {
  help: [],
  version: ['json'],
  init: ['json', 'admin', 'password-file'],
  serve: [],
  agent: [],
  boot: [],
  status: ['json'],
  events: ['json', 'limit', 'kind', 'severity', 'key'],
  bus: ['json', 'url', 'timeout', 'idempotency-key', 'tls-cert', 'tls-key', 'tls-ca', 'server-name'],
  discover: ['json', 'timeout', 'diagnose'],
  login: ['json', 'user', 'project', 'password-file', 'fingerprint'],
  logout: [],
  projects: ['json', 'url', 'token', 'description', 'user', 'role'],
  users: ['json', 'url', 'token', 'password-file', 'project', 'role'],
  hosts: ['json', 'url', 'token', 'state'],
  'join-tokens': ['json', 'url', 'token', 'uses', 'ttl', 'description'],
  instances: ['json', 'url', 'token', 'project', 'flavor', 'image', 'key-name', 'user-data-file'],
  console: ['ascii'],
  install: ['answers', 'image', 'dry-run'],
};

const ARITY: Readonly<Record<CommandName, readonly [number, number]>> = {
  help: [0, 1],
  version: [0, 0],
  init: [0, 0],
  serve: [0, 0],
  status: [0, 0],
  events: [0, 3],
  bus: [1, 8],
  discover: [0, 0],
  agent: [0, 0],
  // lease-hook and dnsmasq's own arguments (at most 5).
  boot: [1, 6],
  login: [0, 1],
  logout: [0, 0],
  projects: [1, 4],
  users: [1, 4],
  hosts: [1, 3],
  'join-tokens': [1, 2],
  instances: [1, 2],
  console: [0, 1],
  install: [0, 0],
};

/**
 * argv (without node and script) to a command. Pure: env is passed in.
 * @throws AllianceError APL_CLI_USAGE (exit 2).
 */
export function parseCommandLine(argv: readonly string[], env: Readonly<Record<string, string | undefined>>): CommandLine {
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: true });
  } catch (err) {
    throw cliErrors.USAGE({ problem: (err as Error).message.split('\n')[0] });
  }
  const { values, positionals } = parsed;
  const [first, ...rest] = positionals;
  const command: CommandName = values.help || first === undefined ? 'help' : asCommand(first);
  const args = values.help && first !== undefined ? [first] : rest;

  for (const name of Object.keys(values)) {
    if (['data-dir', 'config', 'set', 'help'].includes(name) || ACCEPTS[command].includes(name)) continue;
    throw cliErrors.USAGE({ problem: `\`alliance ${command}\` takes no --${name}` });
  }
  const [min, max] = ARITY[command];
  if (args.length < min || args.length > max) {
    throw cliErrors.USAGE({ problem: `\`alliance ${command}\` takes ${min === max ? min : `${min} to ${max}`} argument(s), got ${args.length}` });
  }
  const dataDir = values['data-dir'] ?? (env.ALLIANCE_DATA_DIR || undefined) ?? './var';
  if (dataDir === '') throw cliErrors.USAGE({ problem: '--data-dir is empty' });
  return {
    command,
    args,
    dataDir,
    configPath: values.config ?? (env.ALLIANCE_CONFIG || undefined),
    overrides: values.set ?? [],
    json: values.json ?? false,
    options: {
      limit: values.limit,
      kind: values.kind,
      severity: values.severity,
      key: values.key,
      url: values.url,
      timeout: values.timeout,
      idempotencyKey: values['idempotency-key'],
      tlsCert: values['tls-cert'],
      tlsKey: values['tls-key'],
      tlsCa: values['tls-ca'],
      serverName: values['server-name'],
      diagnose: values.diagnose === true ? 'yes' : undefined,
      ascii: values.ascii === true ? 'yes' : undefined,
      admin: values.admin,
      passwordFile: values['password-file'],
      user: values.user,
      project: values.project,
      token: values.token,
      fingerprint: values.fingerprint,
      role: values.role,
      state: values.state,
      uses: values.uses,
      ttl: values.ttl,
      description: values.description,
      flavor: values.flavor,
      image: values.image,
      keyName: values['key-name'],
      userDataFile: values['user-data-file'],
      answers: values.answers,
      dryRun: values['dry-run'] === true ? 'yes' : undefined,
    },
  };
}

function asCommand(word: string): CommandName {
  if ((COMMANDS as readonly string[]).includes(word)) return word as CommandName;
  throw cliErrors.USAGE({ problem: `Unknown command "${word}"` });
}

export const HELP = `alliance: a cloud in a box, in one executable

Usage: alliance <command> [options]

Commands:
  init              create the data directory: identity, HTTPS certificate, store
  serve             run the appliance in the foreground (stop with SIGTERM or Ctrl-C)
  status            ask the running appliance how it is (says so when it is down)
  events            list the appliance's recent events (--limit N, --kind K)
  events add KIND MESSAGE
                    record an operator event (--severity info|warning|error, --key K
                    to make a retried call record it once)
  bus call METHOD [JSON]
                    call a bus method with JSON parameters and print its result
                    ('bus call bus.methods' lists them; --timeout MS, --idempotency-key K)
  bus watch [PREFIX ...]
                    follow bus events whose topic starts with a prefix (all by default)
                    Both use the local sockets; --url URL reaches another bus, with
                    --tls-cert/--tls-key/--tls-ca FILE and --server-name for tls+tcp://
  discover          list the appliances and hosts visible from here: mDNS for --timeout MS
                    (default 3000), plus discovery.peers and DNS SRV (discovery.srv_domain)
  discover --diagnose
                    check each interface for what stops mDNS (multicast, IPv6,
                    bridges, firewall) and say how to fix it
  agent             run the host agent in the foreground: find the controller (agent.controller,
                    the kernel command line, or mDNS), enrol, report inventory and heartbeats
  boot lease-hook ACTION [ARG ...]
                    dnsmasq's dhcp-script (run through the wrapper the boot service writes):
                    stores a lease change in the running appliance, or prints the leases (init)
  init --admin NAME [--password-file FILE|-]
                    also create the first cloud admin (password from FILE, stdin, or a prompt)
  login [URL] --user NAME [--project P]
                    get a token from the controller API (default https://localhost:8443) and keep it
                    in ~/.config/alliance/credentials.json (--fingerprint pins the certificate)
  logout            revoke the kept token and forget it
  projects list | create NAME | show P | delete P | members P | grant P USER ROLE | revoke P USER
  users list | create NAME | show U | delete U | password U
  hosts list [--state S] | show ID | machines | approve ID | reject ID | retire ID
  join-tokens create [--uses N] [--ttl SECONDS] [--description TEXT] | list | revoke ID
  instances list | show I | create NAME --flavor F --image ID [--key-name K] [--user-data-file F]
                    | start I | stop I | reboot I | delete I | console-log I | why I   (--project P)
                    API commands take --url URL and --token T ($ALLIANCE_TOKEN, e.g. an API key)
  console [--ascii] the local console on this terminal: the appliance's state, and first-day
                    fixes (network, host name, first admin, host approval, join code, shell);
                    --ascii draws without UTF-8 (the image's serial console uses it)
  console first-boot
                    apply the installer's answers (DATA-DIR/install/answers.json): host name,
                    management network, NTP; the image runs it once at first boot
  install [--answers FILE|URL] [--image PATH] [--dry-run]
                    put the appliance onto a disk (from the installer ISO): unattended from an
                    answer file, else by asking on this terminal; --dry-run prints the plan only
  version           print version, commit, Node version and build time
  help [COMMAND]    this text

Options:
  --data-dir DIR    data directory (default ./var, or $ALLIANCE_DATA_DIR)
  --config FILE     config file (default DIR/alliance.toml if present, or $ALLIANCE_CONFIG)
  --set KEY=VALUE   override a config key, e.g. --set http.port=9443 (repeatable)
  --json            print data as JSON
  -h, --help        show help

Exit codes: 0 ok, 1 runtime failure, 2 usage or configuration error.
`;
