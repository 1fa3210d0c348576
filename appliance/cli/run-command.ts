import { join } from 'node:path';
import { CONFIG_FILE_NAME, defaultConfig, loadConfig, renderConfigTemplate } from '../config/index.ts';
import { dataDirLayout } from '../data-dir/index.ts';
import { loadNodeIdentity, readCertificateFacts } from '../identity/index.ts';
import { createLogger } from '../log/index.ts';
import { armStopWatchdog, initialise, serve, type ApplianceStatus, type ServiceModule } from '../serve/index.ts';
import { openStore, type StoredEvent } from '../store/index.ts';
import { buildInfo } from '../build-info.ts';
import { runApiCommand } from './api-commands.ts';
import { busCall, busWatch } from './bus-commands.ts';
import { askAppliance } from './control-client.ts';
import { discover } from './discover-command.ts';
import { cliErrors } from './errors.ts';
import { formatOffline, formatStatus } from './format-status.ts';
import { HELP, type CommandLine } from './parse-command-line.ts';
import { readPassword } from './read-password.ts';

/** What a command needs from the process; main.ts provides it, tests can too. */
export interface CommandIo {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly hostname: string;
  readonly out: (text: string) => void;
  /** Resolves when the process is asked to stop (SIGTERM/SIGINT), with the signal's name. */
  readonly stopRequested: Promise<string>;
  /** The services this executable carries; main.ts hands them in (the core never imports services/). */
  readonly modules?: readonly ServiceModule[];
  /** Reads a secret typed by the operator (without echo) when no file is given. */
  readonly readSecret?: (prompt: string) => Promise<string>;
  readonly readStdin?: () => Promise<string>;
  /** The controlling terminal, when stdin and stdout are one. */
  readonly terminal?: { readonly input: NodeJS.ReadStream; readonly output: NodeJS.WriteStream };
}

