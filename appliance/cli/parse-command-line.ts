import { parseArgs } from 'node:util';
import { cliErrors } from './errors.ts';

export const COMMANDS = ['help', 'version', 'init', 'serve', 'status', 'events', 'bus', 'discover'] as const;
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
} as const;

/** Options each command takes beyond --data-dir, --config, --set and --help. */
const ACCEPTS: Readonly<Record<CommandName, readonly string[]>> = {
  help: [],
  version: ['json'],
  init: ['json'],
  serve: [],
  status: ['json'],
  events: ['json', 'limit', 'kind', 'severity', 'key'],
  bus: ['json', 'url', 'timeout', 'idempotency-key', 'tls-cert', 'tls-key', 'tls-ca', 'server-name'],
  discover: ['json', 'timeout', 'diagnose'],
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