/** Runs one command; resolves to the exit code. Errors with an exit code are the caller's to print. */
export async function runCommand(cmd: CommandLine, io: CommandIo): Promise<number> {
  const layout = dataDirLayout(cmd.dataDir);
  const configOf = () => loadConfig({ dataDir: layout.root, configPath: cmd.configPath, env: io.env, overrides: cmd.overrides, hostname: io.hostname });
  const print = (data: unknown, text: string): void => io.out(cmd.json ? `${JSON.stringify(data, null, 2)}\n` : text);

  switch (cmd.command) {
    case 'help':
      io.out(HELP);
      return 0;

    case 'version': {
      const b = buildInfo();
      print(b, `alliance ${b.version}\n  commit  ${b.commit}\n  node    ${b.node}\n  built   ${b.builtAt}\n`);
      return 0;
    }

    case 'init': {
      const sampleConfig = cmd.configPath === undefined ? { path: join(layout.root, CONFIG_FILE_NAME), text: renderConfigTemplate(defaultConfig(io.hostname)) } : undefined;
      const answers = { admin: cmd.options.admin, password: cmd.options.admin === undefined ? undefined : await readPassword(cmd.options.passwordFile, io, { prompt: 'Password for the first admin: ', confirm: true }) };
      const report = await initialise(layout, { hostname: io.hostname, now: new Date(), sampleConfig });
      const serviceLines: string[] = [];
      const initialisers = (io.modules ?? []).flatMap((m) => (m.initialise ? [m.initialise] : []));
      if (initialisers.length > 0) {
        const store = openStore(layout.storeFile, { create: false, nodeId: report.nodeId });
        try {
          for (const init of initialisers) serviceLines.push(...(await init({ store, layout, now: new Date(), answers })));
        } finally {
          store.close();
        }
      }
      print({ ...report, services: serviceLines }, [
        report.created.length > 0 ? `initialised ${layout.root}` : `${layout.root} was already initialised; nothing changed`,
        `  node        ${report.nodeId}`,
        `  cert        SHA-256 ${report.certificate.fingerprint}`,
        ...report.created.map((p) => `  created     ${p}`),
        ...report.kept.map((p) => `  kept        ${p}`),
        ...serviceLines.map((line) => `  ${line}`),
        '',
      ].join('\n'));
      return 0;
    }

    case 'serve': {
      const { config, path } = configOf();
      const log = createLogger(config.log.level);
      const appliance = await serve({ dataDir: layout.root, config, configFile: path, log, modules: io.modules ?? [] });
      const signal = await io.stopRequested;
      log.info({ signal }, 'stopping');
      // Each service gets stop_timeout_ms; past a generous multiple, something is stuck where JS cannot act.
      const limitMs = config.supervisor.stop_timeout_ms * 4;
      const watchdog = armStopWatchdog(limitMs, `alliance: did not stop within ${limitMs} ms (stuck in native code); killed. Nothing acknowledged is lost.`);
      await appliance.stop(`signal ${signal}`);
      await watchdog.disarm();
      log.info('stopped');
      return 0;
    }

    case 'status': {
      try {
        const { body } = await askAppliance(layout.controlSocket, layout.root, 'GET', '/v1/status');
        print(body, formatStatus(body as ApplianceStatus));
        return 0;
      } catch (err) {
        if (!(err instanceof Error && 'code' in err && err.code === 'APL_CLI_NOT_RUNNING')) throw err;
        const facts = { dataDir: layout.root, running: false, reason: err.message, nodeId: tryOr(() => loadNodeIdentity(layout.identityKey).nodeId), fingerprint: tryOr(() => readCertificateFacts(layout.tlsCert).fingerprint) };
        print(facts, formatOffline(facts));
        return 1;
      }
    }

    case 'events': {
      if (cmd.args[0] === 'add') {
        const [, kind, message] = cmd.args;
        if (kind === undefined || message === undefined) throw cliErrors.USAGE({ problem: '`alliance events add` takes KIND and MESSAGE' });
        const body = { kind, message, severity: cmd.options.severity, idempotencyKey: cmd.options.key };
        const { body: answer } = await askAppliance(layout.controlSocket, layout.root, 'POST', '/v1/events', body);
        const event = (answer as { event: StoredEvent }).event;
        print(event, `recorded event ${event.id}\n`);
        return 0;
      }
      if (cmd.args.length > 0) throw cliErrors.USAGE({ problem: `Unknown events subcommand "${cmd.args[0]}"` });
      const query = new URLSearchParams();
      if (cmd.options.limit !== undefined) query.set('limit', cmd.options.limit);
      if (cmd.options.kind !== undefined) query.set('kind', cmd.options.kind);
      const { body } = await askAppliance(layout.controlSocket, layout.root, 'GET', `/v1/events?${query.toString()}`);
      const events = (body as { events: StoredEvent[] }).events;
      print(events, events.map((e) => `${e.at}  ${e.severity.padEnd(7)} ${e.kind.padEnd(22)} ${e.message}`).reverse().join('\n') + (events.length > 0 ? '\n' : 'no events\n'));
      return 0;
    }

    case 'agent':
    case 'boot':
    case 'console':
    case 'install': {
      // A service that is the whole process, or a service's subcommands: its ServiceModule.run.
      const run = io.modules?.find((m) => m.name === cmd.command)?.run;
      if (!run) throw cliErrors.USAGE({ problem: `this build of alliance carries no ${cmd.command} service` });
      const { config, path } = configOf();
      const log = createLogger(config.log.level);
      const ctx = { config, configFile: path, layout, log, json: cmd.json, hostname: io.hostname, out: io.out, stopRequested: io.stopRequested, args: cmd.args, env: io.env, options: cmd.options, ...(io.terminal ? { terminal: io.terminal } : {}) };
      return run(ctx);
    }

    case 'login':
    case 'logout':
    case 'projects':
    case 'users':
    case 'hosts':
    case 'join-tokens':
    case 'instances':
      return runApiCommand(cmd, { layout, env: io.env, out: io.out, readSecret: io.readSecret, readStdin: io.readStdin });

    case 'discover': {
      const { config } = configOf();
      return discover(cmd, config, io.out);
    }

    case 'bus': {
      const sub = cmd.args[0];
      if (sub === 'call') return busCall(cmd, layout, io.out);
      if (sub === 'watch') return busWatch(cmd, layout, io.out, io.stopRequested);
      throw cliErrors.USAGE({ problem: `Unknown bus subcommand "${sub ?? ''}"; use call or watch` });
    }
  }
}

function tryOr<T>(fn: () => T): T | undefined {
  try {
    return fn();
  } catch {
    return undefined;
  }
}

